/**
 * The network a sampler evaluates, with or without classifier-free guidance: a bound U-Net (or
 * two, the class's and the null class's, joined by shaders/image-diffusion/guidance.wgsl) that
 * reads x and t and writes the prediction. Convention: ε̂ = ε̂(x, ∅) + w (ε̂(x, c) − ε̂(x, ∅)),
 * so w = 0 is the unconditional model and w = 1 the conditional one. Twin: guidedOutput.
 */
import guidanceSource from '../../../shaders/image-diffusion/guidance.wgsl';
import {
  defineKernel,
  STORAGE_USAGE,
  workgroupsFor,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import type { UNet } from '../../nn/conv/unet';
import { philox4x32_10, seedKey, unitFromBits } from '../../rng/philox';
import { nullClass, unetForward, type UNetShape } from '../../nn/reference/unet';

type Floats = ArrayLike<number>;

export const guidanceKernel = defineKernel<number>({
  name: 'image-diffusion/guidance',
  file: 'image-diffusion/guidance.wgsl',
  source: guidanceSource,
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(values, wg),
});

/** Class labels and the guidance scale of a sampling call (absent: unconditional). */
export interface Guidance {
  /** One class in [0, K − 1] per image. */
  classes: readonly number[];
  /** w (default 1: the conditional model). */
  scale: number;
}

/** Checks `classes` (n labels in [0, K − 1]) and `scale` for a net of K classes. */
export function checkGuidance(
  shape: UNetShape,
  n: number,
  classes: readonly number[] | number | undefined,
  scale: number | undefined,
): Guidance | undefined {
  const K = shape.classes ?? 0;
  if (classes === undefined) {
    if (scale !== undefined) {
      throw new RangeError(
        'guidance needs classes: pass classes (one label per image, or one for all) with it.',
      );
    }
    return undefined;
  }
  if (K === 0) {
    throw new RangeError(
      'This model is unconditional (spec.classes 0): it samples without classes; create it with classes: K to condition on labels.',
    );
  }
  const list = typeof classes === 'number' ? new Array<number>(n).fill(classes) : [...classes];
  if (list.length !== n) {
    throw new RangeError(`classes must hold one label per image (${n}), got ${list.length}.`);
  }
  const bad = list.find((c) => !Number.isInteger(c) || c < 0 || c >= K);
  if (bad !== undefined) {
    throw new RangeError(
      `classes must be integers in [0, ${K - 1}] (the model's ${K} classes), got ${String(bad)}.`,
    );
  }
  const w = scale ?? 1;
  if (!Number.isFinite(w)) throw new RangeError(`guidance must be a finite number, got ${w}.`);
  return { classes: list, scale: w };
}

/** Float64 twin of a guided (or plain) evaluation of the U-Net twin. */
export function guidedOutput(
  params: Floats,
  offset: number,
  shape: UNetShape,
  x: Floats,
  time: Floats,
  n: number,
  guidance: Guidance | undefined,
): Float64Array {
  const none = shape.classes ? new Array<number>(n).fill(nullClass(shape)) : undefined;
  const u = unetForward(params, offset, shape, x, time, n, none).y;
  if (!guidance) return u;
  const c = unetForward(params, offset, shape, x, time, n, guidance.classes).y;
  return u.map((v, i) => v + guidance.scale * (c[i]! - v));
}

/** Network evaluations per call: 2 with guidance (the class and the null class), else 1. */
export function evaluationsPerCall(guidance: Guidance | undefined): number {
  return guidance ? 2 : 1;
}

export interface DenoiserBinding {
  encode(pass: GPUComputePassEncoder): void;
  dispose(): void;
}

/**
 * The U-Net of `weights` on `n` images bound for sampling: reads `input` and `time`, writes
 * `output`; a class-conditional net without guidance runs with the null class.
 */
export async function bindDenoiser(
  runtime: GpuRuntime,
  unet: UNet,
  spec: {
    n: number;
    params: PooledBuffer;
    paramOffset: number;
    input: PooledBuffer;
    time: PooledBuffer;
    output: PooledBuffer;
    /** Floats of input and output (n × C × H × W). */
    values: number;
    guidance: Guidance | undefined;
    label: string;
  },
): Promise<DenoiserBinding> {
  const { pool, device } = runtime;
  const { n, guidance, label } = spec;
  const owned: PooledBuffer[] = [];
  const conditional = Boolean(unet.shape.classes);
  const labels = (values: readonly number[], name: string) => {
    const buffer = pool.upload(new Uint32Array(values), STORAGE_USAGE, `${label} ${name}`);
    owned.push(buffer);
    return buffer.binding;
  };
  const bind = (output: PooledBuffer, classes: readonly number[] | undefined, name: string) =>
    unet.bind(
      {
        batch: n,
        params: spec.params.binding,
        paramOffset: spec.paramOffset,
        input: spec.input.binding,
        time: spec.time.binding,
        output: output.binding,
        ...(classes ? { labels: labels(classes, `${name} labels`) } : {}),
      },
      `${label} ${name}`,
    );
  const nullLabels = conditional ? new Array<number>(n).fill(nullClass(unet.shape)) : undefined;
  if (!guidance) {
    const plain = bind(spec.output, nullLabels, 'u-net');
    return {
      encode: (pass) => plain.encodeForward(pass),
      dispose: () => {
        plain.dispose();
        owned.forEach((buffer) => buffer.dispose());
      },
    };
  }
  const values = spec.values;
  const floats = (name: string) => {
    const buffer = pool.acquire(values * 4, STORAGE_USAGE, `${label} ${name}`);
    owned.push(buffer);
    return buffer;
  };
  const cond = floats('conditional output');
  const uncond = floats('unconditional output');
  const withClass = bind(cond, guidance.classes, 'u-net (class)');
  const withNull = bind(uncond, nullLabels, 'u-net (null class)');
  const kernel = await runtime.pipelines.get(guidanceKernel);
  const words = new Uint32Array(4);
  words[0] = values;
  new Float32Array(words.buffer).set([guidance.scale], 1);
  const uniforms = pool.upload(words, GPUBufferUsage.UNIFORM, `${label} guidance uniforms`);
  owned.push(uniforms);
  const group = kernel.bind(
    device,
    [uniforms.binding, cond.binding, uncond.binding, spec.output.binding],
    `${label} guidance`,
  );
  return {
    encode: (pass) => {
      withNull.encodeForward(pass);
      withClass.encodeForward(pass);
      kernel.encode(pass, group, values);
    },
    dispose: () => {
      withClass.dispose();
      withNull.dispose();
      owned.forEach((buffer) => buffer.dispose());
    },
  };
}

/** Philox stream of the training batches' label dropout ("CFGD"). */
export const CFG_STREAM = 0x43464744;

/**
 * The twin of shaders/image-diffusion/class-labels.wgsl for one step: each sample's label, or
 * the null class K with probability pUncond (Philox (b, step, CFG_STREAM, 0)).
 */
export function cfgLabelsTwin(
  labels: readonly number[],
  seed: number,
  step: number,
  pUncond: number,
  classes: number,
): number[] {
  const key = seedKey(seed);
  const p = Math.fround(pUncond);
  return labels.map((label, b) =>
    unitFromBits(philox4x32_10([b, step, CFG_STREAM, 0], key)[0]!) < p
      ? classes
      : Math.min(label, classes),
  );
}
