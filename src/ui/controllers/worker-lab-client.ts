/**
 * LabClient over the Flowfield worker's LabApi (comlink). Maps the notebook's plain settings to
 * the worker's specs, keeps the worker's handle ids per Train cell, and releases them.
 */
import { proxy, transfer, type Remote } from 'comlink';
import { imageShapeOf, isImageSource, type DataSource } from '../../notebook';
import type {
  DatasetId,
  ImageSetId,
  LabApi,
  ModelId,
  ModelInfo,
  PairsId,
  RunId,
  RunProgress,
} from '../../worker/api';
import { datasetSpec, imageModelSpec, imageSetSpec, modelSpec, runOptions } from '../../specs';
import type { LabClient, ModelRequest } from './lab-client';
import { sampleOptions, workerViewClient } from './worker-view-client';
import { workerImagePreview } from './image-set-client';

/**
 * Flow matching's held-out dots: the probability-flow ODE costs a forward and a backward pass of
 * the U-Net per image, probe and stage (here 8 × 2 rows × 6 evaluations, about the work of a
 * few training steps of batch 16), so it takes far fewer images than a flow's exact 256.
 */
export const HELD_OUT_ODE = { count: 8, probes: 2, sampler: 'heun', steps: 3 } as const;

interface Handles {
  /** What the run trains on: the Data cell's dataset or image set, or a reflow student's pairs. */
  data: DatasetId | PairsId | ImageSetId;
  model: ModelId;
  run: RunId;
  /** An image flow on a shipped set: the set's held-out test split, opened on first use. */
  heldOut?: Promise<ImageSetId | undefined>;
  /** The run's image source (for its held-out split). */
  source?: DataSource;
  /** False for a reflow student created without its teacher: its run holds weights only. */
  trainable: boolean;
  listener: ((p: RunProgress) => void) | undefined;
  /** Step of the latest progress delivered, and who waits for a later one. */
  delivered: number;
  onDelivered: (() => void) | undefined;
}

/** Longest wait for a run's last progress after its step(n) call returned, ms. */
const LAST_PROGRESS_MS = 2000;

/**
 * Resolves once the progress of `step` reached the page (or after LAST_PROGRESS_MS). Progress
 * comes through the listener's own message port and the step(n) answer through the worker's,
 * and the browser does not order messages across ports: the report carrying the last losses can
 * arrive after the answer, and would otherwise be dropped with the listener.
 */
async function progressDelivered(entry: Handles, step: number): Promise<void> {
  const deadline = performance.now() + LAST_PROGRESS_MS;
  while (entry.delivered < step && performance.now() < deadline) {
    await new Promise<void>((resolve) => {
      entry.onDelivered = resolve;
      setTimeout(resolve, Math.max(0, deadline - performance.now()));
    });
  }
  entry.onDelivered = undefined;
}

/** Why a run cannot train: a reflow student created without its teacher. */
const NO_TEACHER =
  'This reflow student was loaded without its teacher: train its teacher cell, then train this cell to make it learn from the teacher.';

/** The worker's LabClient, which always imports weights. */
export type WorkerLabClient = LabClient & Required<Pick<LabClient, 'importWeights'>>;

/** The worker's spec of a request's model: an image model on the Data cell's images, or 2-D. */
function workerModelSpec(request: ModelRequest) {
  const { image, seed } = request.model;
  const shape = imageShapeOf(request.data);
  return image && shape ? imageModelSpec(image, shape, seed) : modelSpec(request.model);
}

