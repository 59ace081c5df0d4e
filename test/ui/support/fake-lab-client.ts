/** A deterministic, GPU-free LabClient for component tests: records calls, fakes training. */
import type { RunId, ModelId } from '../../../src/worker/api';
import type {
  GpuReport,
  LabClient,
  ModelRequest,
  RunProgress,
  SamplerChoice,
} from '../../../src/ui/controllers/lab-client';

export const FAKE_REPORT: GpuReport = {
  vendor: 'fake',
  architecture: 'test',
  device: '',
  description: '',
  isFallback: false,
  features: [],
  limits: { maxStorageBufferBindingSize: 1 << 27, maxComputeInvocationsPerWorkgroup: 256 },
};

/** A worker progress report (src/worker/api.ts RunProgress): `fields` over quiet defaults. */
export function workerProgress(
  fields: Pick<RunProgress, 'step' | 'totalSteps' | 'losses' | 'state'> & Partial<RunProgress>,
): RunProgress {
  return {
    run: 'run:1' as RunId,
    model: 'model:1' as ModelId,
    loss: fields.losses.at(-1) ?? Number.NaN,
    learningRate: 1e-3,
    batch: 256,
    stepsPerSecond: 100,
    samplesPerSecond: 25600,
    dispatchesPerStep: 0,
    gpuMsPerStep: null,
    checkpointStep: null,
    speedCap: null,
    ...fields,
  };
}

function ring(count: number, radius: number): Float32Array {
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const a = (2 * Math.PI * i) / count;
    out[2 * i] = radius * Math.cos(a);
    out[2 * i + 1] = radius * Math.sin(a);
  }
  return out;
}

export class FakeLabClient implements LabClient {
  readonly calls: string[] = [];
  readonly requests = new Map<string, ModelRequest>();
  /** Each run's step, as the worker counts it. */
  protected steps = new Map<string, number>();
  /** Each run's batch size and speed cap, as the worker would report them. */
  readonly batches = new Map<string, number>();
  readonly speedCaps = new Map<string, number>();
  probeError: string | undefined;
  /** Set by a test that plays the worker's events. */
  onLabEvent?: LabClient['onLabEvent'];

  probe(): Promise<GpuReport> {
    this.calls.push('probe');
    return this.probeError
      ? Promise.reject(new Error(this.probeError))
      : Promise.resolve(FAKE_REPORT);
  }
  async sampleData(_source: unknown, count: number): Promise<Float32Array> {
    this.calls.push('sampleData');
    return ring(count, 1);
  }
  async createRun(runId: string, request: ModelRequest): Promise<void> {
    this.calls.push(`createRun ${runId} ${request.model.kind}`);
    this.requests.set(runId, request);
    this.steps.set(runId, 0);
    this.batches.set(runId, request.train.batch);
  }
  async train(
    runId: string,
    steps: number,
    onProgress: (p: RunProgress) => void,
  ): Promise<RunProgress> {
    this.calls.push(`train ${runId} ${steps}`);
    const start = this.steps.get(runId) ?? 0;
    const losses = new Float32Array(steps).map((_, i) => 3 / (1 + (start + i) / 10));
    onProgress(
      workerProgress({
        step: start + steps,
        totalSteps: start + steps,
        losses,
        state: 'running',
        batch: this.batches.get(runId) ?? 256,
        speedCap: this.speedCaps.get(runId) ?? null,
      }),
    );
    this.steps.set(runId, start + steps);
    // The worker's final report: the run reached its step target.
    return workerProgress({
      step: start + steps,
      totalSteps: start + steps,
      losses: new Float32Array(0),
      state: 'done',
      batch: this.batches.get(runId) ?? 256,
      speedCap: this.speedCaps.get(runId) ?? null,
    });
  }
  async pause(runId: string) {
    this.calls.push(`pause ${runId}`);
  }
  async stop(runId: string) {
    this.calls.push(`stop ${runId}`);
  }
  async setSpeedCap(runId: string, stepsPerSecond: number | null) {
    this.calls.push(`speed ${runId} ${stepsPerSecond}`);
    if (stepsPerSecond === null) this.speedCaps.delete(runId);
    else this.speedCaps.set(runId, stepsPerSecond);
  }
  async setLearningRate(runId: string, lr: number) {
    this.calls.push(`lr ${runId} ${lr}`);
  }
  /** Every sampleModel call's count and sampler, in order. */
  readonly sampleRequests: { runId: string; count: number; sampler?: SamplerChoice }[] = [];
  async sampleModel(
    runId: string,
    count: number,
    _seed?: number,
    sampler?: SamplerChoice,
  ): Promise<Float32Array> {
    this.calls.push(`sampleModel ${runId}`);
    this.sampleRequests.push({ runId, count, ...(sampler ? { sampler } : {}) });
    return ring(count, 0.8);
  }
  async disposeRun(runId: string) {
    this.calls.push(`disposeRun ${runId}`);
  }
}
