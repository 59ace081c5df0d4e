/**
 * The ViewClient over the worker's LabApi: maps layer requests in the notebook's terms (Train
 * cell ids, data sources) to the worker's handles and transfers canvases. Data layers get their
 * own datasets, held while some view shows them (the preview cache evicts, which must not pull
 * data out from under a view).
 */
import { transfer, type Remote } from 'comlink';
import type { DataSource } from '../../notebook';
import type { DatasetId, LabApi, ModelId, RenderReport, ViewId, ViewLayer } from '../../worker/api';
import type {
  LayerSource,
  SamplerChoice,
  ViewClient,
  ViewLayerRequest,
  ViewReport,
} from './view-client';

export function toViewReport(report: RenderReport): ViewReport {
  return {
    width: report.width,
    height: report.height,
    visible: report.visible,
    ticks: report.ticks,
    legend: report.legend,
    warpStages: report.warpStages,
    nfe: report.nfe ?? null,
    field: report.field ?? null,
  };
}

/** The worker's sampler options for a choice (undefined for flows). */
export function sampleOptions(choice: SamplerChoice | undefined) {
  return choice ? { sampler: choice.sampler, steps: choice.steps } : undefined;
}

export function workerViewClient(
  api: Remote<LabApi>,
  /** The worker's model of a Train cell (throws a readable error before it exists). */
  modelOf: (runId: string) => ModelId,
  datasetSpec: (source: DataSource) => Parameters<LabApi['createDataset']>[0],
): ViewClient {
  const datasets = new Map<string, { id: Promise<DatasetId>; views: Set<string> }>();

  function dataset(view: string, source: DataSource): Promise<DatasetId> {
    const key = JSON.stringify(source);
    let entry = datasets.get(key);
    if (!entry) {
      const id = api.createDataset(datasetSpec(source)).then((info) => info.id);
      entry = { id, views: new Set() };
      datasets.set(key, entry);
      id.catch(() => datasets.delete(key));
    }
    entry.views.add(view);
    return entry.id;
  }

  /** Lets go of the datasets `view` no longer uses (all of them when `keep` is empty). */
  function release(view: string, keep: ReadonlySet<string>): void {
    for (const [key, entry] of datasets) {
      if (keep.has(key) || !entry.views.delete(view) || entry.views.size > 0) continue;
      datasets.delete(key);
      void entry.id.then((d) => api.disposeDataset(d)).catch(() => undefined);
    }
  }

  async function source(view: string, from: LayerSource) {
    return 'run' in from
      ? { model: modelOf(from.run) }
      : { dataset: await dataset(view, from.data) };
  }

  async function toLayer(view: string, layer: ViewLayerRequest): Promise<ViewLayer> {
    switch (layer.kind) {
      case 'points':
        return {
          kind: 'points',
          source: await source(view, layer.source),
          count: layer.count,
          seed: layer.seed,
          color: layer.color,
          alpha: layer.alpha,
          ...(layer.sample ? { sample: sampleOptions(layer.sample) } : {}),
        };
      case 'heatmap':
        return {
          kind: 'heatmap',
          source: await source(view, layer.source),
          ...(layer.resolution ? { resolution: layer.resolution } : {}),
        };
      case 'warp':
        return {
          kind: 'warp',
          model: modelOf(layer.run),
          direction: 'forward',
          stage: layer.stage,
          ...(layer.lines ? { lines: layer.lines } : {}),
          ...(layer.pointsPerLine ? { pointsPerLine: layer.pointsPerLine } : {}),
        };
      case 'trajectories':
        return {
          kind: 'trajectories',
          model: modelOf(layer.run),
          count: layer.count,
          seed: layer.seed,
          upTo: layer.upTo,
          color: layer.color,
          alpha: layer.alpha,
          ...(layer.sample ? { sample: sampleOptions(layer.sample) } : {}),
        };
      case 'field':
        return {
          kind: 'field',
          model: modelOf(layer.run),
          t: layer.t,
          resolution: layer.resolution,
          color: layer.color,
          alpha: layer.alpha,
        };
    }
  }

  const id = (view: string) => view as ViewId;
  return {
    async createView(canvas, setup) {
      return api.createView(transfer(canvas, [canvas]), setup);
    },
    async setLayers(view, layers) {
      const mapped = await Promise.all(layers.map((layer) => toLayer(view, layer)));
      await api.setViewLayers(id(view), mapped);
      const shown = layers.flatMap((l) =>
        (l.kind === 'points' || l.kind === 'heatmap') && 'data' in l.source
          ? [JSON.stringify(l.source.data)]
          : [],
      );
      release(view, new Set(shown));
    },
    setBounds: (view, bounds) => api.setViewBounds(id(view), bounds),
    resize: (view, width, height, ratio) => api.resizeView(id(view), width, height, ratio),
    render: async (view) => toViewReport(await api.render(id(view))),
    setWarpStage: async (view, stage) => toViewReport(await api.setWarpStage(id(view), stage)),
    setLive: (view, live) => api.setViewLive(id(view), live),
    readPixels: (view) => api.readPixels(id(view)),
    async dispose(view) {
      release(view, new Set());
      await api.disposeView(id(view));
    },
  };
}
