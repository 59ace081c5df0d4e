/**
 * The page `npm run pretrain` (scripts/pretrain.mjs) drives in headless Chromium: trains every
 * Train cell of a gallery notebook through the worker's LabApi (the app's own path: same
 * datasets and image sets, models, seeds and chunked training) and returns the .flowfield.json
 * text with the exact float32 weights (and an image flow's held-out bits/dim).
 */
import { startWorker } from '../worker/client';
import {
  IMAGE_MODEL_KINDS_INFO,
  imageShapeOf,
  notebookToFile,
  trainInputs,
  type ModelWeights,
} from '../notebook';
import { GALLERY } from './notebooks';
import { datasetSpec, imageModelSpec, imageSetSpec, modelSpec, runOptions } from '../specs';

export interface PretrainResult {
  name: string;
  title: string;
  summary: string;
  file: string;
  models: {
    trainId: string;
    kind: string;
    steps: number;
    params: number;
    lastLoss: number;
    seconds: number;
    /** An image flow on a shipped set: bits/dim of the first 1000 held-out test images. */
    heldOutBits?: number;
  }[];
}

/** Held-out test images an image flow's bits/dim is measured on after pretraining. */
const HELD_OUT_IMAGES = 1000;

const worker = startWorker(new URL('./worker.js', import.meta.url));

async function pretrain(name: string): Promise<PretrainResult> {
  const entry = GALLERY.find((e) => e.name === name);
  if (!entry) throw new Error(`No gallery notebook named ${name}.`);
  const api = worker.api;
  const weights: ModelWeights[] = [];
  const models: PretrainResult['models'] = [];
  for (const cell of entry.notebook.cells) {
    if (cell.kind !== 'train') continue;
    const { model, data } = trainInputs(entry.notebook, cell.id);
    if (!model || !data) throw new Error(`${name}/${cell.id}: no Model or Data cell above it.`);
    const start = performance.now();
    const image = model.model.image;
    const shape = imageShapeOf(data.source);
    const source = data.source;
    // An image notebook trains on its shipped set, as the app does (worker-lab-client.ts).
    const dataset =
      image && shape && source.kind === 'images'
        ? await api.openImageSet(imageSetSpec(source, undefined))
        : await api.createDataset(datasetSpec(data.source));
    const created = await api.createModel(
      image && shape ? imageModelSpec(image, shape, model.model.seed) : modelSpec(model.model),
    );
    const run = await api.createRun(created.id, dataset.id, runOptions(model.train));
    const end = await api.step(run, model.train.steps);
    if (end.state === 'failed') {
      throw new Error(`${name}/${cell.id}: training failed: ${end.notice?.message ?? 'unknown'}`);
    }
    const seconds = (performance.now() - start) / 1000;
    const params = new Float32Array(await api.exportParams(created.id));
    weights.push({
      trainId: cell.id,
      steps: end.step,
      params,
      // Image models scale their pixels themselves: the identity, as the app records it.
      normalization:
        'normalization' in dataset ? dataset.normalization : { shift: [0, 0], scale: [1, 1] },
    });
    let heldOutBits: number | undefined;
    if (
      image &&
      source.kind === 'images' &&
      IMAGE_MODEL_KINDS_INFO[image.kind].family === 'image-flow'
    ) {
      const test = await api.openImageSet(imageSetSpec({ ...source, split: 'test' }, undefined));
      heldOutBits = (await api.imageBitsPerDim(created.id, test.id, { count: HELD_OUT_IMAGES }))
        .mean;
      await api.disposeImageSet(test.id);
    }
    models.push({
      trainId: cell.id,
      kind: image?.kind ?? model.model.kind,
      steps: end.step,
      params: params.length,
      lastLoss: end.loss,
      seconds,
      ...(heldOutBits === undefined ? {} : { heldOutBits }),
    });
    await api.disposeRun(run);
    await api.disposeModel(created.id);
    if ('normalization' in dataset) await api.disposeDataset(dataset.id);
    else await api.disposeImageSet(dataset.id);
  }
  return {
    name,
    title: entry.title,
    summary: entry.summary,
    file: notebookToFile({ notebook: entry.notebook, weights }),
    models,
  };
}

declare global {
  interface Window {
    flowfieldPretrain?: {
      entries: { name: string; title: string; summary: string }[];
      probe: () => Promise<string>;
      pretrain: (name: string) => Promise<PretrainResult>;
    };
  }
}

window.flowfieldPretrain = {
  entries: GALLERY.map(({ name, title, summary }) => ({ name, title, summary })),
  probe: async () => {
    const report = await worker.api.probe();
    return `${report.vendor} ${report.architecture} ${report.description}`.trim();
  },
  pretrain,
};
