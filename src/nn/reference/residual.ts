/**
 * Float64 twin of the convolutional residual block (src/nn/conv/residual-block.ts,
 * shaders/nn/residual.wgsl), composed from the twins of its layers:
 *   h = conv3×3(act(GroupNorm(x)))  (+ e[n, c], the projected time embedding, when timed)
 *   out = skip(x) + conv3×3(act(GroupNorm(h)))
 * skip = identity when the channels stay, a 1 × 1 conv when they change. Both convs keep the
 * map size (stride 1) and have no activation of their own: the activation sits after each norm
 * (the DDPM / improved-diffusion block without dropout).
 */
import { activate, activationGrad, type Activation } from '../activations';
import {
  conv2dBackward,
  conv2dForward,
  convParameterCount,
  type Conv2dCache,
  type Conv2dShape,
} from './conv';
import type { Floats } from './dense';
import { timeAddBackward, timeAddForward } from './image';
import {
  groupNormBackward,
  groupNormForward,
  type GroupNormCache,
  type GroupNormShape,
} from './norm';

export interface ResidualBlockShape {
  inputChannels: number;
  outputChannels: number;
  height: number;
  width: number;
  /** GroupNorm groups of both norms: must divide inputChannels and outputChannels. */
  groups: number;
  /** After each norm (default 'silu'). */
  activation?: Activation;
  /** Adds e (batch × outputChannels) after the first conv. */
  timeEmbedding: boolean;
  /** GroupNorm eps (default 1e-5, PyTorch's). */
  eps?: number;
}

/** The block's sublayers and where each one's parameters start (relative to the block's). */
export function residualBlockParts(shape: ResidualBlockShape) {
  const { inputChannels: cin, outputChannels: cout, height, width, groups } = shape;
  const eps = shape.eps ?? 1e-5;
  const conv = (i: number, o: number, kernel: 1 | 3): Conv2dShape => ({
    inputChannels: i,
    outputChannels: o,
    height,
    width,
    kernel,
    stride: 1,
    activation: 'identity',
  });
  const norm1: GroupNormShape = { channels: cin, groups, height, width, eps };
  const norm2: GroupNormShape = { channels: cout, groups, height, width, eps };
  const conv1 = conv(cin, cout, 3);
  const conv2 = conv(cout, cout, 3);
  const skip = cin === cout ? undefined : conv(cin, cout, 1);
  const offsets = { norm1: 0, conv1: 2 * cin, norm2: 0, conv2: 0, skip: 0, end: 0 };
  offsets.norm2 = offsets.conv1 + convParameterCount(conv1);
  offsets.conv2 = offsets.norm2 + 2 * cout;
  offsets.skip = offsets.conv2 + convParameterCount(conv2);
  offsets.end = offsets.skip + (skip ? convParameterCount(skip) : 0);
  return { norm1, conv1, norm2, conv2, skip, offsets, activation: shape.activation ?? 'silu' };
}

export interface ResidualBlockCache {
  x: Float64Array;
  norm1: GroupNormCache;
  /** GroupNorm outputs (the activations' inputs). */
  g1: Float64Array;
  g2: Float64Array;
  conv1: Conv2dCache;
  norm2: GroupNormCache;
  conv2: Conv2dCache;
  skip?: Conv2dCache;
}

export function residualBlockForward(
  params: Floats,
  offset: number,
  shape: ResidualBlockShape,
  x: Floats,
  embedding: Floats | undefined,
  batch: number,
): { y: Float64Array; cache: ResidualBlockCache } {
  const parts = residualBlockParts(shape);
  const at = parts.offsets;
  const act = (v: Float64Array) => v.map((z) => activate(parts.activation, z));
  const n1 = groupNormForward(params, offset + at.norm1, parts.norm1, x, batch);
  const c1 = conv2dForward(params, offset + at.conv1, parts.conv1, act(n1.y), batch);
  const h = shape.timeEmbedding
    ? timeAddForward(mapShape(shape), c1.y, embedding ?? [], batch)
    : c1.y;
  const n2 = groupNormForward(params, offset + at.norm2, parts.norm2, h, batch);
  const c2 = conv2dForward(params, offset + at.conv2, parts.conv2, act(n2.y), batch);
  const s = parts.skip
    ? conv2dForward(params, offset + at.skip, parts.skip, x, batch)
    : { y: Float64Array.from(x), cache: undefined };
  const y = c2.y.map((v, i) => v + s.y[i]!);
  return {
    y,
    cache: {
      x: Float64Array.from(x),
      norm1: n1.cache,
      g1: n1.y,
      conv1: c1.cache,
      norm2: n2.cache,
      g2: n2.y,
      conv2: c2.cache,
      ...(s.cache ? { skip: s.cache } : {}),
    },
  };
}

/**
 * Accumulates the block's parameter gradients into `grads` (at `offset`) and returns dL/dx and,
 * for a timed block, dL/de.
 */
export function residualBlockBackward(
  params: Floats,
  offset: number,
  shape: ResidualBlockShape,
  cache: ResidualBlockCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): { dx: Float64Array; de?: Float64Array } {
  const parts = residualBlockParts(shape);
  const at = parts.offsets;
  const actBack = (d: Float64Array, z: Float64Array) =>
    d.map((v, i) => v * activationGrad(parts.activation, z[i]!));
  const da2 = conv2dBackward(params, offset + at.conv2, parts.conv2, cache.conv2, dy, batch, grads);
  const dh = groupNormBackward(
    params,
    offset + at.norm2,
    parts.norm2,
    cache.norm2,
    actBack(da2, cache.g2),
    batch,
    grads,
  );
  const de = shape.timeEmbedding ? timeAddBackward(mapShape(shape), dh, batch) : undefined;
  const da1 = conv2dBackward(params, offset + at.conv1, parts.conv1, cache.conv1, dh, batch, grads);
  const dMain = groupNormBackward(
    params,
    offset + at.norm1,
    parts.norm1,
    cache.norm1,
    actBack(da1, cache.g1),
    batch,
    grads,
  );
  const dSkip =
    parts.skip && cache.skip
      ? conv2dBackward(params, offset + at.skip, parts.skip, cache.skip, dy, batch, grads)
      : Float64Array.from(dy);
  const dx = dMain.map((v, i) => v + dSkip[i]!);
  return de ? { dx, de } : { dx };
}

const mapShape = (shape: ResidualBlockShape) => ({
  channels: shape.outputChannels,
  height: shape.height,
  width: shape.width,
});
