/**
 * 2-D convolution + activation over NCHW batches (shaders/nn/conv.wgsl): one dispatch forward,
 * three backward (δ = dL/dy ⊙ act′(z), dL/dx, dW and db); two with the identity activation, whose
 * backward reads δ = dL/dy in place. Twin: src/nn/reference/conv.ts.
 */
import convSource from '../../../shaders/nn/conv.wgsl';
import {
  defineKernel,
  GpuLimitError,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { activationId } from '../activations';
import { ACTIVATIONS_LIBRARY } from '../kernels';
import type { ParameterLayout } from '../parameters';
import { convOutputSize, type Conv2dShape } from '../reference/conv';

export type { Conv2dShape } from '../reference/conv';
export { convOutputSize, convParameterCount } from '../reference/conv';

type Binding = GPUBuffer | GPUBufferBinding;
type Entry = 'forward' | 'delta' | 'backward_input' | 'backward_weights';

const convKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `nn/conv2d-${entryPoint}`,
    file: 'nn/conv.wgsl',
    source: convSource,
    libraries: [ACTIVATIONS_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
    // The weight-gradient reduction has few, long invocations: small workgroups spread them
    // over more CPU threads (SwiftShader runs a workgroup on one thread).
    workgroupSize: entryPoint === 'backward_weights' ? 16 : 64,
    dispatch: (invocations, workgroupSize) => workgroupsFor(invocations, workgroupSize),
  });

