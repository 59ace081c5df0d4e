/**
 * Float64 twin of the multi-scale image flows (RealNVP, Glow; plan in multiscale-spec.ts): forward
 * with the per-scale latents and log|det J|, inverse, log p, the training loss (mean bits/dim on
 * 8-bit pixels, as NICE: −(log p_Z(z) + log|det| + preLogDet) / (D ln 2 · batch)) and its parameter
 * gradients, and the prior draws of sample(). Images are batches of C × H × W maps (NCHW, flat).
 *
 * z of one image is its latents concatenated in the order they leave the flow (the first scale's
 * factored-out half first, the last map last), D values in all.
 */
import { actNormBackward, actNormForward, actNormInverse } from '../../nn/reference/norm';
import { squeeze, unsqueeze, type MapShape } from '../../nn/reference/image';
import {
  couplingBackward,
  couplingForward,
  couplingInverse,
  invConvBackward,
  invConvForward,
  invConvInverse,
  mapSize,
  type CouplingCache,
} from './flow-layers-reference';
import {
  imageFlowPriorDrawsCpu,
  logPrior,
  logPriorGrad,
  NICE_PRIOR_STREAM,
} from './nice-reference';
import {
  multiscaleDims,
  multiscalePlan,
  type MultiscaleOp,
  type ResolvedMultiscaleSpec,
} from './multiscale-spec';

type Floats = ArrayLike<number>;

/** Philox stream of the prior draws of sample(): NICE's (the GPU shares scaling-prior.wgsl). */
export const MULTISCALE_PRIOR_STREAM = NICE_PRIOR_STREAM;

export interface MultiscaleForward {
  /** batch × D: each image's latents concatenated (see the file comment). */
  z: Float64Array;
  /** The latents, one batch × C_k × H_k × W_k tensor per scale, in the order they leave. */
  latents: Float64Array[];
  /** log|det ∂z/∂y| of each image. */
  logDet: Float64Array;
}

interface Trace {
  forward: MultiscaleForward;
  /** The input of every operation (for the backward pass), and the couplings' caches. */
  inputs: Float64Array[];
  couplings: Map<number, CouplingCache>;
}

function keepChannels(
  op: { shape: MapShape },
  x: Float64Array,
  batch: number,
  from: number,
  count: number,
) {
  const pixels = op.shape.height * op.shape.width;
  const size = mapSize(op.shape);
  const out = new Float64Array(batch * count * pixels);
  for (let b = 0; b < batch; b++)
    out.set(
      x.subarray(b * size + from * pixels, b * size + (from + count) * pixels),
      b * count * pixels,
    );
  return out;
}

function concatenate(
  spec: ResolvedMultiscaleSpec,
  latents: Float64Array[],
  batch: number,
): Float64Array {
  const dims = multiscaleDims(spec);
  const z = new Float64Array(batch * dims);
  let at = 0;
  for (const latent of latents) {
    const size = latent.length / batch;
    for (let b = 0; b < batch; b++) z.set(latent.subarray(b * size, (b + 1) * size), b * dims + at);
    at += size;
  }
  return z;
}

/** Splits batch × D latents into the per-scale tensors. */
export function splitLatents(
  spec: ResolvedMultiscaleSpec,
  z: Floats,
  batch: number,
): Float64Array[] {
  const dims = multiscaleDims(spec);
  let at = 0;
  return multiscalePlan(spec).latents.map((shape) => {
    const size = mapSize(shape);
    const out = new Float64Array(batch * size);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < size; i++) out[b * size + i] = z[b * dims + at + i]!;
    at += size;
    return out;
  });
}

function trace(spec: ResolvedMultiscaleSpec, params: Floats, y: Floats, batch: number): Trace {
  const { ops, latents: shapes } = multiscalePlan(spec);
  let x: Float64Array = Float64Array.from(y);
  const logDet = new Float64Array(batch);
  const latents: Float64Array[] = [];
  const inputs: Float64Array[] = [];
  const couplings = new Map<number, CouplingCache>();
  ops.forEach((op, index) => {
    inputs.push(x);
    switch (op.kind) {
      case 'coupling': {
        const r = couplingForward(params, op, x, batch);
        r.logDet.forEach((v, b) => (logDet[b]! += v));
        couplings.set(index, r.cache);
        x = r.y;
        break;
      }
      case 'actnorm': {
        const r = actNormForward(params, op.offset, op.shape, x, batch);
        r.logDet.forEach((v, b) => (logDet[b]! += v));
        x = r.y;
        break;
      }
      case 'invconv': {
        const r = invConvForward(params, op, x, batch);
        logDet.forEach((_, b) => (logDet[b]! += r.logDet));
        x = r.y;
        break;
      }
      case 'squeeze':
        x = squeeze(op.shape, x, batch);
        break;
      case 'factor': {
        const kept = Math.floor(op.shape.channels / 2);
        latents.push(keepChannels(op, x, batch, kept, op.shape.channels - kept));
        x = keepChannels(op, x, batch, 0, kept);
        break;
      }
    }
  });
  latents.push(x);
  if (latents.length !== shapes.length) throw new Error('multiscale plan: latent count mismatch');
  return { forward: { z: concatenate(spec, latents, batch), latents, logDet }, inputs, couplings };
}

