/**
 * A notebook (+ its trained weights) → a self-contained PyTorch project: flowfield_torch/ and the
 * scripts (python/, copied as they are), config.json, data.safetensors, README.md and, when the
 * model was trained, weights.safetensors in the playground's own layout (modelSafetensors). Pure
 * TypeScript without GPU code, so the page (Files → Export as PyTorch project) and Node (the
 * `flowfield export` command) make the same files.
 */
import { DATA_STREAM, PointDraws } from '../data/draws';
import { resolveDataset } from '../data/source';
import type { DatasetSpec } from '../data/spec';
import {
  cellName,
  imagesNotTrainable,
  isImageSource,
  modelSafetensors,
  notebookToFile,
  reflowTeacher,
  trainInputs,
  writeSafetensors,
  type DataSource,
  type ModelCell,
  type ModelWeights,
  type Notebook,
} from '../notebook';
import { seedKey } from '../rng/philox';
import { datasetSpec } from '../specs';
import { planImageExport, type ImageExportPlan } from './image-export';
import { PYTHON_FILES, README_TEMPLATE } from './python-sources';

/** Points of the data pool the PyTorch side samples its batches from. */
export const DATA_POOL = 65_536;
export const EXPORT_FORMAT = 'flowfield-torch';

export interface ExportedFile {
  /** Path inside the exported folder, '/'-separated. */
  path: string;
  bytes: Uint8Array;
}

/** What cannot be exported, and what to do about it. `cell` names the cell at fault. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly cell: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PytorchExportOptions {
  /** The Train cell to export (default: the notebook's first Train cell). */
  trainId?: string;
  /** Trained weights of that Train cell (the notebook file's or the running model's). */
  weights?: readonly ModelWeights[];
  /**
   * An image notebook's image set: the bytes of the dist/data/ file pytorchExportAssetFile names
   * (the page fetches it, the CLI reads it). Without it the project says where to put the file.
   */
  imageAsset?: Uint8Array;
}

/**
 * The dist/data/ file (e.g. 'mnist-14.bin.gz') an export of this Train cell carries, or undefined
 * for a 2-D notebook (or one the export refuses: exportPytorchProject says why).
 */
export function pytorchExportAssetFile(notebook: Notebook, trainId?: string): string | undefined {
  const id = trainId ?? notebook.cells.find((c) => c.kind === 'train')?.id;
  if (!id) return undefined;
  const { model, data } = trainInputs(notebook, id);
  if (!model || !data || !isImageSource(data.source)) return undefined;
  const plan = planImageExport(model, { ...data, source: data.source });
  return 'problem' in plan ? undefined : plan.assetFile;
}

/** The dataset spec of a Data cell's source (src/specs, the page's one mapping); image sets are an ExportError. */
export function exportDatasetSpec(source: DataSource): DatasetSpec {
  if (isImageSource(source)) throw new ExportError('', imagesNotTrainable(source));
  return datasetSpec(source);
}

