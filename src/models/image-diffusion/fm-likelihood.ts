/**
 * Flow matching's log-likelihood through the probability-flow ODE on the GPU, in one submit:
 * the solver of the sampler (Euler, Heun, RK4) run forwards from the data (t = 0) to the prior
 * (t = 1) with shaders/image-diffusion/fm-sampler.wgsl's vector updates, and at every network
 * evaluation Hutchinson's estimate of div v̂: the U-Net's backward pass with dL/dv̂ = ε gives the
 * vector-Jacobian product g = (∂v̂/∂x)ᵀ ε, and εᵀg (shaders/image-diffusion/fm-likelihood.wgsl) is
 * added to the row's integral with the solver's weight. Each image is repeated once per probe
 * (batch rows image-major), each row with its own Rademacher probe fixed along the trajectory,
 * so the rows of one image are independent unbiased estimates of the discretised ODE's log p.
 * Twin: fm-likelihood-reference.ts.
 */
import likelihoodSource from '../../../shaders/image-diffusion/fm-likelihood.wgsl';
import {
  defineKernel,
  GpuLimitError,
  STORAGE_USAGE,
  workgroupsFor,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import type { UNet } from '../../nn/conv/unet';
import { nullClass } from '../../nn/reference/unet';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey } from '../../rng/philox';
import {
  fmLikelihoodTime,
  standardNormalLogDensity,
  type FmLikelihoodRows,
} from './fm-likelihood-reference';
import { fmSamplerKernel } from './fm-kernels';
import type { ImageFmSampler } from './fm-spec';

const probeKernel = (entryPoint: 'probe_signs' | 'probe_dot') =>
  defineKernel<number>({
    name: `image-diffusion/fm-${entryPoint}`,
    file: 'image-diffusion/fm-likelihood.wgsl',
    source: likelihoodSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (items, wg) => workgroupsFor(items, wg),
  });

/** Most batch values (images × probes × C × H × W) one likelihood call integrates at once. */
export const MAX_FM_LIKELIHOOD_VALUES = 1 << 20;

export interface FmLikelihoodOptions {
  sampler: ImageFmSampler;
  steps: number;
  /** Hutchinson probes per image (batch rows). */
  probes: number;
  /** Philox seed of the probes. */
  seed: number;
}

/** Network evaluations (each a forward and a backward pass) per image and probe. */
export function fmLikelihoodNfe(sampler: ImageFmSampler, steps: number): number {
  return { euler: 1, heun: 2, rk4: 4 }[sampler] * steps;
}

/**
 * log p₀ of n images x₀ (n × C × H × W values in model space) under the U-Net `unet` with the
 * parameters `params`: one row per image and probe (FmLikelihoodRows).
 */
