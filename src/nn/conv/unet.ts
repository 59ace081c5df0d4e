// Over 400 lines on purpose: bind() wires the whole network's buffers and its forward and backward
// step lists in one place, so each activation's buffer and its gradient's are visibly paired.
/**
 * A small U-Net ε-denoiser over NCHW image batches (two resolutions, residual blocks,
 * GroupNorm, a time embedding): the network of the file comment of its twin,
 * src/nn/reference/unet.ts. Composed of the existing layers (EmbedConcat, DenseLayer, Conv2d,
 * ResidualBlock, Resample2x2, GroupNorm with the SiLU after the last norm fused into it) and
 * ElementwiseAdd (the skip join and the sums of gradients that meet): no kernel of its own.
 * Gradients: the dense layers write one chunk per `chunkSize` samples (gradStride apart), every
 * other layer writes the whole batch into the first chunk; the optimizer sums the chunks.
 */
import { type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import { addDenseParameters, DenseLayer, EmbedConcat } from '../layers';
import type { ParameterLayout } from '../parameters';
import {
  classRows,
  UNET_BLOCKS,
  unetParts,
  type UNetBlock,
  type UNetShape,
} from '../reference/unet';
import { ClassEmbedding } from './class-embedding';
import { addConv2dParameters, Conv2d } from './conv2d';
import { addGroupNormParameters, GroupNorm } from './group-norm';
import { ElementwiseAdd, stepsBinding, type LayerBinding, type Step } from './layer-steps';
import { Resample2x2 } from './resample';
import {
  addResidualBlockParameters,
  checkResidualBlockShape,
  ResidualBlock,
} from './residual-block';

export type { UNetShape } from '../reference/unet';

type Binding = GPUBuffer | GPUBufferBinding;

/** Checks a shape, saying what was expected, what was received and what to do. */
export function checkUNetShape(shape: UNetShape): void {
  for (const [name, value] of Object.entries(shape)) {
    if (name === 'eps' || name === 'timeScale' || name === 'classes') continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`U-Net ${name} must be a positive integer, got ${value}.`);
    }
  }
  if (shape.height % 2 !== 0 || shape.width % 2 !== 0) {
    throw new RangeError(
      `The U-Net halves the resolution once: height and width must be even, got ` +
        `${shape.height} × ${shape.width}. Pad or crop the images to even sizes.`,
    );
  }
  if (shape.timeFeatures % 2 !== 0) {
    throw new RangeError(
      `U-Net timeFeatures (sin and cos pairs) must be even, got ${shape.timeFeatures}.`,
    );
  }
  if (shape.classes !== undefined && (!Number.isInteger(shape.classes) || shape.classes < 0)) {
    throw new RangeError(`U-Net classes must be an integer ≥ 0, got ${shape.classes}.`);
  }
  for (const block of Object.values(unetParts(shape).blocks)) checkResidualBlockShape(block);
}

/**
 * Adds the U-Net's parameters in the twin's order; returns the first one's offset. Throws if
 * the layout disagrees with the twin's offsets (unetParts), which the twin reads.
 */
export function addUNetParameters(layout: ParameterLayout, name: string, shape: UNetShape): number {
  checkUNetShape(shape);
  const parts = unetParts(shape);
  const first = layout.total;
  const hidden = shape.timeHidden;
  addDenseParameters(layout, `${name}.time.in`, {
    inputs: shape.timeFeatures,
    outputs: hidden,
    activation: 'silu',
  });
  for (const b of UNET_BLOCKS) {
    addDenseParameters(layout, `${name}.time.${b}`, {
      inputs: hidden,
      outputs: parts.blocks[b].outputChannels,
      activation: 'identity',
    });
  }
  addConv2dParameters(layout, `${name}.convIn`, parts.convIn);
  addResidualBlockParameters(layout, `${name}.block1`, parts.blocks.block1);
  addResidualBlockParameters(layout, `${name}.block2`, parts.blocks.block2);
  addConv2dParameters(layout, `${name}.up`, parts.up);
  addResidualBlockParameters(layout, `${name}.block3`, parts.blocks.block3);
  addGroupNormParameters(layout, `${name}.normOut`, parts.normOut);
  addConv2dParameters(layout, `${name}.convOut`, parts.convOut);
  if (classRows(shape) > 0) {
    layout.add(`${name}.classes`, [classRows(shape), hidden], {
      kind: 'fan-in-uniform',
      fanIn: hidden,
    });
  }
  if (layout.total - first !== parts.offsets.end) {
    throw new Error(
      `U-Net layout holds ${layout.total - first} floats but its twin reads ` +
        `${parts.offsets.end}: addUNetParameters and unetParts must list the same layers.`,
    );
  }
  return first;
}

