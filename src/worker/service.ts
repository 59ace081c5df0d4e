// Over 400 lines on purpose: the LabApi's methods, each a thin call into the lab and the records.
/**
 * LabApi implemented over a LabSession: handle ids in, structured-cloneable values out, big
 * arrays transferred. Each method checks its arguments and throws errors that say what was
 * expected, what came, and what to do; comlink hands them to the page as rejected promises.
 */
import { transfer } from 'comlink';
import type { Normalization } from '../lab/models';
import { trainerEma } from '../lab/training';
import type {
  DatasetId,
  ImageSetId,
  LabApi,
  ModelId,
  PairsId,
  RunId,
  ViewId,
  WorkerGpuReport,
} from './api';
import { checkRunData, createWorkerModel } from './image-models';
import { floats, transferred } from './arrays';
import { copyNormalization, importedValues, type ModelRecord } from './records';
import { imageSetMethods } from './image-sets';
import { imageViewMethods } from './image-views';
import { pairsFromSnapshot, pairsInfo, snapshotTeacher, teacherProblem } from './reflow';
import { RunController } from './runs';
import type { LabSession } from './session';
import { ViewLoop } from './view-loop';
import { ViewController } from './views';

export function createLabService(session: LabSession): LabApi {
  const loop = new ViewLoop(() => session.views.values());
  /** createModel calls in progress (their kernels are what gpuStatus().expectedKernels counts). */
  let modelsBeingCreated = 0;

  const model = async (id: ModelId): Promise<ModelRecord> => {
    await session.ready();
    return session.models.get(id);
  };
  const run = (id: RunId): RunController => session.runs.get(id);
  const view = async (id: ViewId): Promise<ViewController> => {
    await session.ready();
    return session.views.get(id);
  };
  const refuseWhileTraining = (record: ModelRecord, what: string): void => {
    if (record.run === undefined) return;
    const state = session.runs.get(record.run).progress().state;
    if (state === 'running' || state === 'recovering') {
      throw new Error(
        `${record.id} is training (${record.run}); pause or stop the run before ${what}.`,
      );
    }
  };

  /** Puts exported parameters into a model: the checkpoint a recovery rebuilds it from, too. */
  const importInto = async (
    record: ModelRecord,
    params: ArrayBuffer,
    normalization: Normalization | undefined,
  ): Promise<void> => {
    const values = importedValues(params);
    refuseWhileTraining(record, 'importing parameters');
    record.model.importParams(values.slice());
    if (normalization) record.model.normalization = copyNormalization(normalization);
    // Moments of other parameters would mislead the next segment's first steps.
    if (record.run !== undefined) session.runs.get(record.run).forgetOptimizer();
    const step = record.run === undefined ? 0 : session.runs.get(record.run).progress().step;
    record.checkpoint = {
      step,
      params: values,
      normalization: copyNormalization(record.model.normalization),
      loss: NaN,
    };
    record.version++;
  };

  return {
    async probe(): Promise<WorkerGpuReport> {
      const { lab } = await session.ready();
      const { context } = lab.runtime;
      const limits = context.device.limits;
      return {
        ...context.adapterInfo,
        features: [...context.device.features].sort(),
        limits: {
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      };
    },

    async gpuStatus() {
      const scope = await session.ready();
      const pipelines = scope.lab.runtime.pipelines;
      return {
        compiledKernels: pipelines.compileCount,
        compiledRenderPipelines: scope.renderPipelines.compileCount,
        // Every kernel requested so far, compiled or compiling: a model requests its kernels
        // up front and in parallel, so this is the denominator of the compile fraction.
        expectedKernels:
          modelsBeingCreated > 0 ? Math.max(pipelines.size, pipelines.compileCount) : null,
        deviceGeneration: scope.generation,
      };
    },

    async subscribe(listener) {
      session.subscribe(listener);
    },

    async datasetNames() {
      return (await session.ready()).lab.datasetNames();
    },

    async createDataset(spec) {
      const { lab } = await session.ready();
      const dataset = lab.dataset(spec);
      const record = session.datasets.add((id) => ({ id, spec, dataset }));
      return {
        id: record.id,
        name: dataset.name,
        bounds: dataset.view,
        hasLogProb: dataset.hasLogProb,
        normalization: copyNormalization(dataset.normalizer),
      };
    },

    async sampleDataset(id, n, options = {}) {
      await session.ready();
      return transferred(await session.datasets.get(id).dataset.sample(n, options));
    },

    async datasetLogProb(id, points) {
      await session.ready();
      const values = floats(points, 'datasetLogProb(points)');
      return transferred(await session.datasets.get(id).dataset.logProb(values));
    },

    async disposeDataset(id) {
      const record = session.datasets.get(id);
      for (const r of session.runs.values()) {
        if (r.dataset === id && r.progress().state === 'running') {
          throw new Error(`${id} feeds ${r.id}, which is training; stop or dispose the run first.`);
        }
      }
      session.datasets.delete(id);
      record.dataset.dispose();
    },

    ...imageSetMethods(session),
    ...imageViewMethods(session),

    async createModel(spec) {
      modelsBeingCreated++;
      let created: Awaited<ReturnType<typeof createWorkerModel>>;
      try {
        // Kernels compile here: a device lost meanwhile is recovered from, not reported.
        created = await session.onLiveDevice(({ lab }) => createWorkerModel(lab, spec));
      } finally {
        modelsBeingCreated--;
      }
      const record = session.models.add((id) => ({
        id,
        spec,
        model: created,
        checkpoint: undefined,
        version: 0,
        run: undefined,
        pendingNaN: false,
      }));
      return {
        id: record.id,
        spec: created.spec,
        parameterCount: created.parameterCount,
        capabilities: { trace: created.capabilities.trace },
      };
    },

    async sample(id, n, options = {}) {
      return transferred(await (await model(id)).model.sample(n, options));
    },

    async logProb(id, points) {
      const values = floats(points, 'logProb(points)');
      return transferred(await (await model(id)).model.logProb(values));
    },

    async trace(id, points, direction = 'forward') {
      const record = await model(id);
      if (!record.model.capabilities.trace) {
        throw new TypeError(
          `${id} is a ${record.spec.family} model, which cannot trace points layer by layer; ` +
            'trace() works for flows.',
        );
      }
      const stages = await record.model.trace(floats(points, 'trace(points)'), direction);
      return transfer(
        stages,
        stages.map((s) => s.buffer as ArrayBuffer),
      );
    },

    async exportParams(id) {
      const params = await (await model(id)).model.exportParams();
      const whole = params.byteOffset === 0 && params.byteLength === params.buffer.byteLength;
      // A readback owns its buffer: hand it over as is (a copy only if it is a view into more).
      const bytes = whole
        ? (params.buffer as ArrayBuffer)
        : (params.buffer as ArrayBuffer).slice(
            params.byteOffset,
            params.byteOffset + params.byteLength,
          );
      return transfer(bytes, [bytes]);
    },

    async importParams(id, params, normalization?: Normalization) {
      await importInto(await model(id), params, normalization);
    },

    async importRunWeights(id, params, { step, normalization }) {
      const controller = run(id);
      const record = await model(controller.model);
      return controller.importWeights(step, () => importInto(record, params, normalization));
    },

    async checkpoint(id) {
      const record = await model(id);
      const checkpoint = record.checkpoint;
      if (!checkpoint) return null;
      const params = checkpoint.params.slice().buffer;
      const ema = checkpoint.optimizer ? trainerEma(checkpoint.optimizer).slice().buffer : null;
      return transfer(
        {
          model: id,
          step: checkpoint.step,
          params,
          ema,
          normalization: copyNormalization(checkpoint.normalization),
          loss: checkpoint.loss,
        },
        ema ? [params, ema] : [params],
      );
    },

    async disposeModel(id) {
      const record = session.models.get(id);
      if (record.run !== undefined) {
        await session.runs.get(record.run).dispose();
        session.runs.delete(record.run);
      }
      session.models.delete(id);
      record.model.dispose();
    },

    async createReflowPairs(teacherId, options) {
      const { lab } = await session.ready();
      const record = session.models.get(teacherId);
      const progress = record.run === undefined ? undefined : run(record.run).progress();
      const problem = teacherProblem(
        record,
        progress?.step,
        progress?.state === 'running' || progress?.state === 'recovering',
      );
      if (problem) throw new Error(problem);
      const snapshot = await snapshotTeacher(record, progress?.step ?? 0);
      // Made from the snapshot even now, so that a rebuild after a device loss is the same code
      // on the same weights: the same pairs.
      const pairs = await pairsFromSnapshot(lab, snapshot, options);
      const created = session.pairs.add((id) => ({
        id,
        teacher: teacherId,
        snapshot,
        options: { ...options },
        pairs,
      }));
      return pairsInfo(created);
    },

    async readReflowPairs(id) {
      await session.ready();
      const { x, z } = await session.pairs.get(id).pairs.read();
      return transfer({ x, z }, [x.buffer as ArrayBuffer, z.buffer as ArrayBuffer]);
    },

    async disposeReflowPairs(id) {
      const record = session.pairs.get(id);
      for (const r of session.runs.values()) {
        if (r.dataset === id && r.progress().state === 'running') {
          throw new Error(`${id} feeds ${r.id}, which is training; stop or dispose the run first.`);
        }
      }
      session.pairs.delete(id);
      record.pairs.dispose();
    },

    async createRun(modelId, datasetId, options, onProgress) {
      const record = await model(modelId);
      const onPairs = datasetId !== null && datasetId.startsWith('pairs:');
      const onImages = datasetId !== null && datasetId.startsWith('image set:');
      if (onPairs) session.pairs.get(datasetId as PairsId);
      else if (onImages) session.imageSets.get(datasetId as ImageSetId);
      else if (datasetId !== null) session.datasets.get(datasetId as DatasetId);
      checkRunData(
        record.model,
        datasetId,
        onImages ? session.imageSets.get(datasetId as ImageSetId).dataset : undefined,
      );
      const pairing =
        record.model.spec.family === 'diffusion' ? record.model.spec.pairing : undefined;
      // Without data (weights only), any model may have a run; it just cannot train.
      if (pairing === 'reflow' && !onPairs && datasetId !== null) {
        throw new Error(
          `${modelId} has pairing 'reflow': it trains on a teacher's pairs (createReflowPairs), not on ${datasetId}.`,
        );
      }
      if (onPairs && pairing !== 'reflow') {
        throw new Error(
          `${datasetId} are reflow pairs, which train a flow-matching model with pairing 'reflow'; ${modelId} has pairing '${pairing ?? 'independent'}'.`,
        );
      }
      if (record.run !== undefined) {
        throw new Error(
          `${modelId} already has ${record.run}; dispose it (disposeRun) before creating another.`,
        );
      }
      const controller = session.runs.add(
        (id) => new RunController(id, modelId, datasetId, session, options, onProgress),
      );
      record.run = controller.id;
      return controller.id;
    },

    start: (id) => run(id).start(),
    pause: (id) => run(id).pause(),
    resume: (id) => run(id).resume(),
    step: (id, n) => run(id).stepBy(n),
    stop: (id) => run(id).stop(),
    reset: (id) => run(id).reset(),
    setLearningRate: async (id, lr) => run(id).setLearningRate(lr),
    setBatchSize: (id, batch) => run(id).setBatchSize(batch),
    setSpeedCap: async (id, stepsPerSecond) => run(id).setSpeedCap(stepsPerSecond),
    runStatus: async (id) => run(id).progress(),
    waitForRun: (id) => run(id).untilSettled(),

    async disposeRun(id) {
      const controller = run(id);
      await controller.dispose();
      session.runs.delete(id);
      if (session.models.has(controller.model))
        session.models.get(controller.model).run = undefined;
    },

    async createView(canvas, options) {
      if (!(canvas instanceof OffscreenCanvas)) {
        throw new TypeError(
          'createView expects an OffscreenCanvas transferred from the page: ' +
            'api.createView(transfer(offscreen, [offscreen]), options) with ' +
            'offscreen = canvas.transferControlToOffscreen().',
        );
      }
      const scope = await session.ready();
      return session.views.add((id) => new ViewController(id, canvas, options, session, scope)).id;
    },

    async setViewLayers(id, layers) {
      await (await view(id)).setLayers(layers);
    },

    async setViewBounds(id, bounds) {
      (await view(id)).setBounds(bounds);
    },

    async resizeView(id, cssWidth, cssHeight, pixelRatio) {
      (await view(id)).resize(cssWidth, cssHeight, pixelRatio);
    },

    async setWarpStage(id, stage) {
      const v = await view(id);
      v.setWarpStage(stage);
      return v.render({ refresh: false });
    },

    async render(id, options) {
      return (await view(id)).render(options);
    },

    async setViewLive(id, options) {
      const v = await view(id);
      v.live = { ...options };
      loop.wake();
    },

    async viewStatus(id) {
      return (await view(id)).status();
    },

    async readPixels(id) {
      const image = await (await view(id)).readPixels();
      return transfer(image, [image.data.buffer as ArrayBuffer]);
    },

    async disposeView(id) {
      const v = session.views.get(id);
      session.views.delete(id);
      v.dispose();
    },

    async debugInjectNaN(id) {
      const record = await model(id);
      const state =
        record.run === undefined ? 'idle' : session.runs.get(record.run).progress().state;
      if (state === 'running') {
        record.pendingNaN = true;
        return;
      }
      const params = await record.model.exportParams();
      record.model.importParams(params.fill(NaN));
      record.version++;
    },

    async debugInjectGpuError(kind, message) {
      await session.injectGpuError(kind, message);
    },

    async debugLoseDevice() {
      await session.loseDevice();
    },

    async debugThrowUncaught(message) {
      setTimeout(() => {
        throw new Error(message);
      }, 0);
    },
  };
}
