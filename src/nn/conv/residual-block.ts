/**
 * The convolutional residual block of diffusion U-Nets (DDPM, improved-diffusion), over NCHW
 * batches at one resolution:
 *   h = conv3×3(SiLU(GroupNorm(x))) (+ e[n, c], a projected time embedding)
 *   out = skip(x) + conv3×3(SiLU(GroupNorm(h))),  skip = identity, or a 1 × 1 conv when the
 *   channels change.
 * Composed of Conv2d, GroupNorm (with the SiLU after each norm fused into it) and TimeAdd; the
 * skip join (forward: out = skip + h; backward: dL/dx = main path + skip path) is
 * ElementwiseAdd (shaders/nn/residual.wgsl).
 * Every parameter gradient is one invocation's loop over the whole batch in a fixed order (each
 * sublayer's), written at the block's parameter offsets: one gradient chunk.
 * Twin: src/nn/reference/residual.ts.
 */
import { type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import type { ParameterLayout } from '../parameters';
import { residualBlockParts, type ResidualBlockShape } from '../reference/residual';
import { addConv2dParameters, Conv2d, type Conv2dBinding } from './conv2d';
import { addGroupNormParameters, GroupNorm } from './group-norm';
import { ElementwiseAdd, stepsBinding, type LayerBinding, type Step } from './layer-steps';
import { TimeAdd } from './time-add';

export type { ResidualBlockShape } from '../reference/residual';

type Binding = GPUBuffer | GPUBufferBinding;

/** Checks a shape, saying what was expected, what was received and what to do. */
export function checkResidualBlockShape(shape: ResidualBlockShape): void {
  const { inputChannels: cin, outputChannels: cout, groups } = shape;
  for (const [name, value] of Object.entries({
    inputChannels: cin,
    outputChannels: cout,
    height: shape.height,
    width: shape.width,
    groups,
  })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Residual block ${name} must be a positive integer, got ${value}.`);
    }
  }
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new RangeError(
      `Residual block groups must divide both channel counts: got ${groups} groups for ` +
        `${cin} → ${cout} channels. Pick a common divisor of ${cin} and ${cout}.`,
    );
  }
}

/** Adds the block's parameters in the twin's order (norm1, conv1, norm2, conv2, skip). */
export function addResidualBlockParameters(
  layout: ParameterLayout,
  name: string,
  shape: ResidualBlockShape,
): number {
  const parts = residualBlockParts(shape);
  const first = addGroupNormParameters(layout, `${name}.norm1`, parts.norm1);
  addConv2dParameters(layout, `${name}.conv1`, parts.conv1);
  addGroupNormParameters(layout, `${name}.norm2`, parts.norm2);
  addConv2dParameters(layout, `${name}.conv2`, parts.conv2);
  if (parts.skip) addConv2dParameters(layout, `${name}.skip`, parts.skip);
  return first;
}

export interface ResidualBlockBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  /** x, batch × CIN × H × W. */
  input: Binding;
  /** e, batch × COUT (a timed block only). */
  embedding?: Binding;
  /** out, batch × COUT × H × W. */
  output: Binding;
  /** dL/d(out); with grads, enables backward. */
  gradOutput?: Binding;
  /** Written by backward: dL/dx (optional: a first block has none to give). */
  gradInput?: Binding;
  /** Written by backward: dL/de, batch × COUT (a timed block). */
  gradEmbedding?: Binding;
  /**
   * Written by backward: the block's parameter gradients at paramOffset, the whole batch in the
   * first gradient chunk. A task whose other layers use several chunks (DenseLayer) clears this
   * buffer once, so that the block's entries in the other chunks stay 0 for the optimizer's sum.
   */
  grads?: Binding;
}

export type ResidualBlockBinding = LayerBinding;

export class ResidualBlock {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: ResidualBlockShape,
    private readonly layers: {
      norm1: GroupNorm;
      conv1: Conv2d;
      norm2: GroupNorm;
      conv2: Conv2d;
      skip?: Conv2d;
      time?: TimeAdd;
    },
    private readonly join: ElementwiseAdd,
  ) {}

  static async create(runtime: GpuRuntime, shape: ResidualBlockShape): Promise<ResidualBlock> {
    checkResidualBlockShape(shape);
    const parts = residualBlockParts(shape);
    const [norm1, conv1, norm2, conv2, skip, time, join] = await Promise.all([
      GroupNorm.create(runtime, parts.norm1, parts.activation),
      Conv2d.create(runtime, parts.conv1),
      GroupNorm.create(runtime, parts.norm2, parts.activation),
      Conv2d.create(runtime, parts.conv2),
      parts.skip ? Conv2d.create(runtime, parts.skip) : undefined,
      shape.timeEmbedding
        ? TimeAdd.create(runtime, {
            channels: shape.outputChannels,
            height: shape.height,
            width: shape.width,
          })
        : undefined,
      ElementwiseAdd.create(runtime),
    ]);
    return new ResidualBlock(
      runtime,
      shape,
      { norm1, conv1, norm2, conv2, ...(skip ? { skip } : {}), ...(time ? { time } : {}) },
      join,
    );
  }

  get parameterCount(): number {
    return residualBlockParts(this.shape).offsets.end;
  }

  inputFloats(batch: number): number {
    return batch * this.shape.inputChannels * this.shape.height * this.shape.width;
  }

  outputFloats(batch: number): number {
    return batch * this.shape.outputChannels * this.shape.height * this.shape.width;
  }

  bind(spec: ResidualBlockBindingSpec, label = 'residual block'): ResidualBlockBinding {
    const { batch } = spec;
    if (this.shape.timeEmbedding && !spec.embedding) {
      throw new Error(`${label} adds a time embedding: bind it with embedding (batch × COUT).`);
    }
    const { runtime, layers } = this;
    const owned: { dispose(): void }[] = [];
    const floats = (n: number, name: string) => {
      const buffer: PooledBuffer = runtime.pool.acquire(4 * n, STORAGE_USAGE, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    const inN = this.inputFloats(batch);
    const outN = this.outputFloats(batch);
    const at = residualBlockParts(this.shape).offsets;
    const p = spec.paramOffset;
    const backward = Boolean(spec.gradOutput && spec.grads);
    const grads = spec.grads;
    // Maps: a = act(GroupNorm(·)) (the norms' fused output), h = conv1 (+ e), c = conv2,
    // s = the skip conv.
    const a1 = floats(inN, 'act 1');
    const h1 = floats(outN, 'conv 1 out');
    const ht = layers.time ? floats(outN, 'conv 1 out + e') : h1;
    const a2 = floats(outN, 'act 2');
    const c2 = floats(outN, 'conv 2 out');
    const s = layers.skip ? floats(outN, 'skip out') : spec.input;
    const d = backward
      ? {
          a2: floats(outN, 'dL/d act 2'),
          h: floats(outN, 'dL/dh'),
          a1: floats(inN, 'dL/d act 1'),
          main: floats(inN, 'dL/dx main'),
          skip: layers.skip ? floats(inN, 'dL/dx skip') : spec.gradOutput!,
        }
      : undefined;
    const gradSpec = <T extends object>(extra: T) => (backward && grads ? { ...extra, grads } : {});
    const norm = (
      n: GroupNorm,
      name: string,
      offset: number,
      input: Binding,
      output: Binding,
      dy?: Binding,
      dx?: Binding,
    ) =>
      n.bind(
        {
          batch,
          params: spec.params,
          paramOffset: p + offset,
          input,
          output,
          cache: floats(n.cacheFloats(batch), `${name} cache`),
          ...(dy && dx ? gradSpec({ gradOutput: dy, gradInput: dx }) : {}),
        },
        `${label} ${name}`,
      );
    const conv = (
      c: Conv2d,
      name: string,
      offset: number,
      input: Binding,
      output: Binding,
      dy?: Binding,
      dx?: Binding,
    ): Conv2dBinding =>
      c.bind(
        {
          batch,
          params: spec.params,
          paramOffset: p + offset,
          input,
          output,
          cache: floats(c.cacheFloats(batch), `${name} cache`),
          ...(dy ? gradSpec({ gradOutput: dy, ...(dx ? { gradInput: dx } : {}) }) : {}),
        },
        `${label} ${name}`,
      );
    const add = (count: number, name: string, a: Binding, b: Binding, dst: Binding): Step => {
      const bound = this.join.bind(count, a, b, dst, `${label} ${name}`);
      owned.push(bound);
      return bound.step;
    };
    const n1 = norm(layers.norm1, 'GroupNorm 1 + act', at.norm1, spec.input, a1, d?.a1, d?.main);
    const c1 = conv(layers.conv1, 'conv 1', at.conv1, a1, h1, d?.h, d?.a1);
    const time = layers.time?.bind(
      {
        batch,
        input: h1,
        embedding: spec.embedding!,
        output: ht,
        ...(d && spec.gradEmbedding ? { gradOutput: d.h, gradEmbedding: spec.gradEmbedding } : {}),
      },
      `${label} time add`,
    );
    const n2 = norm(layers.norm2, 'GroupNorm 2 + act', at.norm2, ht, a2, d?.a2, d?.h);
    const c2b = conv(layers.conv2, 'conv 2', at.conv2, a2, c2, spec.gradOutput, d?.a2);
    const skip = layers.skip
      ? conv(layers.skip, 'skip', at.skip, spec.input, s, spec.gradOutput, d?.skip)
      : undefined;
    owned.push(...[n1, c1, n2, c2b, skip, time].filter((b) => b !== undefined));
    const forwardSteps: Step[] = [
      (pass) => n1.encodeForward(pass),
      (pass) => c1.encodeForward(pass),
      ...(time ? [(pass: GPUComputePassEncoder) => time.encodeForward(pass)] : []),
      (pass) => n2.encodeForward(pass),
      (pass) => c2b.encodeForward(pass),
      ...(skip ? [(pass: GPUComputePassEncoder) => skip.encodeForward(pass)] : []),
      add(outN, 'skip join', s, c2, spec.output),
    ];
    const backwardSteps: Step[] | undefined = d
      ? [
          (pass) => c2b.encodeBackward(pass),
          (pass) => n2.encodeBackward(pass),
          ...(time && spec.gradEmbedding
            ? [(pass: GPUComputePassEncoder) => time.encodeBackward(pass)]
            : []),
          (pass) => c1.encodeBackward(pass),
          (pass) => n1.encodeBackward(pass),
          ...(skip ? [(pass: GPUComputePassEncoder) => skip.encodeBackward(pass)] : []),
          ...(spec.gradInput ? [add(inN, 'dL/dx join', d.main, d.skip, spec.gradInput)] : []),
        ]
      : undefined;
    return stepsBinding(label, forwardSteps, backwardSteps, () => {
      owned.forEach((resource) => resource.dispose());
      owned.length = 0;
    });
  }
}