export interface UNetBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  /** x_t, batch × C × H × W. */
  input: Binding;
  /** t, batch floats (the embedding multiplies them by timeScale). */
  time: Binding;
  /** Class-conditional nets: a u32 class in [0, K] per sample (K: the null class). */
  labels?: Binding;
  /** ε̂, batch × C × H × W. */
  output: Binding;
  /** dL/dε̂; with grads, enables backward. */
  gradOutput?: Binding;
  /** Written by backward: dL/dx (optional). */
  gradInput?: Binding;
  /** chunks(batch) × gradStride floats; the entries of chunks ≥ 1 outside the dense layers stay as they are (clear once). */
  grads?: Binding;
  gradStride?: number;
}

export type UNetBinding = LayerBinding;

interface Layers {
  embed: EmbedConcat;
  timeIn: DenseLayer;
  heads: Record<UNetBlock, DenseLayer>;
  convIn: Conv2d;
  blocks: Record<UNetBlock, ResidualBlock>;
  pool: Resample2x2;
  up: Conv2d;
  upsample: Resample2x2;
  normOut: GroupNorm;
  convOut: Conv2d;
  classes?: ClassEmbedding;
}

export class UNet {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: UNetShape,
    private readonly layers: Layers,
    private readonly join: ElementwiseAdd,
  ) {}

  static async create(runtime: GpuRuntime, shape: UNetShape): Promise<UNet> {
    checkUNetShape(shape);
    const parts = unetParts(shape);
    const hidden = shape.timeHidden;
    // The 2 × 2 layers take the large side: c × H × W.
    const large = { channels: shape.base, height: shape.height, width: shape.width };
    const [
      embed,
      timeIn,
      h1,
      h2,
      h3,
      convIn,
      b1,
      b2,
      b3,
      pool,
      up,
      upsample,
      normOut,
      convOut,
      join,
    ] = await Promise.all([
      EmbedConcat.create(runtime, parts.embedding),
      DenseLayer.create(runtime, {
        inputs: shape.timeFeatures,
        outputs: hidden,
        activation: 'silu',
      }),
      ...UNET_BLOCKS.map((b) =>
        DenseLayer.create(runtime, {
          inputs: hidden,
          outputs: parts.blocks[b].outputChannels,
          activation: 'identity',
        }),
      ),
      Conv2d.create(runtime, parts.convIn),
      ...UNET_BLOCKS.map((b) => ResidualBlock.create(runtime, parts.blocks[b])),
      Resample2x2.create(runtime, 'avg-pool', large),
      Conv2d.create(runtime, parts.up),
      Resample2x2.create(runtime, 'upsample', large),
      GroupNorm.create(runtime, parts.normOut, 'silu'),
      Conv2d.create(runtime, parts.convOut),
      ElementwiseAdd.create(runtime),
    ] as const);
    const classes = shape.classes
      ? await ClassEmbedding.create(runtime, shape.classes, hidden)
      : undefined;
    const layers: Layers = {
      embed: embed as EmbedConcat,
      timeIn: timeIn as DenseLayer,
      heads: { block1: h1 as DenseLayer, block2: h2 as DenseLayer, block3: h3 as DenseLayer },
      convIn: convIn as Conv2d,
      blocks: {
        block1: b1 as ResidualBlock,
        block2: b2 as ResidualBlock,
        block3: b3 as ResidualBlock,
      },
      pool: pool as Resample2x2,
      up: up as Conv2d,
      upsample: upsample as Resample2x2,
      normOut: normOut as GroupNorm,
      convOut: convOut as Conv2d,
      ...(classes ? { classes } : {}),
    };
    if (UNET_BLOCKS.some((b) => layers.heads[b].chunkSize !== layers.timeIn.chunkSize)) {
      throw new Error('U-Net: the time MLP layers must reduce gradients in equal chunks.');
    }
    return new UNet(runtime, shape, layers, join as ElementwiseAdd);
  }

  get parameterCount(): number {
    return unetParts(this.shape).offsets.end;
  }

  /** Gradient chunks of a batch (the dense layers' reduction). */
  chunks(batch: number): number {
    return this.layers.timeIn.chunks(batch);
  }

  imageFloats(batch: number): number {
    return batch * this.shape.channels * this.shape.height * this.shape.width;
  }

  bind(spec: UNetBindingSpec, label = 'u-net'): UNetBinding {
    const { batch } = spec;
    const { runtime, layers: L, shape } = this;
    const parts = unetParts(shape);
    const at = parts.offsets;
    const p = spec.paramOffset;
    const owned: PooledBuffer[] = [];
    const disposables: { dispose(): void }[] = [];
    const floats = (n: number, name: string) => {
      const buffer = runtime.pool.acquire(4 * n, STORAGE_USAGE, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    const bound = <T extends { dispose(): void }>(binding: T) => (
      disposables.push(binding),
      binding
    );
    const backward = Boolean(spec.gradOutput && spec.grads);
    const back = <T extends object>(extra: T) => (backward ? extra : {});
    const grads = spec.grads!;
    const gradStride = spec.gradStride ?? this.parameterCount;
    const c = shape.base;
    const pixels = shape.height * shape.width;
    const full = batch * c * pixels;
    const halfMaps = full / 4;
    const hidden = shape.timeHidden;
    const cout = (b: UNetBlock) => parts.blocks[b].outputChannels;

    // Time MLP: features → temb → e_k (one projection per block).
    const features = floats(batch * shape.timeFeatures, 'time features');
    const temb = floats(batch * hidden, 'temb');
    const dTemb = backward ? floats(batch * hidden, 'dL/dtemb') : undefined;
    const dTemb12 = backward ? floats(batch * hidden, 'dL/dtemb 1 + 2') : undefined;
    // The embedding copies no coordinates (dims 0): x is a placeholder it never reads.
    const embed = bound(
      L.embed.bind({ batch, x: floats(4, 'no coordinates'), t: spec.time, out: features }),
    );
    const dense = (
      layer: DenseLayer,
      offset: number,
      input: Binding,
      output: Binding,
      dOut?: Binding,
      dIn?: Binding,
    ) =>
      bound(
        layer.bind({
          batch,
          params: spec.params,
          paramOffset: p + offset,
          input,
          output,
          cache: floats(layer.cacheFloats(batch), 'dense cache'),
          ...(dOut && dIn ? { gradOutput: dOut, gradInput: dIn, grads, gradStride } : {}),
        }),
      );
    const timeIn = dense(
      L.timeIn,
      at.timeIn,
      features,
      temb,
      dTemb,
      backward ? floats(batch * shape.timeFeatures, 'dL/d features (unused)') : undefined,
    );
    const e = {} as Record<UNetBlock, Binding>;
    const de = {} as Record<UNetBlock, Binding>;
    const dTembParts = {} as Record<UNetBlock, Binding>;
    for (const b of UNET_BLOCKS) {
      e[b] = floats(batch * cout(b), `e ${b}`);
      if (backward) {
        de[b] = floats(batch * cout(b), `dL/de ${b}`);
        dTembParts[b] = floats(batch * hidden, `dL/dtemb from ${b}`);
      }
    }
    // Class-conditional: the heads read temb + E[label] (dL/d of it is dL/dtemb).
    if (L.classes && !spec.labels) {
      throw new Error(`${label}: a class-conditional U-Net needs labels (u32 per sample).`);
    }
    const conditioned = L.classes ? floats(batch * hidden, 'temb + class') : temb;
    const classes = L.classes
      ? bound(
          L.classes.bind(
            {
              batch,
              params: spec.params,
              paramOffset: p + at.classes,
              labels: spec.labels!,
              input: temb,
              output: conditioned,
              ...(dTemb ? { gradOutput: dTemb, grads } : {}),
            },
            `${label} class embedding`,
          ),
        )
      : undefined;
    const heads = UNET_BLOCKS.map((b) =>
      dense(L.heads[b], at.timeHeads[b], conditioned, e[b], de[b], dTembParts[b]),
    );

    // Maps.
    const h0 = floats(full, 'conv in out');
    const h1 = floats(full, 'block 1 out');
    const pooled = floats(halfMaps, 'pooled');
    const h2 = floats(2 * halfMaps, 'block 2 out');
    const q = floats(halfMaps, 'up conv out');
    const u = floats(full, 'upsampled');
    const j = floats(full, 'join');
    const h3 = floats(full, 'block 3 out');
    const a = floats(full, 'GroupNorm + act out');
    const d = backward
      ? {
          a: floats(full, 'dL/d act'),
          h3: floats(full, 'dL/dh3'),
          j: floats(full, 'dL/d join'),
          q: floats(halfMaps, 'dL/d up conv out'),
          h2: floats(2 * halfMaps, 'dL/dh2'),
          pooled: floats(halfMaps, 'dL/d pooled'),
          h1Down: floats(full, 'dL/dh1 down path'),
          h1: floats(full, 'dL/dh1'),
          h0: floats(full, 'dL/dh0'),
        }
      : undefined;
    const conv = (
      layer: Conv2d,
      offset: number,
      name: string,
      input: Binding,
      output: Binding,
      dOut?: Binding,
      dIn?: Binding,
    ) =>
      bound(
        layer.bind(
          {
            batch,
            params: spec.params,
            paramOffset: p + offset,
            input,
            output,
            cache: floats(layer.cacheFloats(batch), `${name} cache`),
            ...(dOut ? back({ gradOutput: dOut, grads, ...(dIn ? { gradInput: dIn } : {}) }) : {}),
          },
          `${label} ${name}`,
        ),
      );
    const block = (b: UNetBlock, input: Binding, output: Binding, dOut?: Binding, dIn?: Binding) =>
      bound(
        L.blocks[b].bind(
          {
            batch,
            params: spec.params,
            paramOffset: p + at.blocks[b],
            input,
            embedding: e[b],
            output,
            ...(dOut && dIn
              ? back({ gradOutput: dOut, gradInput: dIn, gradEmbedding: de[b], grads })
              : {}),
          },
          `${label} ${b}`,
        ),
      );
    const add = (count: number, name: string, x: Binding, y: Binding, dst: Binding): Step => {
      const joined = bound(this.join.bind(count, x, y, dst, `${label} ${name}`));
      return joined.step;
    };
    const convIn = conv(L.convIn, at.convIn, 'conv in', spec.input, h0, d?.h0, spec.gradInput);
    const block1 = block('block1', h0, h1, d?.h1, d?.h0);
    const pool = bound(
      L.pool.bind(
        {
          batch,
          input: h1,
          output: pooled,
          ...(d ? { gradOutput: d.pooled, gradInput: d.h1Down } : {}),
        },
        `${label} avg-pool`,
      ),
    );
    const block2 = block('block2', pooled, h2, d?.h2, d?.pooled);
    const up = conv(L.up, at.up, 'up conv', h2, q, d?.q, d?.h2);
    const upsample = bound(
      L.upsample.bind(
        { batch, input: q, output: u, ...(d ? { gradOutput: d.j, gradInput: d.q } : {}) },
        `${label} upsample`,
      ),
    );
    const block3 = block('block3', j, h3, d?.h3, d?.j);
    const normOut = bound(
      L.normOut.bind(
        {
          batch,
          params: spec.params,
          paramOffset: p + at.normOut,
          input: h3,
          output: a,
          cache: floats(L.normOut.cacheFloats(batch), 'GroupNorm out cache'),
          ...(d ? { gradOutput: d.a, gradInput: d.h3, grads } : {}),
        },
        `${label} GroupNorm + act out`,
      ),
    );
    const convOut = conv(L.convOut, at.convOut, 'conv out', a, spec.output, spec.gradOutput, d?.a);
    const forwardSteps: Step[] = [
      (pass) => embed.encodeForward(pass),
      (pass) => timeIn.encodeForward(pass),
      ...(classes ? [(pass: GPUComputePassEncoder) => classes.encodeForward(pass)] : []),
      ...heads.map(
        (head): Step =>
          (pass) =>
            head.encodeForward(pass),
      ),
      (pass) => convIn.encodeForward(pass),
      (pass) => block1.encodeForward(pass),
      (pass) => pool.encodeForward(pass),
      (pass) => block2.encodeForward(pass),
      (pass) => up.encodeForward(pass),
      (pass) => upsample.encodeForward(pass),
      add(full, 'skip join', u, h1, j),
      (pass) => block3.encodeForward(pass),
      (pass) => normOut.encodeForward(pass),
      (pass) => convOut.encodeForward(pass),
    ];
    const backwardSteps: Step[] | undefined =
      d && dTemb && dTemb12
        ? [
            (pass) => convOut.encodeBackward(pass),
            (pass) => normOut.encodeBackward(pass),
            (pass) => block3.encodeBackward(pass),
            (pass) => upsample.encodeBackward(pass),
            (pass) => up.encodeBackward(pass),
            (pass) => block2.encodeBackward(pass),
            (pass) => pool.encodeBackward(pass),
            // h1 feeds the join and the down path: in the twin's order, down + join.
            add(full, 'dL/dh1 join', d.h1Down, d.j, d.h1),
            (pass) => block1.encodeBackward(pass),
            (pass) => convIn.encodeBackward(pass),
            ...heads.map(
              (head): Step =>
                (pass) =>
                  head.encodeBackward(pass),
            ),
            // The twin sums the heads' dL/dtemb in block order: (1 + 2) + 3.
            add(batch * hidden, 'dL/dtemb 1 + 2', dTembParts.block1, dTembParts.block2, dTemb12),
            add(batch * hidden, 'dL/dtemb + 3', dTemb12, dTembParts.block3, dTemb),
            ...(classes ? [(pass: GPUComputePassEncoder) => classes.encodeBackward(pass)] : []),
            (pass) => timeIn.encodeBackward(pass),
          ]
        : undefined;
    return stepsBinding(label, forwardSteps, backwardSteps, () => {
      disposables.forEach((binding) => binding.dispose());
      disposables.length = 0;
      owned.forEach((buffer) => buffer.dispose());
      owned.length = 0;
    });
  }
}
