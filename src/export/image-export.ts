/**
 * The image part of the PyTorch export: a NICE Model cell over a shipped image set (MNIST or
 * Fashion-MNIST) becomes config.json's `imageModel` (the lab's spec, src/specs imageModelSpec)
 * and `data` (the asset file, the Data cell's split and classes, the 'unit' pre-processing with
 * uniform dequantization), and the asset travels as images/<name>-<size>.bin.gz, the very file
 * dist/data/ serves (python/flowfield_torch/image_data.py reads it).
 */
import { dataFileUrl, imageAssetFile } from '../data/images/assets';
import {
  IMAGE_MODEL_KINDS_INFO,
  describeImageSource,
  type DataCell,
  type ImageSource,
  type ModelCell,
} from '../notebook';
import { imageModelSpec, type ImageSpec } from '../specs';

/** The image model kinds train.py trains (python/flowfield_torch/image_flows.py). */
export const EXPORTED_IMAGE_KINDS = ['nice'] as const;

/** Folder of the exported project that holds the image set. */
export const IMAGE_EXPORT_FOLDER = 'images';

export interface ImageExportPlan {
  /** The project path of the image set (images/mnist-14.bin.gz). */
  assetPath: string;
  /** The asset's file name under dist/data/ (what the page and the CLI read). */
  assetFile: string;
  imageModel: ImageSpec;
  data: Record<string, unknown>;
  /** One line for the exported README. */
  describe: string;
}

/**
 * What an image notebook exports, or the reason it cannot (`problem`, saying what to do). The
 * model cell must hold a NICE image model; the Data cell a shipped set (a user's image files are
 * not in the notebook: their pixels stay in the page).
 */
export function planImageExport(
  model: ModelCell,
  data: DataCell & { source: ImageSource },
): ImageExportPlan | { problem: string; cell: string } {
  const image = model.model.image;
  if (!image) {
    return {
      cell: model.id,
      problem: `Model cell ${model.id} holds a 2-D model over ${describeImageSource(data.source)}; choose NICE on images in the Model cell, then export.`,
    };
  }
  if (!(EXPORTED_IMAGE_KINDS as readonly string[]).includes(image.kind)) {
    return {
      cell: model.id,
      problem:
        `The PyTorch export trains NICE among the image models; Model cell ${model.id} holds ` +
        `${IMAGE_MODEL_KINDS_INFO[image.kind].name}. Choose NICE on images, or train this one in the playground.`,
    };
  }
  const source = data.source;
  if (source.kind !== 'images') {
    return {
      cell: data.id,
      problem:
        `Data cell ${data.id} holds ${describeImageSource(source)}, whose pixels stay in the page; ` +
        'the PyTorch export carries the shipped sets (MNIST, Fashion-MNIST). Choose one of them in the Data cell, then export.',
    };
  }
  const assetFile = imageAssetFile(source.name, source.size);
  const assetPath = `${IMAGE_EXPORT_FOLDER}/${assetFile}`;
  // Shipped sets are grey: [1, size, size], the shape the page gives the model.
  const imageModel = imageModelSpec(image, [1, source.size, source.size], model.model.seed);
  return {
    assetPath,
    assetFile,
    imageModel,
    data: {
      file: assetPath,
      cell: data.id,
      source: {
        kind: 'images',
        name: source.name,
        size: source.size,
        split: source.split ?? 'train',
        seed: source.seed,
        ...(source.classes ? { classes: [...source.classes] } : {}),
      },
      // Image models take no 2-D normalisation: the notebook file's weights carry the identity.
      normalization: { shift: [0, 0], scale: [1, 1] },
      preprocess: { transform: 'unit', dequantize: true },
      flips: false,
    },
    describe: `${IMAGE_MODEL_KINDS_INFO[image.kind].name} (${Object.entries(image.options)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}) on ${describeImageSource(source)}`,
  };
}

/** The bytes of a dist/data/ file (the page's export of an image notebook), from where the page loads its image sets. */
export async function fetchImageAsset(file: string): Promise<Uint8Array> {
  const url = dataFileUrl(file);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `The image set ${file} did not load (HTTP ${response.status} from ${url.href}); check the connection and export again.`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}