/** z = f(y) with the per-scale latents and log|det J| per image. */
export function multiscaleForwardCpu(
  spec: ResolvedMultiscaleSpec,
  params: Floats,
  y: Floats,
  batch: number,
): MultiscaleForward {
  return trace(spec, params, y, batch).forward;
}

/** y = f⁻¹(z) for batch × D latents. */
export function multiscaleInverseCpu(
  spec: ResolvedMultiscaleSpec,
  params: Floats,
  z: Floats,
  batch: number,
): Float64Array {
  const { ops } = multiscalePlan(spec);
  const latents = splitLatents(spec, z, batch);
  let x: Float64Array = latents[latents.length - 1]!;
  for (let index = ops.length - 1; index >= 0; index--) {
    const op: MultiscaleOp = ops[index]!;
    switch (op.kind) {
      case 'coupling':
        x = couplingInverse(params, op, x, batch);
        break;
      case 'actnorm':
        x = actNormInverse(params, op.offset, op.shape, x, batch);
        break;
      case 'invconv':
        x = invConvInverse(params, op, x, batch);
        break;
      case 'squeeze':
        x = unsqueeze(op.shape, x, batch);
        break;
      case 'factor': {
        const latent = latents[op.latent]!;
        const pixels = op.shape.height * op.shape.width;
        const keptSize = x.length / batch;
        const latentSize = latent.length / batch;
        const joined = new Float64Array(batch * mapSize(op.shape));
        for (let b = 0; b < batch; b++) {
          joined.set(x.subarray(b * keptSize, (b + 1) * keptSize), b * mapSize(op.shape));
          joined.set(
            latent.subarray(b * latentSize, (b + 1) * latentSize),
            b * mapSize(op.shape) + keptSize,
          );
        }
        if (keptSize + latentSize !== op.shape.channels * pixels) throw new Error('factor sizes');
        x = joined;
        break;
      }
    }
  }
  return x;
}

/** log p(y) of each image in nats, plus `preLogDet[b]` (the pre-processing's log-det, if any). */
export function multiscaleLogProbCpu(
  spec: ResolvedMultiscaleSpec,
  params: Floats,
  y: Floats,
  batch: number,
  preLogDet?: Floats,
): Float64Array {
  const dims = multiscaleDims(spec);
  const { z, logDet } = multiscaleForwardCpu(spec, params, y, batch);
  return Float64Array.from({ length: batch }, (_, b) => {
    let sum = logDet[b]! + (preLogDet?.[b] ?? 0);
    for (let d = 0; d < dims; d++) sum += logPrior(spec.prior, z[b * dims + d]!);
    return sum;
  });
}

/** The training loss (mean bits/dim) and its gradient with respect to every parameter. */
export function multiscaleLossGradCpu(
  spec: ResolvedMultiscaleSpec,
  params: Floats,
  y: Floats,
  batch: number,
  preLogDet: Floats,
): { loss: number; grads: Float64Array } {
  const dims = multiscaleDims(spec);
  const { layout, ops } = multiscalePlan(spec);
  const { forward, inputs, couplings } = trace(spec, params, y, batch);
  const weight = 1 / (dims * Math.LN2 * batch);
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    let sum = forward.logDet[b]! + preLogDet[b]!;
    for (let d = 0; d < dims; d++) sum += logPrior(spec.prior, forward.z[b * dims + d]!);
    loss -= sum * weight;
  }
  const grads = new Float64Array(layout.total);
  const gLatents = forward.latents.map((latent) =>
    latent.map((v) => -weight * logPriorGrad(spec.prior, v)),
  );
  // Every log|det| term enters the loss with weight −weight per image.
  const gLogDet = -weight;
  let g: Float64Array = gLatents[gLatents.length - 1]!;
  for (let index = ops.length - 1; index >= 0; index--) {
    const op = ops[index]!;
    const x = inputs[index]!;
    switch (op.kind) {
      case 'coupling':
        g = couplingBackward(params, op, couplings.get(index)!, g, gLogDet, batch, grads);
        break;
      case 'actnorm': {
        g = actNormBackward(params, op.offset, op.shape, x, g, batch, grads);
        const pixels = op.shape.height * op.shape.width;
        for (let c = 0; c < op.shape.channels; c++)
          grads[op.offset + c]! += gLogDet * pixels * batch;
        break;
      }
      case 'invconv':
        g = invConvBackward(params, op, x, g, gLogDet, batch, grads);
        break;
      case 'squeeze':
        g = unsqueeze(op.shape, g, batch);
        break;
      case 'factor': {
        const latent = gLatents[op.latent]!;
        const size = mapSize(op.shape);
        const keptSize = g.length / batch;
        const joined = new Float64Array(batch * size);
        for (let b = 0; b < batch; b++) {
          joined.set(g.subarray(b * keptSize, (b + 1) * keptSize), b * size);
          joined.set(
            latent.subarray(b * (size - keptSize), (b + 1) * (size - keptSize)),
            b * size + keptSize,
          );
        }
        g = joined;
        break;
      }
    }
  }
  return { loss, grads };
}

/** The prior draws of sample(n, { seed, temperature }): z = temperature · ε, ε ~ prior. */
export function multiscalePriorSampleCpu(
  spec: ResolvedMultiscaleSpec,
  count: number,
  seed: number,
  temperature: number,
): Float64Array {
  return imageFlowPriorDrawsCpu(spec.prior, count * multiscaleDims(spec), seed, temperature);
}
