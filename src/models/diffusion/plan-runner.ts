// Over 400 lines on purpose: one encoder of every sampler plan; its stages share the ping-pong buffers.
/**
 * Runs a Plan (plan.ts) on the GPU: per network evaluation one MLP dispatch (the fused MLP, or
 * the forward-with-tangents kernel when the likelihood needs the exact divergence) and one
 * solver-stage dispatch; many evaluations per submit; samples in chunks. The float64 twin is
 * runPlan in reference/plan-runner.ts (same plan, same Philox noise).
 */
import { type CompiledKernel, type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import { activationId } from '../../nn/activations';
import { FusedMlp } from '../../nn/fused-mlp';
import { mlpNet, type DenoiserNet } from './denoiser';
import { embeddingFrequency, type EmbeddingShape } from '../../nn/reference/embedding';
import { seedKey } from '../../rng/philox';
import { FusedRun, fusedEligible, type FusedKernels } from './fused-sampler';
import {
  fusedSamplerKernel,
  fusedSamplerTuning,
  jvpTuning,
  mlpJvpKernel,
  solverStageKernel,
  type StageEntry,
} from './kernels';
import type { Plan } from './plan';

const STORAGE = STORAGE_USAGE;
/** Floats of a plan record before the embedding (PLAN_* in solver-stage.wgsl; EMB = 16). */
const RECORD_HEADER = 16;
/** Most samples one chunk of a run holds (buffers are sized for it). */
export const MAX_CHUNK = 16_384;

export interface PlanRunOptions {
  /** Sampling: how many samples. Likelihood / data trajectories: ignored (points decide). */
  count?: number;
  /** Likelihood (and trajectories from data): the starting points, flat (x0, y0, …). */
  points?: ArrayLike<number>;
  /** Seed of the initial and stage noise. */
  seed: number;
  /** The weights and where the MLP's block starts in them (floats). */
  params: GPUBuffer | GPUBufferBinding;
  paramOffset: number;
  /** Most points per chunk (default MAX_CHUNK; runs with trajectories use one chunk). */
  chunk?: number;
  /**
   * true: a sampling plan without trajectories runs fused (fused-sampler.ts: many stages per
   * dispatch, the network evaluated in the kernel) instead of staged (two dispatches per network
   * evaluation). Same plan, NFE and noise either way. Opt-in: on SwiftShader the fused kernel
   * measured 4–6× slower than the staged path (README, "Fast sampling").
   */
  fused?: boolean;
  /**
   * Model → data coordinates, applied on the GPU to the final points (data = scale·x + shift)
   * and log-densities (− log(scale_x·scale_y)). Default: identity (results in model units).
   */
  output?: DataTransform;
}

export interface DataTransform {
  shift: readonly [number, number];
  scale: readonly [number, number];
}

/** GPU buffers a run writes its results into instead of reading them back (runInto). */
export interface PlanTargets {
  /** Final points, 2 floats per point, written from float offset 2·first. */
  points?: GPUBuffer;
  /** Likelihood plans: log p, 1 float per point. */
  logProb?: GPUBuffer;
}

export interface PlanRunResult {
  /** The final points x, flat. */
  x: Float32Array;
  /** Likelihood plans: log p of each starting point (nats, model coordinates). */
  logProb?: Float32Array;
  /** plan.snapshots arrays of the points, each flat. */
  trajectory: Float32Array[];
  /** Network evaluations per point (the plan's NFE). */
  nfe: number;
  /** Dispatches recorded per chunk. */
  dispatches: number;
}

/** The plan's records as the stage kernel reads them: header, stages, sentinel. */
export function encodePlan(
  plan: Plan,
  embedding: EmbeddingShape,
  recordFloats: number,
  output: DataTransform = { shift: [0, 0], scale: [1, 1] },
) {
  const records = plan.stages.length + 2;
  const words = new Uint32Array(records * recordFloats);
  const floats = new Float32Array(words.buffer);
  const half = embedding.features / 2;
  // Header: PLAN_DATA_SCALE (0, 1), PLAN_DATA_SHIFT (2, 3), PLAN_DATA_LOG_DET (4).
  floats.set(
    [...output.scale, ...output.shift, Math.log(Math.abs(output.scale[0] * output.scale[1]))],
    0,
  );
  floats[10] = plan.initScale;
  floats[11] = plan.outputScale;
  floats[12] = plan.priorVariance;
  plan.stages.forEach((s, i) => {
    const at = (i + 1) * recordFloats;
    floats.set([s.cx, s.cn, s.w, s.a, s.m, s.sigma, s.inputScale], at);
    words[at + 7] = (s.last ? 1 : 0) | (s.snapshot >= 0 ? 2 : 0);
    words[at + 8] = Math.max(0, s.snapshot);
    words[at + 9] = s.noiseStep;
    for (let k = 0; k < half; k++) {
      const angle = embeddingFrequency(embedding, k) * s.time.net;
      floats[at + RECORD_HEADER + k] = Math.sin(angle);
      floats[at + RECORD_HEADER + half + k] = Math.cos(angle);
    }
  });
  floats[(records - 1) * recordFloats + 6] = plan.outputScale;
  return words;
}

interface Variant {
  init: CompiledKernel;
  stage: CompiledKernel;
  finish: CompiledKernel;
}

/** The network and solver kernels of one model shape; runs any plan of that model. */
export class PlanRunner {
  private readonly variants = new Map<string, Promise<Variant>>();
  private jvp: Promise<CompiledKernel> | undefined;
  private fused: Promise<FusedKernels> | undefined;
  private readonly net: DenoiserNet;
  readonly recordFloats: number;

  /** `network`: the denoiser (a bare FusedMlp is the plain 'mlp' architecture). */
  constructor(
    private readonly runtime: GpuRuntime,
    network: FusedMlp | DenoiserNet,
    readonly embedding: EmbeddingShape,
  ) {
    const mlp = network instanceof FusedMlp ? mlpNet(runtime, network) : network;
    this.net = mlp;
    if (mlp.shape.inputs !== 2 + embedding.features || mlp.shape.outputs !== 2) {
      throw new RangeError(
        `A denoiser MLP must map 2 + ${embedding.features} inputs to 2 outputs, got ` +
          `${mlp.shape.inputs} → ${mlp.shape.outputs}.`,
      );
    }
    const align = runtime.device.limits.minStorageBufferOffsetAlignment;
    const bytes = (RECORD_HEADER + embedding.features) * 4;
    this.recordFloats = (Math.ceil(bytes / align) * align) / 4;
  }

  get shape() {
    return this.net.shape;
  }

  /** Compiles what `plan` needs (also done by run; call early to overlap compiles). */
  async prepare(plan: Plan, fromPoints = plan.mode === 'likelihood'): Promise<void> {
    await Promise.all([
      this.variant(plan.mode === 'likelihood', plan.snapshots > 0, fromPoints),
      plan.mode === 'likelihood' ? this.jvpKernel() : undefined,
    ]);
  }

  async run(plan: Plan, options: PlanRunOptions): Promise<PlanRunResult> {
    return (await this.execute(plan, options, undefined)) as PlanRunResult;
  }

  /**
   * Runs the plan and leaves the final points (and log-densities) in the given GPU buffers:
   * nothing is read back, and the promise resolves once the work is submitted (later GPU work
   * on the same queue sees the results). Returns the plan's NFE.
   */
  async runInto(
    plan: Plan,
    options: PlanRunOptions,
    targets: PlanTargets,
  ): Promise<{ nfe: number; dispatches: number }> {
    if (plan.snapshots > 0) {
      throw new Error('runInto() returns no trajectories: use run() for plans with snapshots.');
    }
    if (targets.logProb && plan.mode !== 'likelihood') {
      throw new Error('Only a likelihood plan has log-densities to write into targets.logProb.');
    }
    const total = options.points !== undefined ? options.points.length / 2 : (options.count ?? 0);
    const need = (buffer: GPUBuffer | undefined, bytes: number, what: string) => {
      if (buffer && buffer.size < bytes) {
        throw new RangeError(
          `targets.${what} holds ${buffer.size} bytes; ${total} points need ${bytes}.`,
        );
      }
    };
    need(targets.points, total * 8, 'points');
    need(targets.logProb, total * 4, 'logProb');
    const { nfe, dispatches } = await this.execute(plan, options, targets);
    return { nfe, dispatches };
  }

  private async execute(
    plan: Plan,
    options: PlanRunOptions,
    /** runInto: results go here and nothing is read back; run: undefined. */
    targets: PlanTargets | undefined,
  ): Promise<Omit<PlanRunResult, 'x'> & { x?: Float32Array }> {
    const likelihood = plan.mode === 'likelihood';
    const fromPoints = options.points !== undefined;
    if (likelihood && !fromPoints) {
      throw new Error('A likelihood plan needs the points whose log-density to compute.');
    }
    const total = fromPoints ? options.points!.length / 2 : (options.count ?? 0);
    if (!Number.isInteger(total) || total < 1) {
      throw new RangeError(`A plan run needs at least one point, got ${total}.`);
    }
    if (options.fused === true && fusedEligible(plan, this.net, fromPoints)) {
      return this.executeFused(plan, options, targets, total);
    }
    const [variant, jvp] = await Promise.all([
      this.variant(likelihood, plan.snapshots > 0, fromPoints),
      likelihood ? this.jvpKernel() : undefined,
    ]);
    const chunk = Math.min(total, plan.snapshots > 0 ? total : (options.chunk ?? MAX_CHUNK));
    const run = new ChunkedRun(this.runtime, this.net, plan, this, variant, jvp, chunk, options);
    try {
      const x = targets ? undefined : new Float32Array(2 * total);
      const logProb = likelihood && !targets ? new Float32Array(total) : undefined;
      const trajectory = Array.from({ length: plan.snapshots }, () => new Float32Array(2 * total));
      for (let first = 0; first < total; first += chunk) {
        const n = Math.min(chunk, total - first);
        const part = await run.runChunk(first, n, targets);
        if (part.x) x?.set(part.x, 2 * first);
        if (part.logProb) logProb?.set(part.logProb, first);
        part.trajectory.forEach((slot, i) => trajectory[i]!.set(slot, 2 * first));
      }
      return { x, logProb, trajectory, nfe: plan.nfe, dispatches: run.dispatches };
    } finally {
      run.dispose();
    }
  }

  /** A sampling plan in budget-sized dispatches of many stages each (fused-sampler.ts). */
  private async executeFused(
    plan: Plan,
    options: PlanRunOptions,
    targets: PlanTargets | undefined,
    total: number,
  ): Promise<PlanRunResult> {
    const kernels = await this.fusedKernels();
    const chunk = Math.min(total, options.chunk ?? MAX_CHUNK);
    const records = encodePlan(plan, this.embedding, this.recordFloats, options.output);
    const run = new FusedRun(
      this.runtime,
      this.net,
      plan,
      records,
      this.recordFloats,
      kernels,
      chunk,
      options.seed,
      options.params,
      options.paramOffset,
    );
    try {
      const x = new Float32Array(targets ? 0 : 2 * total);
      for (let first = 0; first < total; first += chunk) {
        const n = Math.min(chunk, total - first);
        const part = await run.runChunk(first, n, targets?.points);
        if (part) x.set(part, 2 * first);
      }
      return { x, trajectory: [], nfe: plan.nfe, dispatches: run.dispatches };
    } finally {
      run.dispose();
    }
  }

  private fusedKernels(): Promise<FusedKernels> {
    const shape = this.net.shape;
    const tuning = fusedSamplerTuning(this.runtime.context.adapterInfo);
    this.fused ??= Promise.all([
      this.variant(false, false, false),
      this.runtime.pipelines.get(fusedSamplerKernel, {
        FEATURES: this.embedding.features,
        RECORD: this.recordFloats,
        HIDDEN: shape.hidden,
        HIDDEN_LAYERS: shape.hiddenLayers,
        RESIDUAL: this.net.architecture === 'resmlp',
        ACTIVATION: activationId(shape.activation),
        SAMPLES: tuning.samples,
        WORKGROUP_SIZE: tuning.workgroupSize,
      }),
    ]).then(([variant, fused]) => ({
      init: variant.init,
      finish: variant.finish,
      fused,
      samples: tuning.samples,
    }));
    this.fused.catch(() => (this.fused = undefined));
    return this.fused;
  }

  private variant(likelihood: boolean, snapshots: boolean, fromPoints: boolean): Promise<Variant> {
    const key = `${likelihood}/${snapshots}/${fromPoints}`;
    let found = this.variants.get(key);
    if (!found) {
      const constants = {
        FEATURES: this.embedding.features,
        RECORD: this.recordFloats,
        OUT_STRIDE: likelihood ? 6 : 2,
        DIVERGENCE: likelihood,
        SNAPSHOTS: snapshots,
      };
      const get = (entry: StageEntry) =>
        this.runtime.pipelines.get(solverStageKernel(entry), constants);
      found = Promise.all([
        get(fromPoints ? 'init_points' : 'init_noise'),
        get('stage'),
        get('finish'),
      ]).then(([init, stage, finish]) => ({ init, stage, finish }));
      found.catch(() => this.variants.delete(key));
      this.variants.set(key, found);
    }
    return found;
  }

  private jvpKernel(): Promise<CompiledKernel> {
    const shape = this.net.shape;
    const width = Math.max(shape.inputs, shape.hidden, shape.outputs);
    const tuning = jvpTuning(this.runtime.context.adapterInfo, width);
    this.jvp ??= this.runtime.pipelines.get(mlpJvpKernel, {
      IN: shape.inputs,
      HIDDEN: shape.hidden,
      OUT: shape.outputs,
      HIDDEN_LAYERS: shape.hiddenLayers,
      RESIDUAL: this.net.architecture === 'resmlp',
      ACTIVATION: activationId(shape.activation),
      SAMPLES: tuning.samples,
      WIDTH: width,
      WORKGROUP_SIZE: tuning.workgroupSize,
    });
    return this.jvp;
  }
}

/** Buffers and bind groups of one run, reused by each of its chunks. */
class ChunkedRun {
  private readonly owned: PooledBuffer[] = [];
  private readonly uniforms: PooledBuffer;
  private readonly points: PooledBuffer;
  private readonly logProb: PooledBuffer;
  private readonly trajectory: PooledBuffer;
  private readonly initGroup: GPUBindGroup;
  private readonly finishGroup: GPUBindGroup;
  private readonly stageGroups: GPUBindGroup[];
  private readonly network: {
    encode(pass: GPUComputePassEncoder): void;
    dispose(): void;
  };
  private readonly stagesPerSubmit: number;
  private readonly networkDispatches: number;
  dispatches = 0;

  constructor(
    private readonly runtime: GpuRuntime,
    net: DenoiserNet,
    private readonly plan: Plan,
    runner: PlanRunner,
    private readonly kernels: Variant,
    jvp: CompiledKernel | undefined,
    private readonly chunk: number,
    private readonly options: PlanRunOptions,
  ) {
    const pool = runtime.pool;
    const device = runtime.device;
    const own = (buffer: PooledBuffer) => (this.owned.push(buffer), buffer);
    const label = `${plan.mode} plan`;
    const features = runner.embedding.features;
    const recordBytes = runner.recordFloats * 4;
    const planBuffer = own(
      pool.upload(
        encodePlan(plan, runner.embedding, runner.recordFloats, options.output),
        GPUBufferUsage.STORAGE,
        `${label} records`,
      ),
    );
    const [seedLo, seedHi] = seedKey(options.seed);
    this.uniforms = own(
      pool.upload(
        new Uint32Array([chunk, 0, seedLo, seedHi]),
        GPUBufferUsage.UNIFORM,
        `${label} uniforms`,
      ),
    );
    const state = own(pool.acquire(chunk * 8 * 4, STORAGE, `${label} state`));
    const likelihood = plan.mode === 'likelihood';
    const netIn = own(pool.acquire(chunk * (2 + features) * 4, STORAGE, `${label} network input`));
    const netOut = own(
      pool.acquire(chunk * (likelihood ? 6 : 2) * 4, STORAGE, `${label} network output`),
    );
    this.points = own(pool.acquire(chunk * 8, STORAGE, `${label} points`));
    this.logProb = own(pool.acquire(likelihood ? chunk * 4 : 16, STORAGE, `${label} log p`));
    this.trajectory = own(
      pool.acquire(Math.max(16, plan.snapshots * chunk * 8), STORAGE, `${label} trajectory`),
    );
    const window = (record: number): GPUBufferBinding => ({
      buffer: planBuffer.buffer,
      offset: record * recordBytes,
      size: 2 * recordBytes,
    });
    const group = (kernel: CompiledKernel, record: number, name: string) =>
      kernel.bind(
        device,
        [
          this.uniforms.binding,
          window(record),
          state.binding,
          netOut.binding,
          netIn.binding,
          this.points.binding,
          this.logProb.binding,
          this.trajectory.binding,
        ],
        `${label} ${name}`,
      );
    // init and finish read the header window; stage r (1-based) reads records r and r + 1.
    this.initGroup = group(kernels.init, 0, 'init');
    this.finishGroup = group(kernels.finish, 0, 'finish');
    this.stageGroups = plan.stages.map((_, r) => group(kernels.stage, r + 1, `stage ${r}`));
    if (likelihood) {
      const jvpUniforms = own(
        pool.upload(
          new Uint32Array([chunk, options.paramOffset, 0, 0]),
          GPUBufferUsage.UNIFORM,
          `${label} jvp uniforms`,
        ),
      );
      const jvpGroup = jvp!.bind(
        device,
        [jvpUniforms.binding, options.params, netIn.binding, netOut.binding],
        `${label} jvp`,
      );
      this.network = { encode: (pass) => jvp!.encode(pass, jvpGroup, chunk), dispose() {} };
    } else {
      const binding = net.bind(
        {
          batch: chunk,
          params: options.params,
          paramOffset: options.paramOffset,
          input: netIn.binding,
          output: netOut.binding,
        },
        `${label} denoiser`,
      );
      this.network = {
        encode: (pass) => binding.encodeForward(pass, false),
        dispose: () => binding.dispose(),
      };
    }
    // ~2·10⁸ multiply-adds per submit on CPU adapters (≈ 0.1 s), far more on GPUs.
    this.networkDispatches = likelihood ? 1 : net.forwardDispatches;
    const shape = net.shape;
    const macs =
      (likelihood ? 3 : 1) *
      (shape.inputs * shape.hidden +
        (shape.hiddenLayers - 1) * shape.hidden * shape.hidden +
        shape.hidden * shape.outputs);
    const budget = runtime.context.adapterInfo.isFallback ? 2e8 : 4e9;
    this.stagesPerSubmit = Math.max(1, Math.floor(budget / (macs * chunk)));
  }

  async runChunk(first: number, n: number, targets: PlanTargets | undefined) {
    const { device, readback } = this.runtime;
    device.queue.writeBuffer(this.uniforms.buffer, 0, new Uint32Array([n, first]));
    if (this.options.points) {
      const slice = Float32Array.from(
        { length: 2 * n },
        (_, i) => this.options.points![2 * first + i]!,
      );
      device.queue.writeBuffer(this.points.buffer, 0, slice);
    }
    let encoder = device.createCommandEncoder({ label: `${this.plan.mode} plan` });
    let pass = encoder.beginComputePass({ label: `${this.plan.mode} plan` });
    const dispatch = (kernel: CompiledKernel, group: GPUBindGroup) => kernel.encode(pass, group, n);
    let dispatches = 0;
    dispatch(this.kernels.init, this.initGroup);
    dispatches++;
    this.plan.stages.forEach((_, r) => {
      if (r > 0 && r % this.stagesPerSubmit === 0) {
        pass.end();
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder({ label: `${this.plan.mode} plan` });
        pass = encoder.beginComputePass({ label: `${this.plan.mode} plan` });
      }
      this.network.encode(pass);
      dispatch(this.kernels.stage, this.stageGroups[r]!);
      dispatches += 1 + this.networkDispatches;
    });
    dispatch(this.kernels.finish, this.finishGroup);
    dispatches++;
    pass.end();
    // Results that stay on the GPU: copied out in the same submit, before the next chunk.
    if (targets?.points) {
      encoder.copyBufferToBuffer(this.points.buffer, 0, targets.points, first * 8, n * 8);
    }
    if (targets?.logProb) {
      encoder.copyBufferToBuffer(this.logProb.buffer, 0, targets.logProb, first * 4, n * 4);
    }
    device.queue.submit([encoder.finish()]);
    this.dispatches = dispatches;
    const likelihood = this.plan.mode === 'likelihood';
    const [x, logProb, trajectory] = await Promise.all([
      targets ? undefined : readback.readFloat32(this.points.buffer, 0, 2 * n),
      likelihood && !targets ? readback.readFloat32(this.logProb.buffer, 0, n) : undefined,
      this.plan.snapshots > 0
        ? readback.readFloat32(this.trajectory.buffer, 0, this.plan.snapshots * 2 * n)
        : undefined,
    ]);
    const slots = Array.from({ length: this.plan.snapshots }, (_, i) =>
      trajectory!.subarray(i * 2 * n, (i + 1) * 2 * n),
    );
    return { x, logProb, trajectory: slots };
  }

  dispose(): void {
    this.network.dispose();
    for (const buffer of this.owned) buffer.dispose();
    this.owned.length = 0;
  }
}
