/**
 * The convolutional residual block of diffusion U-Nets (DDPM, improved-diffusion), over NCHW
 * batches at one resolution:
 *   h = conv3×3(SiLU(GroupNorm(x))) (+ e[n, c], a projected time embedding)
 *   out = skip(x) + conv3×3(SiLU(GroupNorm(h))),  skip = identity, or a 1 × 1 conv when the
 *   channels change.
 * Composed of Conv2d, GroupNorm and TimeAdd; the activation after each norm and the skip join
 * (forward: out = skip + h; backward: dL/dx = main path + skip path) are shaders/nn/residual.wgsl.
 * Every parameter gradient is one invocation's loop over the whole batch in a fixed order (each
 * sublayer's), written at the block's parameter offsets: one gradient chunk.
 * Twin: src/nn/reference/residual.ts.
 */
import residualSource from '../../../shaders/nn/residual.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
  STORAGE_USAGE,
} from '../../gpu';
import { activationId } from '../activations';
import { ACTIVATIONS_LIBRARY } from '../kernels';
import type { ParameterLayout } from '../parameters';
import { residualBlockParts, type ResidualBlockShape } from '../reference/residual';
import { addConv2dParameters, Conv2d, type Conv2dBinding } from './conv2d';
import { addGroupNormParameters, GroupNorm } from './group-norm';
import { TimeAdd } from './time-add';

export type { ResidualBlockShape } from '../reference/residual';

type Binding = GPUBuffer | GPUBufferBinding;
type Entry = 'activate' | 'activate_grad' | 'add';

/** The elementwise kernels of shaders/nn/residual.wgsl (the U-Net reuses `add` for its join). */
export const residualKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `nn/residual-${entryPoint}`,
    file: 'nn/residual.wgsl',
    source: residualSource,
    libraries: [ACTIVATIONS_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (count, workgroupSize) => workgroupsFor(count, workgroupSize),
  });

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

