/**
 * Float64 twin of the small U-Net ε-denoiser (src/nn/conv/unet.ts), composed from the twins of
 * its layers. Images are NCHW batches (C × H × W, H and W even), t is one float per sample:
 *   temb = SiLU(dense(sin/cos(t)))                      the time MLP (as the 2-D denoiser's)
 *   e_k  = dense_k(temb)                                one projection per residual block
 *   h0 = conv3×3(x)                   C → c,  H × W
 *   h1 = ResBlock(h0, e1)             c → c,  H × W
 *   h2 = ResBlock(avgpool2(h1), e2)   c → 2c, H/2 × W/2 (1 × 1 skip)
 *   j  = upsample2(conv1×1(h2)) + h1  2c → c at half resolution (4× cheaper than after the
 *                                     upsampling), then joined to the skip by addition
 *   h3 = ResBlock(j, e3)              c → c,  H × W
 *   y  = conv3×3(SiLU(GroupNorm(h3))) c → C
 * Parameters, in this order: time.in, time.block1..3, convIn, block1, block2, up, block3,
 * normOut, convOut (each sublayer in its own layer's order), then with `classes` K > 0 the class
 * table E ((K + 1) × timeHidden, row K the null class ∅), added after the time MLP:
 *   temb = SiLU(dense(sin/cos(t))) + E[label]         (class conditioning, Ho & Salimans 2022)
 */
import { activate, activationGrad } from '../activations';
import {
  conv2dBackward,
  conv2dForward,
  convParameterCount,
  type Conv2dCache,
  type Conv2dShape,
} from './conv';
import { denseBackward, denseForward, type DenseCache, type Floats } from './dense';
import { embedConcatForward, type EmbeddingShape } from './embedding';
import {
  avgPool2Backward,
  avgPool2Forward,
  upsample2Backward,
  upsample2Forward,
  type MapShape,
} from './image';
import {
  groupNormBackward,
  groupNormForward,
  type GroupNormCache,
  type GroupNormShape,
} from './norm';
import {
  residualBlockBackward,
  residualBlockForward,
  residualBlockParts,
  type ResidualBlockCache,
  type ResidualBlockShape,
} from './residual';

export interface UNetShape {
  /** Image channels C (input and predicted noise). */
  channels: number;
  /** Even. */
  height: number;
  width: number;
  /** Feature channels c at full resolution (2c at half resolution). */
  base: number;
  /** GroupNorm groups of every norm: must divide base. */
  groups: number;
  /** Sinusoidal features of t (even). */
  timeFeatures: number;
  /** Width of the time MLP's hidden layer. */
  timeHidden: number;
  /** Multiplies t before the frequencies (1 for DDPM's step index t ∈ {0 … 999}). */
  timeScale: number;
  /** GroupNorm eps (default 1e-5). */
  eps?: number;
  /** Labelled classes K of a class-conditional net (0 or absent: unconditional). */
  classes?: number;
}

export type UNetBlock = 'block1' | 'block2' | 'block3';
export const UNET_BLOCKS: readonly UNetBlock[] = ['block1', 'block2', 'block3'];

const denseCount = (inputs: number, outputs: number) => outputs * (inputs + 1);

