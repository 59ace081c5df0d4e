/**
 * LabApi without WebGPU: the same handles, checks and answers as service.ts, served by the CPU
 * lab (src/lab/cpu-lab.ts) and drawn by CPU views (cpu-views.ts). A notebook's weights load
 * and show their samples, densities and paths; everything that trains (runs, reflow pairs)
 * rejects with the note that says why and which browsers train.
 */
import { transfer } from 'comlink';
import { openCpuLab, type CpuDataset, type CpuLabModel } from '../lab/cpu-lab';
import { isImageSpec, type WorkerModelSpec } from './image-models';
import type { ModelSpec, Normalization } from '../lab/models';
import type {
  DatasetId,
  LabApi,
  LabEventListener,
  ModelId,
  RunId,
  RunProgress,
  ViewId,
  WorkerGpuReport,
} from './api';
import { CpuViewController } from './cpu-views';
import { copyNormalization, importedValues } from './records';
import { floats, transferred } from './arrays';
import { Registry } from './registry';

export type CpuFallback = NonNullable<WorkerGpuReport['cpuFallback']>;

/** Browsers that train (WebGPU), named in the note. */
export const WEBGPU_BROWSERS =
  'Chrome and Edge 113+, Safari 26+, and Firefox with WebGPU enabled (dom.webgpu.enabled)';

const WHY: Record<CpuFallback['reason'], string> = {
  'no-navigator-gpu': 'this browser has no WebGPU (navigator.gpu is missing)',
  'no-adapter': 'WebGPU found no GPU adapter',
  'device-request-failed': 'the GPU device request failed',
};

/** The note shown without WebGPU (what works, why training does not, which browsers train). */
export function cpuFallbackNote(reason: CpuFallback['reason']): string {
  return (
    `Viewing without WebGPU: ${WHY[reason]}. Samples, densities and paths of the loaded weights ` +
    `are computed on the CPU; training needs WebGPU. Browsers that have it: ${WEBGPU_BROWSERS}.`
  );
}

interface CpuModelRecord {
  id: ModelId;
  model: CpuLabModel;
  /** Grows on every import: views recompute what they drew from the model. */
  version: number;
  /** The latest import (exportWeights reads its normalisation). */
  imported: { params: Float32Array; normalization: Normalization } | undefined;
  /**
   * The latest samples and what drew them: the page's samples and its view's points layer ask
   * for the same ones (count, seed, sampler), and on the CPU they cost a second or so.
   */
  lastSample: { key: string; points: Float32Array } | undefined;
}

type SampleRequest = { seed?: number; sampler?: string; steps?: number; eta?: number };

/** Samples of a model, reusing the latest ones when nothing that draws them changed. */
function samplesOf(record: CpuModelRecord, n: number, options: SampleRequest): Float32Array {
  const { model } = record;
  // A flow draws with its seed only; a diffusion model with its sampler too.
  const drawnWith =
    model.spec.family === 'flow'
      ? { seed: options.seed ?? 0 }
      : {
          seed: options.seed ?? model.spec.seed,
          sampler: options.sampler ?? null,
          steps: options.steps ?? null,
          eta: options.eta ?? null,
        };
  const key = JSON.stringify([record.version, n, drawnWith]);
  if (record.lastSample?.key !== key) {
    record.lastSample = { key, points: model.sampleWith(n, options) };
  }
  return record.lastSample.points.slice();
}

interface CpuRunRecord {
  id: RunId;
  model: ModelId;
  steps: number;
  batch: number;
  lr: number;
  /** 'idle', or 'done' at `step` once weights were imported (importRunWeights). */
  state: 'idle' | 'done';
  step: number;
}