/** Checks a shape, saying what was expected and received. */
export function checkConvShape(shape: Conv2dShape): void {
  const positive = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Conv2d ${name} must be a positive integer, got ${value}.`);
    }
  };
  positive('inputChannels', shape.inputChannels);
  positive('outputChannels', shape.outputChannels);
  positive('height', shape.height);
  positive('width', shape.width);
  if (shape.kernel !== 1 && shape.kernel !== 3) {
    throw new RangeError(`Conv2d kernel must be 1 or 3, got ${String(shape.kernel)}.`);
  }
  if (shape.stride !== 1 && shape.stride !== 2) {
    throw new RangeError(`Conv2d stride must be 1 or 2, got ${String(shape.stride)}.`);
  }
  activationId(shape.activation);
}

/**
 * Adds W (COUT × CIN × K × K), Kaiming-uniform for the activation (fan-in CIN·K²), then b, zero
 * (as TF.js/Keras conv layers and the benchmark's peers start).
 */
export function addConv2dParameters(
  layout: ParameterLayout,
  name: string,
  shape: Conv2dShape,
): number {
  const fanIn = shape.inputChannels * shape.kernel ** 2;
  const reluLike = ['relu', 'leaky-relu', 'silu', 'gelu'].includes(shape.activation);
  const weight = layout.add(
    `${name}.weight`,
    [shape.outputChannels, shape.inputChannels, shape.kernel, shape.kernel],
    { kind: 'kaiming-uniform', fanIn, gain: reluLike ? Math.SQRT2 : 1 },
  );
  layout.add(`${name}.bias`, [shape.outputChannels], { kind: 'constant', value: 0 });
  return weight.offset;
}

export interface Conv2dBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  /** x, batch × CIN × H × W (NCHW), from inputOffset floats. */
  input: Binding;
  inputOffset?: number;
  /** y, batch × COUT × HO × WO, from outputOffset floats. */
  output: Binding;
  outputOffset?: number;
  /** cacheFloats(batch) floats: z, then δ (left unused with the identity activation). */
  cache: Binding;
  cacheOffset?: number;
  /**
   * dL/dy, laid out like the output (read at outputOffset). With the identity activation it is
   * δ, bound writable (never written) to dL/dx and dW: it must not be gradInput's or input's buffer.
   */
  gradOutput?: Binding;
  /** Written by backward: dL/dx, laid out like the input (at inputOffset). */
  gradInput?: Binding;
  /**
   * Written by backward: dW and db at paramOffset, the whole batch reduced in a fixed order (one
   * gradient chunk: a model with more chunks leaves the other chunks' slots of this layer zero).
   */
  grads?: Binding;
}

export interface Conv2dBinding {
  encodeForward(pass: GPUComputePassEncoder): void;
  /** δ, dL/dx (skipped when gradInput is not bound) and the parameter gradients. */
  encodeBackward(pass: GPUComputePassEncoder): void;
  dispose(): void;
}

/** How the 3 × 3 stride-1 kernels block their work (other shapes ignore it). */
export interface Conv2dTuning {
  /** Output rows (forward) and dL/dx rows (backward) per invocation. */
  rows: 2 | 4;
}

/**
 * The default: 4 rows unless the last, partial block of 4 wastes more than 15 % of the rows (14
 * rows: 16 computed, still faster than 2-row blocks on SwiftShader, the forward of the U-Net's
 * 64 → 64 conv at 14 × 14 by ~30 %).
 */
export function defaultConvTuning(shape: Conv2dShape): Conv2dTuning {
  const wasted = Math.ceil(shape.height / 4) * 4 - shape.height;
  return { rows: wasted <= 0.15 * shape.height ? 4 : 2 };
}

export class Conv2d {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: Conv2dShape,
    private readonly kernels: Record<Entry, CompiledKernel>,
    private readonly rows: number,
  ) {}

  static async create(
    runtime: GpuRuntime,
    shape: Conv2dShape,
    tuning: Conv2dTuning = defaultConvTuning(shape),
  ): Promise<Conv2d> {
    checkConvShape(shape);
    if (tuning.rows !== 2 && tuning.rows !== 4) {
      throw new RangeError(`Conv2d tuning rows must be 2 or 4, got ${String(tuning.rows)}.`);
    }
    const rows = shape.kernel === 3 && shape.stride === 1 ? tuning.rows : 1;
    const constants = {
      ROWS: Math.max(rows, 2),
      CIN: shape.inputChannels,
      COUT: shape.outputChannels,
      K: shape.kernel,
      STRIDE: shape.stride,
      H: shape.height,
      W: shape.width,
      ACTIVATION: activationId(shape.activation),
    };
    const entries: Entry[] = ['forward', 'delta', 'backward_input', 'backward_weights'];
    const compiled = await Promise.all(
      entries.map((entry) => runtime.pipelines.get(convKernel(entry), constants)),
    );
    const kernels = Object.fromEntries(entries.map((e, i) => [e, compiled[i]!])) as Record<
      Entry,
      CompiledKernel
    >;
    return new Conv2d(runtime, shape, kernels, rows);
  }

  get output(): { channels: number; height: number; width: number } {
    return { channels: this.shape.outputChannels, ...convOutputSize(this.shape) };
  }

  inputFloats(batch: number): number {
    return batch * this.shape.inputChannels * this.shape.height * this.shape.width;
  }

  outputFloats(batch: number): number {
    const { channels, height, width } = this.output;
    return batch * channels * height * width;
  }

  /** Dispatches encodeBackward records: δ (not with the identity activation), dL/dx, dW. */
  backwardDispatches(withGradInput: boolean): number {
    return (this.shape.activation === 'identity' ? 0 : 1) + (withGradInput ? 1 : 0) + 1;
  }

  cacheFloats(batch: number): number {
    return 2 * this.outputFloats(batch);
  }

  /** Binds the layer; the returned object encodes it and owns its uniforms. */
  bind(spec: Conv2dBindingSpec, label = 'conv2d'): Conv2dBinding {
    const { batch } = spec;
    this.checkBatch(batch);
    const device = this.runtime.device;
    // Identity: δ = dL/dy, read in place (bound as the backward passes' cache; no delta pass, and
    // forward stores no z). Otherwise δ follows z in the cache.
    const inPlace = this.shape.activation === 'identity';
    const deltaOffset = inPlace
      ? (spec.outputOffset ?? 0)
      : (spec.cacheOffset ?? 0) + this.outputFloats(batch);
    const uniforms: PooledBuffer = this.runtime.pool.upload(
      new Uint32Array([
        batch,
        spec.paramOffset,
        spec.inputOffset ?? 0,
        spec.outputOffset ?? 0,
        spec.cacheOffset ?? 0,
        deltaOffset,
        0,
        0,
      ]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const u = uniforms.binding;
    const k = this.kernels;
    const forward = k.forward.bind(
      device,
      [u, spec.params, spec.input, spec.output, spec.cache],
      `${label} forward`,
    );
    const backward =
      spec.gradOutput && spec.grads
        ? {
            delta: inPlace
              ? undefined
              : k.delta.bind(
                  device,
                  [u, spec.params, spec.gradOutput, spec.grads, spec.cache],
                  `${label} delta`,
                ),
            input: spec.gradInput
              ? k.backward_input.bind(
                  device,
                  [
                    u,
                    spec.params,
                    spec.input,
                    spec.gradInput,
                    inPlace ? spec.gradOutput : spec.cache,
                  ],
                  `${label} dL/dx`,
                )
              : undefined,
            weights: k.backward_weights.bind(
              device,
              [u, spec.params, spec.input, spec.grads, inPlace ? spec.gradOutput : spec.cache],
              `${label} dW`,
            ),
          }
        : undefined;
    const { inputChannels: cin, outputChannels: cout, height: h, width: w } = this.shape;
    const out = this.output;
    const blocks = (n: number) => Math.ceil(n / 4);
    // 3 × 3 stride 1: 2 or 4 output rows per invocation (shaders/nn/conv.wgsl FORWARD_ROWS).
    const forwardRows = this.rows;
    // 1 × 1 stride 1: 8 pixels of the flattened plane per invocation (conv.wgsl POINT_BLOCKS).
    const pointwise = this.shape.kernel === 1 && this.shape.stride === 1;
    const pointBlocks = Math.ceil((h * w) / 8);
    const forwardItems = pointwise
      ? batch * blocks(cout) * pointBlocks
      : batch * blocks(cout) * Math.ceil(out.height / forwardRows) * blocks(out.width);
    const inputItems = pointwise
      ? batch * blocks(cin) * pointBlocks
      : batch * blocks(cin) * Math.ceil(h / forwardRows) * blocks(w);
    // 3 × 3 stride 1: one block per kernel row (shaders/nn/conv.wgsl TAP_BLOCKS); else per tap.
    const tapBlocks =
      this.shape.kernel === 3 && this.shape.stride === 1 ? 3 : this.shape.kernel ** 2;
    const weightItems = blocks(cout) * (blocks(cin) * tapBlocks + 1);
    return {
      encodeForward: (pass) => k.forward.encode(pass, forward, forwardItems),
      encodeBackward: (pass) => {
        if (!backward) {
          throw new Error(
            `${label} has no backward: bind it with gradOutput and grads (and gradInput for dL/dx).`,
          );
        }
        if (backward.delta) k.delta.encode(pass, backward.delta, this.outputFloats(batch));
        if (backward.input) k.backward_input.encode(pass, backward.input, inputItems);
        k.backward_weights.encode(pass, backward.weights, weightItems);
      },
      dispose: () => uniforms.dispose(),
    };
  }

  /** The largest tensor must fit one storage binding of this device. */
  private checkBatch(batch: number): void {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new RangeError(`Conv2d batch must be a positive integer, got ${batch}.`);
    }
    const limit = this.runtime.device.limits.maxStorageBufferBindingSize;
    const bytes = 4 * Math.max(this.cacheFloats(batch), this.inputFloats(batch));
    if (bytes > limit) {
      throw new GpuLimitError(
        `A ${this.shape.inputChannels}→${this.shape.outputChannels}-channel conv at ` +
          `${this.shape.height}×${this.shape.width} with batch ${batch} needs ${bytes} bytes in ` +
          `one storage binding; this device allows ${limit}. Use a smaller batch or image.`,
      );
    }
  }
}