/** Shapes of every sublayer and where each one's parameters start (relative to the net's). */
export function unetParts(shape: UNetShape) {
  const { channels: C, height: H, width: W, base: c, groups } = shape;
  const eps = shape.eps ?? 1e-5;
  const half = { height: H / 2, width: W / 2 };
  const block = (cin: number, cout: number, h: number, w: number): ResidualBlockShape => ({
    inputChannels: cin,
    outputChannels: cout,
    height: h,
    width: w,
    groups,
    timeEmbedding: true,
    activation: 'silu',
    eps,
  });
  const conv = (cin: number, cout: number, kernel: 1 | 3, h: number, w: number): Conv2dShape => ({
    inputChannels: cin,
    outputChannels: cout,
    height: h,
    width: w,
    kernel,
    stride: 1,
    activation: 'identity',
  });
  const blocks: Record<UNetBlock, ResidualBlockShape> = {
    block1: block(c, c, H, W),
    block2: block(c, 2 * c, half.height, half.width),
    block3: block(c, c, H, W),
  };
  const convIn = conv(C, c, 3, H, W);
  const up = conv(2 * c, c, 1, half.height, half.width);
  const normOut: GroupNormShape = { channels: c, groups, height: H, width: W, eps };
  const convOut = conv(c, C, 3, H, W);
  const embedding: EmbeddingShape = {
    dims: 0,
    features: shape.timeFeatures,
    scale: shape.timeScale,
    maxPeriod: 10_000,
  };
  // Offsets in the order of the file comment.
  let at = 0;
  const take = (count: number) => ((at += count), at - count);
  const offsets = {
    timeIn: take(denseCount(shape.timeFeatures, shape.timeHidden)),
    timeHeads: Object.fromEntries(
      UNET_BLOCKS.map((b) => [b, take(denseCount(shape.timeHidden, blocks[b].outputChannels))]),
    ) as Record<UNetBlock, number>,
    convIn: take(convParameterCount(convIn)),
    blocks: {} as Record<UNetBlock, number>,
    up: 0,
    normOut: 0,
    convOut: 0,
    /** The class table ((K + 1) × timeHidden), when classes > 0. */
    classes: 0,
    end: 0,
  };
  offsets.blocks.block1 = take(residualBlockParts(blocks.block1).offsets.end);
  offsets.blocks.block2 = take(residualBlockParts(blocks.block2).offsets.end);
  offsets.up = take(convParameterCount(up));
  offsets.blocks.block3 = take(residualBlockParts(blocks.block3).offsets.end);
  offsets.normOut = take(2 * c);
  offsets.convOut = take(convParameterCount(convOut));
  offsets.classes = take(classRows(shape) * shape.timeHidden);
  offsets.end = at;
  return {
    blocks,
    convIn,
    up,
    normOut,
    convOut,
    embedding,
    /** Full resolution c × H × W (the join's maps) and the half-resolution side. */
    full: { channels: c, height: H, width: W } as MapShape,
    offsets,
  };
}

/** Rows of the class table: K + 1 (the null class last), or 0 for an unconditional net. */
export function classRows(shape: UNetShape): number {
  return shape.classes ? shape.classes + 1 : 0;
}

/** The null class ∅ of a class-conditional net (its table's last row). */
export function nullClass(shape: UNetShape): number {
  return shape.classes ?? 0;
}

export function unetParameterCount(shape: UNetShape): number {
  return unetParts(shape).offsets.end;
}

export interface UNetCache {
  features: Float64Array;
  timeIn: DenseCache;
  heads: Record<UNetBlock, DenseCache>;
  convIn: Conv2dCache;
  blocks: Record<UNetBlock, ResidualBlockCache>;
  up: Conv2dCache;
  normOut: GroupNormCache;
  /** GroupNorm output (the activation's input). */
  g: Float64Array;
  convOut: Conv2dCache;
  /** Class labels of a class-conditional net. */
  labels?: readonly number[];
}

/**
 * ε̂ = U-Net(x, t, label) for a batch: x is batch × C × H × W, t is batch floats, `labels` one
 * class in [0, K] per sample of a class-conditional net (default: all the null class K).
 */
