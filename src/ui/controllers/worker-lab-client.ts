/**
 * LabClient over the Flowfield worker's LabApi (comlink). Maps the notebook's plain settings to
 * the worker's specs, keeps the worker's handle ids per Train cell, and releases them.
 */
import { proxy, type Remote } from 'comlink';
import type { DataSource, ModelSettings, TrainSettings } from '../../notebook';
import type { DatasetSpec } from '../../data/spec';
import type {
  DatasetId,
  LabApi,
  ModelId,
  RunId,
  RunOptions,
  RunProgress as WorkerProgress,
} from '../../worker/api';
// Pure, GPU-free parser: pasted points are validated and parsed on the page.
import { parsePoints } from '../../data/points';
import type { ModelSpec } from '../../lab/models';
import type { LabClient, ModelRequest, RunProgress } from './lab-client';
import { sampleOptions, workerViewClient } from './worker-view-client';

/** Drawn grids cover this square of data space. */
export const GRID_BOUNDS = [-4, -4, 4, 4] as const;

/** The worker's dataset spec for a Data cell's source (the gallery's pretraining uses it too). */
export function datasetSpec(source: DataSource): DatasetSpec {
  switch (source.kind) {
    case 'builtin':
      return { name: source.name, seed: source.seed };
    case 'points':
      return { points: parsePoints(source.text), jitter: source.jitter, seed: source.seed };
    case 'grid':
      return {
        grid: {
          width: source.width,
          height: source.height,
          weights: source.weights,
          bounds: [...GRID_BOUNDS],
        },
        seed: source.seed,
      };
  }
}

/**
 * The worker's model spec for a Model cell's settings. Diffusion models take the cell's hidden
 * layers as their depth (`layers` counts a flow's couplings); flow matching has no noise
 * schedule, T or prediction target, so those are left out (the library refuses them).
 */
export function modelSpec(model: ModelSettings): ModelSpec {
  if (model.family === 'flow') {
    return {
      family: 'flow',
      kind: model.kind as 'nice' | 'realnvp' | 'glow' | 'spline',
      layers: model.layers,
      hidden: model.hidden,
      hiddenLayers: model.hiddenLayers,
      activation: model.activation,
      seed: model.seed,
    };
  }
  const common = {
    family: 'diffusion' as const,
    hidden: model.hidden,
    layers: model.hiddenLayers,
    activation: model.activation,
    seed: model.seed,
  };
  if (model.kind === 'flow-matching') return { ...common, kind: 'flow-matching' };
  return {
    ...common,
    kind: 'ddpm',
    schedule: model.noiseSchedule,
    timesteps: model.timesteps,
    prediction: model.prediction,
  };
}

/** The worker's run options for a Model cell's training settings. */
export function runOptions(train: TrainSettings): RunOptions {
  return {
    steps: train.steps,
    batch: train.batch,
    optimizer: {
      kind: train.optimizer,
      lr: train.learningRate,
      ...(train.schedule === 'cosine'
        ? { schedule: { kind: 'cosine' as const, totalSteps: train.steps } }
        : {}),
    },
  };
}

function toProgress(p: WorkerProgress): RunProgress {
  return {
    step: p.step,
    totalSteps: p.totalSteps,
    loss: p.loss,
    losses: p.losses,
    learningRate: p.learningRate,
    stepsPerSecond: p.stepsPerSecond,
    samplesPerSecond: p.samplesPerSecond,
    gpuMsPerStep: p.gpuMsPerStep ?? undefined,
    state: p.state === 'recovering' ? 'running' : p.state,
    notice: p.notice?.message,
    ...(p.notice ? { noticeKind: p.notice.kind } : {}),
    ...(p.checkpointStep !== null ? { checkpointStep: p.checkpointStep } : {}),
    batch: p.batch,
    dispatchesPerStep: p.dispatchesPerStep,
  };
}

interface Handles {
  dataset: DatasetId;
  model: ModelId;
  run: RunId;
  listener: ((p: RunProgress) => void) | undefined;
}

export function workerLabClient(api: Remote<LabApi>): LabClient {
  const runs = new Map<string, Handles>();
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
    await api.disposeDataset(handles.dataset).catch(() => undefined);
  }

  function handles(runId: string): Handles {
    const found = runs.get(runId);
    if (!found) throw new Error('This model has not been created yet: press Train.');
    return found;
  }

  return {
    probe: () => api.probe(),
    async sampleData(source, count, seed) {
      return api.sampleDataset(await previewDataset(source), count, { seed });
    },
    async createRun(runId, request: ModelRequest) {
      await release(runId);
      const { model, train, data } = request;
      const dataset = (await api.createDataset(datasetSpec(data))).id;
      let modelId: ModelId | undefined;
      try {
        modelId = (await api.createModel(modelSpec(model))).id;
        const entry: Handles = { dataset, model: modelId, run: '' as RunId, listener: undefined };
        entry.run = await api.createRun(
          modelId,
          dataset,
          runOptions(train),
          proxy((p: WorkerProgress) => entry.listener?.(toProgress(p))),
        );
        runs.set(runId, entry);
      } catch (error) {
        if (modelId) await api.disposeModel(modelId).catch(() => undefined);
        await api.disposeDataset(dataset).catch(() => undefined);
        throw error;
      }
    },
    async train(runId, steps, onProgress) {
      const entry = handles(runId);
      entry.listener = onProgress;
      try {
        const end = await api.step(entry.run, steps);
        if (end.state === 'failed') throw new Error(end.notice?.message ?? 'Training failed.');
        onProgress(toProgress(end));
        return { steps: end.step, finalLoss: end.loss, stopped: end.state === 'stopped' };
      } finally {
        entry.listener = undefined;
      }
    },
    async pause(runId) {
      await api.pause(handles(runId).run);
    },
    async resume(runId) {
      await api.resume(handles(runId).run);
    },
    async stop(runId) {
      const entry = runs.get(runId);
      if (entry) await api.stop(entry.run);
    },
    async setLearningRate(runId, lr) {
      await api.setLearningRate(handles(runId).run, lr);
    },
    async sampleModel(runId, count, seed, sampler) {
      // The worker passes sampler options through to diffusion models; flows ignore them.
      const options: { seed: number } = { seed, ...sampleOptions(sampler) };
      return api.sample(handles(runId).model, count, options);
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
      await api.setBatchSize(handles(runId).run, batch);
    },
  };
}
