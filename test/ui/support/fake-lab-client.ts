/** A deterministic, GPU-free LabClient for component tests: records calls, fakes training. */
import type {
  GpuReport,
  LabClient,
  ModelRequest,
  RunProgress,
  RunSummary,
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
  private steps = new Map<string, number>();
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
  }
  async train(
    runId: string,
    steps: number,
    onProgress: (p: RunProgress) => void,
  ): Promise<RunSummary> {
    this.calls.push(`train ${runId} ${steps}`);
    const start = this.steps.get(runId) ?? 0;
    const losses = new Float32Array(steps).map((_, i) => 3 / (1 + (start + i) / 10));
    onProgress({
      step: start + steps,
      totalSteps: start + steps,
      loss: losses[steps - 1]!,
      losses,
      learningRate: 1e-3,
      stepsPerSecond: 100,
      samplesPerSecond: 25600,
      state: 'running',
    });
    this.steps.set(runId, start + steps);
    return { steps: start + steps, finalLoss: losses[steps - 1]!, stopped: false };
  }
  async pause(runId: string) {
    this.calls.push(`pause ${runId}`);
  }
  async resume(runId: string) {
    this.calls.push(`resume ${runId}`);
  }
  async stop(runId: string) {
    this.calls.push(`stop ${runId}`);
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