export interface ResidualBlockBinding {
  encodeForward(pass: GPUComputePassEncoder): void;
  encodeBackward(pass: GPUComputePassEncoder): void;
  /** Releases the uniforms and the intermediate maps the binding owns. */
  dispose(): void;
}

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
    private readonly kernels: Record<Entry, CompiledKernel>,
  ) {}

  static async create(runtime: GpuRuntime, shape: ResidualBlockShape): Promise<ResidualBlock> {
    checkResidualBlockShape(shape);
    const parts = residualBlockParts(shape);
    const constants = { ACTIVATION: activationId(parts.activation) };
    const entries: Entry[] = ['activate', 'activate_grad', 'add'];
    const [norm1, conv1, norm2, conv2, skip, time, ...compiled] = await Promise.all([
      GroupNorm.create(runtime, parts.norm1),
      Conv2d.create(runtime, parts.conv1),
      GroupNorm.create(runtime, parts.norm2),
      Conv2d.create(runtime, parts.conv2),
      parts.skip ? Conv2d.create(runtime, parts.skip) : undefined,
      shape.timeEmbedding
        ? TimeAdd.create(runtime, {
            channels: shape.outputChannels,
            height: shape.height,
            width: shape.width,
          })
        : undefined,
      ...entries.map((entry) => runtime.pipelines.get(residualKernel(entry), constants)),
    ]);
    const kernels = Object.fromEntries(
      entries.map((e, i) => [e, compiled[i] as CompiledKernel]),
    ) as Record<Entry, CompiledKernel>;
    return new ResidualBlock(
      runtime,
      shape,
      {
        norm1: norm1 as GroupNorm,
        conv1: conv1 as Conv2d,
        norm2: norm2 as GroupNorm,
        conv2: conv2 as Conv2d,
        ...(skip ? { skip: skip as Conv2d } : {}),
        ...(time ? { time: time as TimeAdd } : {}),
      },
      kernels,
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
    const { runtime, layers, kernels: k } = this;
    const device = runtime.device;
    const owned: PooledBuffer[] = [];
    const storage = STORAGE_USAGE;
    const floats = (n: number, name: string) => {
      const buffer = runtime.pool.acquire(4 * n, storage, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    const uniformsFor = (count: number, name: string) => {
      const buffer = runtime.pool.upload(
        new Uint32Array([count, 0, 0, 0]),
        GPUBufferUsage.UNIFORM,
        `${label} ${name} uniforms`,
      );
      owned.push(buffer);
      return buffer.binding;
    };
    const inN = this.inputFloats(batch);
    const outN = this.outputFloats(batch);
    const at = residualBlockParts(this.shape).offsets;
    const p = spec.paramOffset;
    const backward = Boolean(spec.gradOutput && spec.grads);
    const grads = spec.grads;
    // Maps: g = a norm's output, a = act(g) (its gradient overwrites a once the conv that read a
    // has its weight gradient), h = conv1 (+ e), c = conv2, s = the skip conv.
    const g1 = floats(inN, 'GroupNorm 1 out');
    const a1 = floats(inN, 'act 1');
    const h1 = floats(outN, 'conv 1 out');
    const ht = layers.time ? floats(outN, 'conv 1 out + e') : h1;
    const g2 = floats(outN, 'GroupNorm 2 out');
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
    const elementwise = (
      entry: Entry,
      count: number,
      name: string,
      a: Binding,
      b: Binding,
      dst: Binding,
    ) => {
      const group = k[entry].bind(
        device,
        [uniformsFor(count, name), a, b, dst],
        `${label} ${name}`,
      );
      return (pass: GPUComputePassEncoder) => k[entry].encode(pass, group, count);
    };
    const n1 = norm(layers.norm1, 'GroupNorm 1', at.norm1, spec.input, g1, a1, d?.main);
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
    const n2 = norm(layers.norm2, 'GroupNorm 2', at.norm2, ht, g2, a2, d?.h);
    const c2b = conv(layers.conv2, 'conv 2', at.conv2, a2, c2, spec.gradOutput, d?.a2);
    const skip = layers.skip
      ? conv(layers.skip, 'skip', at.skip, spec.input, s, spec.gradOutput, d?.skip)
      : undefined;
    const forwardSteps = [
      (pass: GPUComputePassEncoder) => n1.encodeForward(pass),
      elementwise('activate', inN, 'act 1', g1, g1, a1),
      (pass: GPUComputePassEncoder) => c1.encodeForward(pass),
      ...(time ? [(pass: GPUComputePassEncoder) => time.encodeForward(pass)] : []),
      (pass: GPUComputePassEncoder) => n2.encodeForward(pass),
      elementwise('activate', outN, 'act 2', g2, g2, a2),
      (pass: GPUComputePassEncoder) => c2b.encodeForward(pass),
      ...(skip ? [(pass: GPUComputePassEncoder) => skip.encodeForward(pass)] : []),
      elementwise('add', outN, 'skip join', s, c2, spec.output),
    ];
    const backwardSteps = d
      ? [
          (pass: GPUComputePassEncoder) => c2b.encodeBackward(pass),
          // dL/dg2 into a2's buffer: conv 2's weight gradient has read a2 already.
          elementwise('activate_grad', outN, 'act 2 backward', d.a2, g2, a2),
          (pass: GPUComputePassEncoder) => n2.encodeBackward(pass),
          ...(time && spec.gradEmbedding
            ? [(pass: GPUComputePassEncoder) => time.encodeBackward(pass)]
            : []),
          (pass: GPUComputePassEncoder) => c1.encodeBackward(pass),
          elementwise('activate_grad', inN, 'act 1 backward', d.a1, g1, a1),
          (pass: GPUComputePassEncoder) => n1.encodeBackward(pass),
          ...(skip ? [(pass: GPUComputePassEncoder) => skip.encodeBackward(pass)] : []),
          ...(spec.gradInput
            ? [elementwise('add', inN, 'dL/dx join', d.main, d.skip, spec.gradInput)]
            : []),
        ]
      : undefined;
    return {
      encodeForward: (pass) => forwardSteps.forEach((step) => step(pass)),
      encodeBackward: (pass) => {
        if (!backwardSteps) {
          throw new Error(`${label} has no backward: bind it with gradOutput and grads.`);
        }
        backwardSteps.forEach((step) => step(pass));
      },
      dispose: () => {
        for (const binding of [n1, c1, n2, c2b, skip, time]) binding?.dispose();
        owned.forEach((buffer) => buffer.dispose());
        owned.length = 0;
      },
    };
  }
}