export function exportPytorchProject(
  notebook: Notebook,
  options: PytorchExportOptions = {},
): ExportedFile[] {
  const trainCells = notebook.cells.filter((c) => c.kind === 'train');
  if (trainCells.length === 0) {
    throw new ExportError(
      '',
      'This notebook has no Train cell: add a Data, a Model and a Train cell, then export.',
    );
  }
  const trainId = options.trainId ?? trainCells[0]!.id;
  if (!trainCells.some((c) => c.id === trainId)) {
    throw new ExportError(
      trainId,
      `No Train cell "${trainId}"; this notebook's Train cells are ${trainCells.map((c) => c.id).join(', ')}.`,
    );
  }
  const { model, data } = trainInputs(notebook, trainId);
  if (!model) {
    throw new ExportError(
      trainId,
      `Train cell ${trainId} has no Model cell above it: move it below a Model cell, then export.`,
    );
  }
  if (!data) {
    throw new ExportError(
      model.id,
      `Model cell ${model.id} (trained by ${trainId}) has no Data cell above it: add one above it, then export.`,
    );
  }
  if (isImageSource(data.source)) {
    const plan = planImageExport(model, { ...data, source: data.source });
    if ('problem' in plan) throw new ExportError(plan.cell, plan.problem);
    return imageProject(notebook, trainId, model, plan, options);
  }
  const { spec, source, normalizer } = resolveDataset(exportDatasetSpec(data.source));
  // The playground's own numbers (for built-ins without closed-form moments, the statistics of
  // its fixed moment sample), so PyTorch trains in exactly the playground's model coordinates.
  const normalization = { shift: [...normalizer.shift], scale: [...normalizer.scale] };
  const weights = options.weights?.find((w) => w.trainId === trainId);
  const reflow = reflowExport(notebook, model, options.weights ?? []);
  const config = {
    format: EXPORT_FORMAT,
    version: 1,
    title: notebook.title,
    trainId,
    model: model.model,
    train: model.train,
    data:
      spec.kind === 'builtin'
        ? {
            // Built-ins are drawn afresh every step by flowfield_torch/densities.py.
            cell: data.id,
            source: { kind: 'builtin', name: spec.name, seed: spec.seed, params: spec.params },
            normalization: reflow?.normalization ?? normalization,
          }
        : {
            file: 'data.safetensors',
            cell: data.id,
            source: { kind: data.source.kind },
            normalization: reflow?.normalization ?? normalization,
            points: DATA_POOL,
          },
    seeds: { model: model.model.seed, data: data.source.seed },
    /** EMA decay of the weights (notebooks train without one: the EMA is the weights). */
    ema: 0,
    ...(reflow ? { reflow: reflow.config } : {}),
    /** train.py writes it again into out/ with the trained weights in place. */
    notebook: 'notebook.flowfield.json',
  };
  const encoder = new TextEncoder();
  const files: ExportedFile[] = Object.entries(PYTHON_FILES).map(([path, text]) => ({
    path,
    bytes: encoder.encode(text),
  }));
  files.push({
    path: 'config.json',
    bytes: encoder.encode(JSON.stringify(config, null, 2) + '\n'),
  });
  if (spec.kind !== 'builtin') {
    // Drawn grids and uploaded points travel as a pool of points drawn by the playground.
    files.push({
      path: 'data.safetensors',
      bytes: dataPool(source, data.source.seed, data.source),
    });
  }
  files.push({
    path: 'notebook.flowfield.json',
    bytes: encoder.encode(notebookToFile({ notebook, weights: [...(options.weights ?? [])] })),
  });
  if (weights) {
    files.push({ path: 'weights.safetensors', bytes: modelSafetensors(weights, model.model) });
  }
  if (reflow) files.push({ path: REFLOW_TEACHER_FILE, bytes: reflow.teacherBytes });
  const fill: Record<string, string> = {
    TITLE: notebook.title,
    TRAIN_ID: trainId,
    MODEL: `${model.model.kind}, ${model.model.family === 'flow' ? `${model.model.layers} layers, ` : ''}${model.model.hiddenLayers} × ${model.model.hidden} ${model.model.activation}`,
    TRAIN: `${model.train.optimizer}, learning rate ${model.train.learningRate}, batch ${model.train.batch}, ${model.train.steps} steps`,
  };
  const readme = README_TEMPLATE.replace(/\{\{(\w+)\}\}/g, (_, key: string) => fill[key] ?? '');
  files.push({ path: 'README.md', bytes: encoder.encode(readme) });
  return files;
}

