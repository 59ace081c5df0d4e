/**
 * The page `npm run pretrain` (scripts/pretrain.mjs) drives in headless Chromium: trains every
 * Train cell of a gallery notebook through the worker's LabApi (the app's own path: same
 * datasets, models, seeds and chunked training) and returns the .flowfield.json text with the
 * exact float32 weights.
 */
import { startWorker } from '../worker/client';
import { notebookToFile, trainInputs, type ModelWeights } from '../notebook';
import { GALLERY } from './notebooks';
import { datasetSpec, modelSpec, runOptions } from '../specs';

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
  }[];
}

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
    const dataset = await api.createDataset(datasetSpec(data.source));
    const created = await api.createModel(modelSpec(model.model));
    const run = await api.createRun(created.id, dataset.id, runOptions(model.train));
    const end = await api.step(run, model.train.steps);
    if (end.state === 'failed') {
      throw new Error(`${name}/${cell.id}: training failed: ${end.notice?.message ?? 'unknown'}`);
    }
    const params = new Float32Array(await api.exportParams(created.id));
    weights.push({
      trainId: cell.id,
      steps: end.step,
      params,
      normalization: dataset.normalization,
    });
    models.push({
      trainId: cell.id,
      kind: model.model.kind,
      steps: end.step,
      params: params.length,
      lastLoss: end.loss,
      seconds: (performance.now() - start) / 1000,
    });
    await api.disposeRun(run);
    await api.disposeModel(created.id);
    await api.disposeDataset(dataset.id);
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