export function createCpuService(fallback: CpuFallback): LabApi {
  const lab = openCpuLab();
  const datasets = new Registry<DatasetId, { id: DatasetId; dataset: CpuDataset }>(
    'dataset',
    'create it again with createDataset()',
  );
  const models = new Registry<ModelId, CpuModelRecord>(
    'model',
    'create it again with createModel()',
  );
  const runs = new Registry<RunId, CpuRunRecord>('run', 'create it again with createRun()');
  const views = new Registry<ViewId, CpuViewController>(
    'view',
    'create it again with createView()',
  );
  const listeners = new Set<LabEventListener>();
  const sources = {
    model: (id: ModelId) => models.get(id),
    sample: (id: ModelId, n: number, options: SampleRequest) =>
      samplesOf(models.get(id), n, options),
    dataset: (id: DatasetId) => datasets.get(id).dataset,
  };
  const cannot = (what: string) => async (): Promise<never> => {
    throw new Error(`${what} needs WebGPU. ${fallback.note}`);
  };
  const progress = (run: CpuRunRecord): RunProgress => ({
    run: run.id,
    model: run.model,
    state: run.state,
    step: run.step,
    totalSteps: run.steps,
    loss: NaN,
    losses: new Float32Array(0),
    learningRate: run.lr,
    batch: run.batch,
    stepsPerSecond: 0,
    samplesPerSecond: 0,
    dispatchesPerStep: 0,
    gpuMsPerStep: null,
    checkpointStep: null,
    speedCap: null,
  });
  const idle = async (id: RunId) => progress(runs.get(id));

  /** Puts exported parameters into a model (checkpoint() hands them back). */
  const importInto = (
    record: CpuModelRecord,
    params: ArrayBuffer,
    normalization: Normalization | undefined,
  ): void => {
    const values = importedValues(params);
    record.model.importParams(values);
    if (normalization) record.model.normalization = copyNormalization(normalization);
    record.imported = {
      params: values.slice(),
      normalization: copyNormalization(record.model.normalization),
    };
    record.version++;
  };

  return {
    async probe(): Promise<WorkerGpuReport> {
      return {
        vendor: 'none (CPU)',
        architecture: 'JavaScript',
        device: '',
        description: 'No WebGPU: samples, densities and paths are computed on the CPU.',
        isFallback: true,
        features: [],
        limits: { maxStorageBufferBindingSize: 0, maxComputeInvocationsPerWorkgroup: 0 },
        cpuFallback: { ...fallback },
      };
    },
    async gpuStatus() {
      return {
        compiledKernels: 0,
        compiledRenderPipelines: 0,
        expectedKernels: null,
        deviceGeneration: 0,
      };
    },
    async subscribe(listener) {
      listeners.add(listener);
    },
    async datasetNames() {
      return lab.datasetNames();
    },

    async createDataset(spec) {
      const dataset = lab.dataset(spec);
      const record = datasets.add((id) => ({ id, dataset }));
      return {
        id: record.id,
        name: dataset.name,
        bounds: dataset.view,
        hasLogProb: dataset.hasLogProb,
        normalization: copyNormalization(dataset.normalizer),
      };
    },
    async sampleDataset(id, n, options = {}) {
      return transferred(datasets.get(id).dataset.sample(n, options));
    },
    async datasetLogProb(id, points) {
      return transferred(
        datasets.get(id).dataset.logProb(floats(points, 'datasetLogProb(points)')),
      );
    },
    async disposeDataset(id) {
      datasets.get(id);
      datasets.delete(id);
    },

    async createModel(spec: WorkerModelSpec) {
      // Image models train and sample with WebGPU kernels only: refused, saying so.
      if (isImageSpec(spec)) await cannot(`An image model (${spec.family} '${spec.kind}')`)();
      const model = lab.createModel(spec as ModelSpec);
      const record = models.add((id) => ({
        id,
        model,
        version: 0,
        imported: undefined,
        lastSample: undefined,
      }));
      return {
        id: record.id,
        spec: model.spec,
        parameterCount: model.parameterCount,
        capabilities: { trace: model.capabilities.trace },
      };
    },
    async sample(id, n, options = {}) {
      return transferred(samplesOf(models.get(id), n, options));
    },
    async logProb(id, points) {
      return transferred(models.get(id).model.logProb(floats(points, 'logProb(points)')));
    },
    async trace(id, points, direction = 'forward') {
      const { model, spec } = { model: models.get(id).model, spec: models.get(id).model.spec };
      if (!model.capabilities.trace) {
        throw new TypeError(
          `${id} is a ${spec.family} model, which cannot trace points layer by layer; trace() works for flows.`,
        );
      }
      const stages = model.trace(floats(points, 'trace(points)'), direction);
      return transfer(
        stages,
        stages.map((s) => s.buffer as ArrayBuffer),
      );
    },
    async exportParams(id) {
      const bytes = models.get(id).model.exportParams().buffer as ArrayBuffer;
      return transfer(bytes, [bytes]);
    },
    async importParams(id, params, normalization?: Normalization) {
      importInto(models.get(id), params, normalization);
    },
    async importRunWeights(id, params, { step, normalization }) {
      const run = runs.get(id);
      if (!Number.isInteger(step) || step < 0) {
        throw new RangeError(
          `importRunWeights needs the steps the weights were trained for, an integer ≥ 0, got ${String(step)}.`,
        );
      }
      importInto(models.get(run.model), params, normalization);
      run.state = 'done';
      run.step = step;
      run.steps = step;
      return progress(run);
    },
    async checkpoint(id) {
      const imported = models.get(id).imported;
      if (!imported) return null;
      const params = imported.params.slice().buffer;
      return transfer(
        {
          model: id,
          step: 0,
          params,
          ema: null,
          normalization: copyNormalization(imported.normalization),
          loss: NaN,
        },
        [params],
      );
    },
    async disposeModel(id) {
      models.get(id);
      for (const run of runs.values()) if (run.model === id) runs.delete(run.id);
      models.delete(id);
    },

    createReflowPairs: cannot('Making reflow pairs'),
    readReflowPairs: cannot('Reflow pairs'),
    disposeReflowPairs: cannot('Reflow pairs'),

    // A run can exist (the page creates one with every model) but never trains.
    async createRun(modelId, _data, options) {
      models.get(modelId);
      return runs.add((id) => ({
        id,
        model: modelId,
        steps: options.steps,
        batch: options.batch,
        lr: options.optimizer.lr,
        state: 'idle',
        step: 0,
      })).id;
    },
    start: cannot('Training'),
    resume: cannot('Training'),
    step: cannot('Training'),
    async reset(id) {
      const run = runs.get(id);
      run.state = 'idle';
      run.step = 0;
      return progress(run);
    },
    pause: idle,
    stop: idle,
    setLearningRate: cannot('Training'),
    setBatchSize: cannot('Training'),
    setSpeedCap: cannot('Training'),
    runStatus: idle,
    waitForRun: idle,
    async disposeRun(id) {
      runs.get(id);
      runs.delete(id);
    },

    async createView(canvas, options) {
      if (!(canvas instanceof OffscreenCanvas)) {
        throw new TypeError(
          'createView expects an OffscreenCanvas transferred from the page: ' +
            'api.createView(transfer(offscreen, [offscreen]), options) with ' +
            'offscreen = canvas.transferControlToOffscreen().',
        );
      }
      return views.add((id) => new CpuViewController(id, canvas, options, sources)).id;
    },
    async setViewLayers(id, layers) {
      views.get(id).setLayers(layers);
    },
    async setViewBounds(id, bounds) {
      views.get(id).setBounds(bounds);
    },
    async resizeView(id, cssWidth, cssHeight, pixelRatio) {
      views.get(id).resize(cssWidth, cssHeight, pixelRatio);
    },
    async setWarpStage(id, stage) {
      const view = views.get(id);
      view.setWarpStage(stage);
      return view.render();
    },
    async render(id, options) {
      return views.get(id).render(options);
    },
    // Nothing trains, so nothing moves between renders: live only records the wish.
    async setViewLive(id, options) {
      views.get(id).live = { ...options };
    },
    async viewStatus(id) {
      return views.get(id).status();
    },
    async readPixels(id) {
      const image = views.get(id).readPixels();
      return transfer(image, [image.data.buffer as ArrayBuffer]);
    },
    async disposeView(id) {
      const view = views.get(id);
      views.delete(id);
      view.dispose();
    },

    openImageSet: cannot('Opening an image data set'),
    imageSetPreview: cannot('An image set preview'),
    disposeImageSet: cannot('An image data set'),
    imageBitsPerDim: cannot('Held-out bits/dim of an image model'),
    imageView: cannot('An image view of an image model'),
    imageFrechet: cannot('The Fréchet distance of an image model'),
    debugInjectNaN: cannot('Injecting NaN into training'),
    debugLoseDevice: cannot('Losing the GPU device'),
    debugInjectGpuError: cannot('A GPU error'),
    async debugThrowUncaught(message) {
      setTimeout(() => {
        throw new Error(message);
      }, 0);
    },
  };
}