/** The project of a NICE image notebook (planImageExport): the image set instead of points. */
function imageProject(
  notebook: Notebook,
  trainId: string,
  model: ModelCell,
  plan: ImageExportPlan,
  options: PytorchExportOptions,
): ExportedFile[] {
  const weights = options.weights?.find((w) => w.trainId === trainId);
  const config = {
    format: EXPORT_FORMAT,
    version: 1,
    title: notebook.title,
    trainId,
    model: model.model,
    imageModel: plan.imageModel,
    train: model.train,
    data: plan.data,
    seeds: { model: model.model.seed, data: (plan.data['source'] as { seed?: number }).seed ?? 0 },
    ema: 0,
    notebook: 'notebook.flowfield.json',
  };
  const encoder = new TextEncoder();
  const files: ExportedFile[] = Object.entries(PYTHON_FILES).map(([path, text]) => ({
    path,
    bytes: encoder.encode(text),
  }));
  files.push({
    path: 'config.json',
    bytes: encoder.encode(JSON.stringify(config, null, 2) + '\n'),
  });
  if (options.imageAsset) files.push({ path: plan.assetPath, bytes: options.imageAsset });
  files.push({
    path: 'notebook.flowfield.json',
    bytes: encoder.encode(notebookToFile({ notebook, weights: [...(options.weights ?? [])] })),
  });
  if (weights) {
    files.push({ path: 'weights.safetensors', bytes: modelSafetensors(weights, model.model) });
  }
  const fill: Record<string, string> = {
    TITLE: notebook.title,
    TRAIN_ID: trainId,
    MODEL: plan.describe,
    TRAIN: `${model.train.optimizer}, learning rate ${model.train.learningRate}, batch ${model.train.batch}, ${model.train.steps} steps`,
  };
  const readme = README_TEMPLATE.replace(/\{\{(\w+)\}\}/g, (_, key: string) => fill[key] ?? '');
  files.push({ path: 'README.md', bytes: encoder.encode(readme) });
  return files;
}

/** The reflow teacher's weights in an export of a reflow student. */
export const REFLOW_TEACHER_FILE = 'teacher.safetensors';

/**
 * A reflow student's teacher for the export: its trained weights (the first of its Train cells
 * that has weights, as the playground's lab controller picks its first trained run) and how
 * the playground makes the pairs, so flowfield_torch/reflow.py makes the same ones. The pairs
 * live in the teacher's model coordinates, so the student trains under its normalisation.
 */
function reflowExport(notebook: Notebook, student: ModelCell, weights: readonly ModelWeights[]) {
  const resolved = reflowTeacher(notebook, student.id);
  if (!resolved) return undefined;
  if ('error' in resolved) throw new ExportError(student.id, resolved.error);
  const { teacher, trainCells, settings } = resolved;
  const trained = trainCells
    .map((cell) => weights.find((w) => w.trainId === cell.id))
    .find((w) => w !== undefined);
  if (!trained) {
    throw new ExportError(
      student.id,
      `Model cell ${student.id} trains by reflow on the pairs of its teacher ${cellName(teacher)}, ` +
        'whose trained weights go into the export: train the teacher cell first, then export.',
    );
  }
  return {
    normalization: trained.normalization,
    teacherBytes: modelSafetensors(trained, teacher.model),
    config: {
      teacher: {
        cell: teacher.id,
        trainId: trained.trainId,
        model: teacher.model,
        weights: REFLOW_TEACHER_FILE,
      },
      pairs: settings.pairs,
      steps: settings.teacherSteps,
      sampler: 'rk4',
      // The pairs' noise follows the student's seed (as in the playground), so a replay makes the same pairs.
      seed: student.model.seed,
    },
  };
}

/** DATA_POOL points drawn by the playground's CPU twin of its data sampler (data coordinates). */
function dataPool(
  source: ReturnType<typeof resolveDataset>['source'],
  seed: number,
  spec: DataSource,
): Uint8Array {
  const draws = new PointDraws(seedKey(seed), DATA_STREAM);
  const points = new Float32Array(2 * DATA_POOL);
  for (let i = 0; i < DATA_POOL; i++) {
    const [x, y] = source.sampleOne(draws.at(i, 0));
    points[2 * i] = x;
    points[2 * i + 1] = y;
  }
  return writeSafetensors(
    { points: { shape: [DATA_POOL, 2], data: points } },
    { format: 'flowfield-data', source: JSON.stringify(spec) },
  );
}