export function workerLabClient(api: Remote<LabApi>): WorkerLabClient {
  /** Each model's info from createModel (its spec names an image model's shape). */
  const infos = new Map<ModelId, ModelInfo>();
  const modelInfo = async (id: ModelId): Promise<ModelInfo> => {
    const info = infos.get(id);
    if (!info) throw new Error(`${id} is not one of this page's models.`);
    return info;
  };
  const runs = new Map<string, Handles>();
  /** Speed caps by Train cell: a run created later starts with its cell's. */
  const speedCaps = new Map<string, number>();
  const previews = new Map<string, { key: string; id: Promise<DatasetId> }>();

  async function previewDataset(source: DataSource): Promise<DatasetId> {
    const key = JSON.stringify(source);
    const cached = previews.get(key);
    if (cached) return cached.id;
    const id = api.createDataset(datasetSpec(source)).then((info) => info.id);
    previews.set(key, { key, id });
    id.catch(() => previews.delete(key));
    // Keep a few recent previews; release the oldest.
    if (previews.size > 8) {
      const [oldest] = previews.keys();
      const old = previews.get(oldest!)!;
      previews.delete(oldest!);
      void old.id.then((d) => api.disposeDataset(d)).catch(() => undefined);
    }
    return id;
  }

  async function release(runId: string): Promise<void> {
    const handles = runs.get(runId);
    if (!handles) return;
    runs.delete(runId);
    await api.disposeRun(handles.run).catch(() => undefined);
    await api.disposeModel(handles.model).catch(() => undefined);
    infos.delete(handles.model);
    await disposeData(handles.data);
    const heldOut = await handles.heldOut?.catch(() => undefined);
    if (heldOut) await disposeData(heldOut);
  }

  async function disposeData(data: DatasetId | PairsId | ImageSetId): Promise<void> {
    const done = data.startsWith('pairs:')
      ? api.disposeReflowPairs(data as PairsId)
      : data.startsWith('image set:')
        ? api.disposeImageSet(data as ImageSetId)
        : api.disposeDataset(data as DatasetId);
    await done.catch(() => undefined);
  }

  /**
   * A reflow student's pairs, made by its teacher's trained model; the student's own dataset
   * otherwise (and for a reflow student without a teacher, which is created but never trains).
   */
  async function trainingData(request: ModelRequest): Promise<DatasetId | PairsId | ImageSetId> {
    const { teacher } = request;
    if (request.model.image && isImageSource(request.data)) {
      return (await api.openImageSet(imageSetSpec(request.data, request.pixels))).id;
    }
    if (!teacher || request.model.pairing !== 'reflow') {
      return (await api.createDataset(datasetSpec(request.data))).id;
    }
    const source = runs.get(teacher.trainId);
    if (!source) {
      throw new Error(
        'The reflow teacher has no trained model yet: train the teacher cell first, then this one.',
      );
    }
    const pairs = await api.createReflowPairs(source.model, {
      count: teacher.pairs,
      sampler: 'rk4',
      steps: teacher.steps,
      seed: teacher.seed,
    });
    return pairs.id;
  }

  function handles(runId: string): Handles {
    const found = runs.get(runId);
    if (!found) throw new Error('This model has not been created yet: press Train.');
    return found;
  }

  /**
   * The test split of the run's shipped image set (opened on first use), or undefined for a
   * user's set. It is held out from training whatever split the Data cell trains on (for split
   * 'test' or 'all' the dots are not held out: the cell says which split it is).
   */
  async function heldOutSet(entry: Handles): Promise<ImageSetId | undefined> {
    const source = entry.source;
    if (source?.kind !== 'images') return undefined;
    entry.heldOut ??= api
      .openImageSet(imageSetSpec({ ...source, split: 'test' }, undefined))
      .then((set) => set.id);
    return entry.heldOut;
  }

  /** The run of `runId`, to train or steer: a run without its training data cannot. */
  function runOf(runId: string): RunId {
    const { run, trainable } = handles(runId);
    if (!trainable) throw new Error(NO_TEACHER);
    return run;
  }

  return {
    probe: () => api.probe(),
    debugLoseDevice: () => api.debugLoseDevice(),
    onLabEvent: (listener) => api.subscribe(proxy(listener)),
    async compileProgress() {
      const status = await api.gpuStatus();
      return { compiled: status.compiledKernels, expected: status.expectedKernels };
    },
    imagePreview: workerImagePreview(api),
    async sampleData(source, count, seed) {
      return api.sampleDataset(await previewDataset(source), count, { seed });
    },
    async createRun(runId, request: ModelRequest) {
      await release(runId);
      const { model, train } = request;
      const data = await trainingData(request);
      let modelId: ModelId | undefined;
      try {
        const info = await api.createModel(workerModelSpec(request));
        modelId = info.id;
        infos.set(modelId, info);
        // A reflow student trains only on its teacher's pairs (the worker refuses plain data):
        // without them its run holds imported weights only.
        const trainable = model.pairing !== 'reflow' || data.startsWith('pairs:');
        // Progress goes to the entry made once the run exists (none comes before it is used).
        const target: { entry?: Handles } = {};
        const run = await api.createRun(
          modelId,
          trainable ? data : null,
          { ...runOptions(train), maxStepsPerSecond: speedCaps.get(runId) },
          proxy((p: RunProgress) => {
            const { entry } = target;
            if (!entry) return;
            entry.delivered = p.step;
            entry.listener?.(p);
            entry.onDelivered?.();
          }),
        );
        const entry: Handles = {
          data,
          model: modelId,
          run,
          trainable,
          source: request.data,
          listener: undefined,
          delivered: 0,
          onDelivered: undefined,
        };
        target.entry = entry;
        runs.set(runId, entry);
      } catch (error) {
        if (modelId) await api.disposeModel(modelId).catch(() => undefined);
        await disposeData(data);
        throw error;
      }
    },
    async train(runId, steps, onProgress) {
      const entry = handles(runId);
      const run = runOf(runId);
      entry.listener = onProgress;
      try {
        const end = await api.step(run, steps);
        await progressDelivered(entry, end.step);
        return end;
      } finally {
        entry.listener = undefined;
      }
    },
    async pause(runId) {
      await api.pause(runOf(runId));
    },
    async importWeights(runId, weights, steps) {
      const bytes = weights.params.slice().buffer;
      return api.importRunWeights(handles(runId).run, transfer(bytes, [bytes]), {
        step: steps,
        normalization: weights.normalization,
      });
    },
    async stop(runId) {
      const run = runs.get(runId)?.run;
      if (run) await api.stop(run);
    },
    async setLearningRate(runId, lr) {
      await api.setLearningRate(runOf(runId), lr);
    },
    async sampleModel(runId, count, seed, sampler) {
      // The worker passes sampler options through to diffusion models; flows ignore them.
      const options: { seed: number } = { seed, ...sampleOptions(sampler) };
      return api.sample(handles(runId).model, count, options);
    },
    async sampleImages(runId, count, request) {
      const { model } = handles(runId);
      // The shape first (cached): a 2-D model is refused before any sampling work.
      const shape = (await modelInfo(model)).spec as { shape?: [number, number, number] };
      if (!shape.shape) throw new Error('This run’s model is a 2-D model, not an image model.');
      const values = await api.sample(model, count, request);
      return { count, shape: shape.shape, values };
    },
    async imageView(runId, request) {
      const { model, data } = handles(runId);
      // The nearest-image view searches, the interpolation reads, the set the run trains on.
      const set = request.view === 'film-strip' ? {} : { set: data as ImageSetId };
      return api.imageView(model, { ...request, ...set });
    },
    async heldOutBits(runId, count) {
      const entry = handles(runId);
      const info = infos.get(entry.model);
      const spec = info?.spec as { family?: string; kind?: string } | undefined;
      const ode = spec?.family === 'image-diffusion' && spec.kind === 'flow-matching';
      if (spec?.family !== 'image-flow' && !ode) return undefined;
      const set = await heldOutSet(entry);
      if (!set) return undefined;
      const estimate = await api.imageBitsPerDim(entry.model, set, ode ? HELD_OUT_ODE : { count });
      return {
        bits: estimate.mean,
        standardError: estimate.standardError,
        count: estimate.count,
        ...(ode ? { ode: HELD_OUT_ODE } : {}),
      };
    },
    async frechet(runId, count, request) {
      const entry = handles(runId);
      const set = await heldOutSet(entry);
      if (!set) return undefined;
      return api.imageFrechet(entry.model, set, { count, sample: request });
    },
    disposeRun: release,
    views: workerViewClient(api, (runId) => handles(runId).model, datasetSpec),
    async modelLogProb(runId, points) {
      return api.logProb(handles(runId).model, points);
    },
    async dataLogProb(source, points) {
      return api.datasetLogProb(await previewDataset(source), points);
    },
    async parameterCount(runId) {
      // The exported float32 parameters: 4 bytes each.
      return (await api.exportParams(handles(runId).model)).byteLength / 4;
    },
    async setBatchSize(runId, batch) {
      await api.setBatchSize(runOf(runId), batch);
    },
    async setSpeedCap(runId, stepsPerSecond) {
      if (stepsPerSecond === null) speedCaps.delete(runId);
      else speedCaps.set(runId, stepsPerSecond);
      const run = runs.get(runId)?.run;
      if (run) await api.setSpeedCap(run, stepsPerSecond);
    },
  };
}
