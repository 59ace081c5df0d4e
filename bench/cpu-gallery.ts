/**
 * Time to first samples of the gallery notebooks without WebGPU (issue #19): each notebook's
 * weights loaded into the CPU lab (src/lab/cpu-lab.ts), then what its View cells show computed as
 * the worker's CPU backend does (src/worker/cpu-layers.ts): the model's samples (the page's and
 * the points layer's, one computation), the data points and the overlay (density, warp, paths,
 * field). Run by bench/cpu-gallery.mjs in Node on this machine's CPU; prints a table.
 */
import { openCpuLab, type CpuDataset, type CpuLabModel } from '../src/lab/cpu-lab';
import { notebookFromFile, trainInputs, viewSource, type Notebook } from '../src/notebook';
import { datasetSpec, modelSpec } from '../src/specs';
import { sampleOptions } from '../src/ui/controllers/worker-view-client';
import { viewLayers } from '../src/ui/view-cell/view-layers';
import type { DatasetId, ModelId, ViewLayer } from '../src/worker/api';
import { prepareLayer, type CpuViewSources } from '../src/worker/cpu-layers';
import { fitView } from '../src/render/view-transform';

export interface CpuGalleryRow {
  notebook: string;
  view: string;
  model: string;
  /** Weights into the CPU models (all Train cells of the notebook). */
  importMs: number;
  /** The model's samples (the page's and the points layer's). */
  samplesMs: number;
  /** Every other layer of the View cell (data points, overlay). */
  layersMs: number;
  /** Opening to the whole View cell's data: import + samples + layers. */
  totalMs: number;
}

export function measureNotebook(name: string, text: string): CpuGalleryRow[] {
  const lab = openCpuLab();
  const started = performance.now();
  const payload = notebookFromFile(text);
  const notebook: Notebook = payload.notebook;
  const models = new Map<string, CpuLabModel>();
  const datasets = new Map<string, CpuDataset>();
  for (const weights of payload.weights) {
    const { model, data } = trainInputs(notebook, weights.trainId);
    if (!model || !data) continue;
    const cpu = lab.createModel(modelSpec(model.model));
    cpu.importParams(weights.params);
    cpu.normalization = {
      shift: [...weights.normalization.shift],
      scale: [...weights.normalization.scale],
    };
    models.set(weights.trainId, cpu);
    datasets.set(weights.trainId, lab.dataset(datasetSpec(data.source)));
  }
  const importMs = performance.now() - started;
  const rows: CpuGalleryRow[] = [];
  for (const cell of notebook.cells) {
    if (cell.kind !== 'view') continue;
    const train = viewSource(notebook, cell.id);
    const inputs = train && trainInputs(notebook, train.id);
    const model = train && models.get(train.id);
    const dataset = train && datasets.get(train.id);
    if (!train || !inputs?.model || !model || !dataset) continue;
    const cache = new Map<string, Float32Array>();
    const sources: CpuViewSources = {
      model: () => ({ model, version: 1 }),
      dataset: () => dataset,
      sample: (_id, n, options) => {
        const key = JSON.stringify([n, options]);
        if (!cache.has(key)) cache.set(key, model.sample(n, options as { seed?: number }));
        return cache.get(key)!;
      },
    };
    const requests = viewLayers({
      cell,
      run: train.id,
      kind: inputs.model.model.kind,
      data: inputs.data?.source,
      warpStages: null,
    });
    const layers: ViewLayer[] = requests.map((r) => toLayer(r));
    const visible = fitView(dataset.view, 4, 3).visible;
    const t0 = performance.now();
    // The page asks for the samples first (LabController.sample), then the view draws.
    const samples = layers.find((l) => l.kind === 'points' && 'model' in l.source);
    if (samples) prepareLayer(sources, samples, visible);
    const t1 = performance.now();
    for (const layer of layers) if (layer !== samples) prepareLayer(sources, layer, visible);
    const t2 = performance.now();
    rows.push({
      notebook: name,
      view: cell.id,
      model: `${inputs.model.model.kind}${samples && 'sample' in samples && samples.sample ? ` ${samples.sample.sampler}-${samples.sample.steps}` : ''}, overlay ${cell.overlay}`,
      importMs,
      samplesMs: t1 - t0,
      layersMs: t2 - t1,
      totalMs: importMs + (t2 - t0),
    });
  }
  return rows;
}

/** The worker's layer for a View cell's request (worker-view-client.ts's mapping, ids made up). */
function toLayer(request: ReturnType<typeof viewLayers>[number]): ViewLayer {
  const model = 'model:1' as ModelId;
  const source = (from: { run: string } | { data: unknown }) =>
    'run' in from ? { model } : { dataset: 'dataset:1' as DatasetId };
  switch (request.kind) {
    case 'points':
    case 'trajectories': {
      const sample = request.sample ? { sample: sampleOptions(request.sample) } : {};
      return request.kind === 'points'
        ? { ...request, source: source(request.source), ...sample }
        : { ...request, model, ...sample };
    }
    case 'heatmap':
      return { kind: 'heatmap', source: source(request.source), resolution: request.resolution };
    case 'warp':
      return { kind: 'warp', model, direction: 'forward', stage: request.stage };
    case 'field':
      return { ...request, model };
  }
}