export function unetForward(
  params: Floats,
  offset: number,
  shape: UNetShape,
  x: Floats,
  t: Floats,
  batch: number,
  labels?: readonly number[],
): { y: Float64Array; cache: UNetCache } {
  const parts = unetParts(shape);
  const at = parts.offsets;
  const hidden = shape.timeHidden;
  const features = embedConcatForward(parts.embedding, [], t, batch);
  const dense = (o: number, inputs: number, outputs: number, act: 'silu' | 'identity', v: Floats) =>
    denseForward(params, offset + o, offset + o + inputs * outputs, inputs, outputs, act, v, batch);
  const timeIn = dense(at.timeIn, shape.timeFeatures, hidden, 'silu', features);
  const classes =
    classRows(shape) > 0 ? (labels ?? new Array<number>(batch).fill(nullClass(shape))) : undefined;
  const temb = classes
    ? timeIn.y.map((v, i) => {
        const row = classes[Math.floor(i / hidden)]!;
        return v + params[offset + at.classes + row * hidden + (i % hidden)]!;
      })
    : timeIn.y;
  const heads = Object.fromEntries(
    UNET_BLOCKS.map((b) => [
      b,
      dense(at.timeHeads[b], hidden, parts.blocks[b].outputChannels, 'identity', temb),
    ]),
  ) as Record<UNetBlock, ReturnType<typeof denseForward>>;
  const block = (b: UNetBlock, input: Floats) =>
    residualBlockForward(params, offset + at.blocks[b], parts.blocks[b], input, heads[b].y, batch);
  const convIn = conv2dForward(params, offset + at.convIn, parts.convIn, x, batch);
  const b1 = block('block1', convIn.y);
  const b2 = block('block2', avgPool2Forward(parts.full, b1.y, batch));
  const up = conv2dForward(params, offset + at.up, parts.up, b2.y, batch);
  const joined = upsample2Forward(parts.full, up.y, batch).map((v, i) => v + b1.y[i]!);
  const b3 = block('block3', joined);
  const norm = groupNormForward(params, offset + at.normOut, parts.normOut, b3.y, batch);
  const activated = norm.y.map((v) => activate('silu', v));
  const convOut = conv2dForward(params, offset + at.convOut, parts.convOut, activated, batch);
  return {
    y: convOut.y,
    cache: {
      features,
      timeIn: timeIn.cache,
      heads: {
        block1: heads.block1.cache,
        block2: heads.block2.cache,
        block3: heads.block3.cache,
      },
      convIn: convIn.cache,
      blocks: { block1: b1.cache, block2: b2.cache, block3: b3.cache },
      up: up.cache,
      normOut: norm.cache,
      g: norm.y,
      convOut: convOut.cache,
      ...(classes ? { labels: classes } : {}),
    },
  };
}

/**
 * Accumulates every parameter gradient into `grads` (at `offset`) and returns dL/dx (t is not
 * differentiated: it is a step index).
 */
export function unetBackward(
  params: Floats,
  offset: number,
  shape: UNetShape,
  cache: UNetCache,
  dy: Floats,
  batch: number,
  grads: Float64Array,
): Float64Array {
  const parts = unetParts(shape);
  const at = parts.offsets;
  const hidden = shape.timeHidden;
  const da = conv2dBackward(
    params,
    offset + at.convOut,
    parts.convOut,
    cache.convOut,
    dy,
    batch,
    grads,
  );
  const dg = da.map((v, i) => v * activationGrad('silu', cache.g[i]!));
  const dh3 = groupNormBackward(
    params,
    offset + at.normOut,
    parts.normOut,
    cache.normOut,
    dg,
    batch,
    grads,
  );
  const block = (b: UNetBlock, d: Floats) =>
    residualBlockBackward(
      params,
      offset + at.blocks[b],
      parts.blocks[b],
      cache.blocks[b],
      d,
      batch,
      grads,
    );
  const b3 = block('block3', dh3);
  const dq = upsample2Backward(parts.full, b3.dx, batch);
  const dh2 = conv2dBackward(params, offset + at.up, parts.up, cache.up, dq, batch, grads);
  const b2 = block('block2', dh2);
  // h1 feeds both the join (dL/dj) and the down path.
  const dh1 = avgPool2Backward(parts.full, b2.dx, batch).map((v, i) => v + b3.dx[i]!);
  const b1 = block('block1', dh1);
  const dx = conv2dBackward(
    params,
    offset + at.convIn,
    parts.convIn,
    cache.convIn,
    b1.dx,
    batch,
    grads,
  );
  const dTemb = new Float64Array(batch * hidden);
  const de = { block1: b1.de!, block2: b2.de!, block3: b3.de! };
  for (const b of UNET_BLOCKS) {
    const cout = parts.blocks[b].outputChannels;
    const o = offset + at.timeHeads[b];
    const d = denseBackward(
      params,
      o,
      o + hidden * cout,
      hidden,
      cout,
      'identity',
      cache.heads[b],
      de[b],
      batch,
      grads,
    );
    d.forEach((v, i) => (dTemb[i] = dTemb[i]! + v));
  }
  // The class table: each row gathers dL/dtemb of the samples of its class.
  if (cache.labels) {
    cache.labels.forEach((row, b) => {
      for (let j = 0; j < hidden; j++) {
        const at2 = offset + at.classes + row * hidden + j;
        grads[at2] = grads[at2]! + dTemb[b * hidden + j]!;
      }
    });
  }
  const o = offset + at.timeIn;
  denseBackward(
    params,
    o,
    o + shape.timeFeatures * hidden,
    shape.timeFeatures,
    hidden,
    'silu',
    cache.timeIn,
    dTemb,
    batch,
    grads,
  );
  return dx;
}