export async function fmLogLikelihood(
  runtime: GpuRuntime,
  unet: UNet,
  weights: { params: PooledBuffer; offset: number; parameterCount: number },
  x0: Float32Array,
  options: FmLikelihoodOptions,
): Promise<FmLikelihoodRows> {
  const { channels, height, width } = unet.shape;
  const dims = channels * height * width;
  const n = x0.length / dims;
  const { sampler, steps, probes } = options;
  const rows = n * probes;
  const values = rows * dims;
  if (!Number.isInteger(n) || n < 1 || values > MAX_FM_LIKELIHOOD_VALUES) {
    throw new GpuLimitError(
      `The ODE likelihood takes whole images of ${dims} values, at most ` +
        `${MAX_FM_LIKELIHOOD_VALUES} values × probes per call; got ${x0.length} values × ${probes} probes.`,
    );
  }
  const { pool, device, readback, pipelines } = runtime;
  const [combine, accumulate, signs, dot] = await Promise.all([
    pipelines.get(fmSamplerKernel('combine')),
    pipelines.get(fmSamplerKernel('accumulate')),
    pipelines.get(probeKernel('probe_signs')),
    pipelines.get(probeKernel('probe_dot')),
  ]);
  const owned: PooledBuffer[] = [];
  const usage = STORAGE_USAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const floats = (count: number, name: string) => {
    const buffer = pool.acquire(count * 4, usage, `fm likelihood ${name}`);
    owned.push(buffer);
    return buffer;
  };
  const upload = (data: Float32Array | Uint32Array, name: string) => {
    const buffer = pool.upload(data, usage, `fm likelihood ${name}`);
    owned.push(buffer);
    return buffer;
  };
  // Each image once per probe, image-major.
  const repeated = new Float32Array(values);
  for (let r = 0; r < rows; r++) {
    repeated.set(
      x0.subarray(Math.floor(r / probes) * dims, (Math.floor(r / probes) + 1) * dims),
      r * dims,
    );
  }
  const x = upload(repeated, 'x');
  const table = new Float32Array((2 * steps + 1) * rows);
  for (let j = 0; j <= 2 * steps; j++) {
    table.fill(fmLikelihoodTime(j, steps), j * rows, (j + 1) * rows);
  }
  const timeTable = upload(table, 'time table');
  const time = floats(rows, 't');
  const xin = floats(values, 'U-Net input');
  const v = floats(values, 'v̂');
  const acc = floats(values, 'slope sum');
  const probe = floats(values, 'probes ε');
  const product = floats(values, '(∂v̂/∂x)ᵀ ε');
  const divergence = upload(new Float32Array(rows), '∫ div v̂ dt');
  // The backward pass also writes parameter gradients, which nothing reads.
  const grads = floats(unet.chunks(rows) * weights.parameterCount, 'unused parameter gradients');
  const labels = unet.shape.classes
    ? upload(new Uint32Array(rows).fill(nullClass(unet.shape)), 'null-class labels')
    : undefined;
  const binding = unet.bind(
    {
      batch: rows,
      params: weights.params.binding,
      paramOffset: weights.offset,
      input: xin.binding,
      time: time.binding,
      output: v.binding,
      gradOutput: probe.binding,
      gradInput: product.binding,
      grads: grads.binding,
      gradStride: weights.parameterCount,
      ...(labels ? { labels: labels.binding } : {}),
    },
    'fm likelihood u-net',
  );
  const [seedLo, seedHi] = seedKey(options.seed);
  type Kernel = typeof combine;
  const op = (
    kernel: Kernel,
    name: string,
    a: PooledBuffer,
    b: PooledBuffer,
    out: PooledBuffer,
    c: number,
    count = values,
    items = count,
  ) => {
    const words = new Uint32Array(8);
    words.set([count, seedLo, seedHi, dims]);
    new Float32Array(words.buffer).set([c], 4);
    const uniforms = pool.upload(words, GPUBufferUsage.UNIFORM, `fm likelihood ${name} uniforms`);
    owned.push(uniforms);
    const group = kernel.bind(
      device,
      [uniforms.binding, a.binding, b.binding, out.binding],
      `fm likelihood ${name}`,
    );
    return (pass: GPUComputePassEncoder) => kernel.encode(pass, group, items);
  };
  const h = 1 / steps;
  const divOp = (c: number) => op(dot, 'probe dot', probe, product, divergence, c, rows);
  const ops = {
    // probe_signs reads neither input: x stands in (probe may not be bound twice).
    signs: op(signs, 'probe signs', x, x, probe, 0, values, Math.ceil(values / 4)),
    load: op(combine, 'load', x, x, xin, 0),
    euler: op(accumulate, 'euler', v, v, x, h),
    slope: op(combine, 'slope', v, v, acc, 0),
    halfStage: op(combine, 'half stage', x, v, xin, h / 2),
    fullStage: op(combine, 'full stage', x, v, xin, h),
    addTwice: op(accumulate, 'add twice', v, v, acc, 2),
    addOnce: op(accumulate, 'add once', v, v, acc, 1),
    update: op(accumulate, 'rk4 update', acc, acc, x, h / 6),
    heunUpdate: op(accumulate, 'heun update', acc, acc, x, h / 2),
    divEuler: divOp(h),
    divHalf: divOp(h / 2),
    divSixth: divOp(h / 6),
    divThird: divOp(h / 3),
  };
  type Op = (pass: GPUComputePassEncoder) => void;
  try {
    const encoder = device.createCommandEncoder({
      label: `fm likelihood ${sampler} ${steps} steps`,
    });
    const passOf = (...record: Op[]) => {
      const pass = encoder.beginComputePass({ label: `fm likelihood ${sampler}` });
      record.forEach((f) => f(pass));
      pass.end();
    };
    const setTime = (j: number) =>
      encoder.copyBufferToBuffer(timeTable.buffer, j * rows * 4, time.buffer, 0, rows * 4);
    const velocity: Op = (pass) => {
      binding.encodeForward(pass);
      binding.encodeBackward(pass);
    };
    passOf(ops.signs);
    for (let k = 0; k < steps; k++) {
      setTime(2 * k);
      if (sampler === 'euler') {
        passOf(ops.load, velocity, ops.divEuler, ops.euler);
        continue;
      }
      if (sampler === 'heun') {
        passOf(ops.load, velocity, ops.divHalf, ops.slope, ops.fullStage);
        setTime(2 * k + 2);
        passOf(velocity, ops.divHalf, ops.addOnce, ops.heunUpdate);
        continue;
      }
      passOf(ops.load, velocity, ops.divSixth, ops.slope, ops.halfStage);
      setTime(2 * k + 1);
      passOf(velocity, ops.divThird, ops.addTwice, ops.halfStage);
      passOf(velocity, ops.divThird, ops.addTwice, ops.fullStage);
      setTime(2 * k + 2);
      passOf(velocity, ops.divSixth, ops.addOnce, ops.update);
    }
    device.queue.submit([encoder.finish()]);
    // One read at a time: the readback ring maps one staging buffer per read.
    const x1 = await readback.readFloat32(x.buffer, 0, values);
    const div = await readback.readFloat32(divergence.buffer, 0, rows);
    const logPrior = standardNormalLogDensity(x1, dims);
    const integral = Float64Array.from(div);
    return { logPrior, divergence: integral, logProb: logPrior.map((p, r) => p + integral[r]!) };
  } finally {
    binding.dispose();
    for (const buffer of owned) buffer.dispose();
  }
}
