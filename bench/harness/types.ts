/**
 * The benchmark contract. A *workload* is one fixed configuration (say "MLP H=64, batch 512,
 * training"); an *implementation* knows how to run workloads of one family on one engine. The
 * registry (bench/cases/index.ts) crosses every workload with every implementation of its family,
 * so the same configuration object reaches Flowfield and each peer, and an implementation that
 * is not there yet shows up as "missing" instead of silently vanishing.
 *
 * See bench/README.md for the rules an implementation must follow (sync, no per-step readback,
 * what `run` and `evalLoss` mean).
 */

/** Who runs the workload. Ratios are always flowfield ÷ peer, within one group, in one run. */
/**
 * Same-run peers of Flowfield's default: 'flowfield-fused', the opt-in fused diffusion sampler
 * (issue #19); 'flowfield-plain', the kernels without subgroup weight sharing (cpuKernelChoice,
 * fusedInverseTuning) on CPU adapters.
 */
export type Impl =
  'flowfield' | 'flowfield-fused' | 'flowfield-plain' | 'tfjs-webgpu' | 'tfjs-wasm';

/**
 * The workload families of the issues: the engine's MLP (#3), RealNVP (#5), DDPM MLP (#6), the
 * small conv net and the small U-Net denoiser (#15), NICE, RealNVP and Glow on images (#16).
 */
export type Family =
  'mlp' | 'realnvp' | 'spline' | 'ddpm' | 'diffusion' | 'conv' | 'unet' | 'nice' | 'image-flow';

/** `train`: one step = one optimizer step on one batch. `sample`: one step = one sampling call. */
export type Kind = 'train' | 'sample';

/** A JSON-serialisable configuration; written to bench/results.json as it is. */
export type Config = Readonly<Record<string, string | number | boolean | readonly number[]>>;

/** One configuration of a family; every implementation of that family runs exactly this. */
export interface Workload<C extends Config = Config> {
  readonly family: Family;
  /** Comparison group, unique across the registry, e.g. `mlp/h64/b512/train`. */
  readonly group: string;
  readonly kind: Kind;
  readonly config: C;
  /** Samples processed by one step: the batch (train) or the samples drawn per call (sample). */
  readonly itemsPerStep: number;
  /** Part of `--quick`. */
  readonly quick: boolean;
  /**
   * One step lasts far longer than a timed run's target (a sampler over 16 384 samples): no
   * warm-up step and no calibration — `setup` compiles everything — and one step per timed run.
   */
  readonly oneStepPerRun?: boolean;
  /** Too slow for the default run: only runs when a `--filter` term matches its id. */
  readonly explicit?: boolean;
}

/** What the harness hands to `setup`. */
export interface BenchContext {
  /** True under `--quick` (an implementation may, e.g., skip optional extra checks). */
  readonly quick: boolean;
  /**
   * A resource shared by all cases of this page (say one GpuRuntime with its pipeline cache),
   * created on first use and released by `release` after the last case has run.
   */
  shared<T>(key: string, create: () => Promise<T>, release?: (value: T) => void): Promise<T>;
  /** A line in the bench log (the terminal), prefixed with the case id. */
  log(message: string): void;
}

/** A set-up instance of one workload on one implementation: the thing the harness times. */
export interface Session {
  /**
   * Runs `steps` steps back to back and resolves only when the device has finished all of them
   * (for GPU work: after a readback or `queue.onSubmittedWorkDone()`). No readback per step.
   * May resolve with the last step's minibatch loss when it is known without extra work.
   */
  run(steps: number): Promise<number | void>;
  /**
   * Loss on a fixed evaluation batch (same batch every call). Called outside the timed region,
   * before the first and after the last timed run: the sanity check that training trains.
   * Required for peers; optional for Flowfield (reported as n/a when absent). Not for `sample`.
   */
  evalLoss?(): Promise<number>;
  /** Dispatches per step by design, when the implementation knows it (otherwise counted). */
  readonly dispatchesPerStep?: number;
  /** Extra facts worth recording (backend flags, kernel variant, ...); JSON-serialisable. */
  readonly info?: Readonly<Record<string, unknown>>;
  /** Releases everything `setup` created (buffers, variables, optimizer state). */
  dispose(): void | Promise<void>;
}

/** One engine's implementation of one family. */
export interface Implementation<C extends Config = Config> {
  readonly impl: Impl;
  /** When set, every workload of the family is reported as missing with this reason. */
  readonly missing?: string;
  /** Prepares one workload: build the model, compile pipelines, allocate, upload. */
  setup(workload: Workload<C>, context: BenchContext): Promise<Session>;
}

/** A workload × implementation pair, as the page runs it. */
export interface BenchCase {
  /** `${group}@${impl}`, e.g. `mlp/h64/b512/train@tfjs-webgpu`. */
  readonly id: string;
  readonly workload: Workload;
  readonly implementation: Implementation;
}
