/**
 * What every 2-D flow layer provides: a float64 twin (forward with log|det J|, inverse,
 * backward) and GPU kernels bound to a batch's buffers. Points are rows (x₀, x₁).
 */
import type { GpuRuntime } from '../../gpu';

export type Floats = ArrayLike<number>;
export type Binding = GPUBufferBinding;

export interface TwinForward {
  y: Float64Array;
  /** log|det ∂y/∂x| per point. */
  logDet: Float64Array;
}

/** Buffers of one batch, as a layer sees them. Rows of 2 floats. */
export interface LayerBuffers {
  batch: number;
  params: Binding;
  /** The layer's input (forward) / output (inverse). */
  x: Binding;
  /** The layer's output (forward) / input (inverse). */
  y: Binding;
  /** log|det J| per point, at logDetOffset (floats). */
  logDet: Binding;
  logDetOffset: number;
  /** Training only. */
  grads?: Binding;
  /** Floats between gradient chunks (the model's parameter count). */
  gradStride?: number;
  gradX?: Binding;
  gradY?: Binding;
  /** dL/dlog|det J| per point (−1/batch for the mean negative log-likelihood). */
  logDetWeight?: number;
}

export interface BoundLayer {
  /** Forward x → y; `training` keeps what backward needs. */
  encodeForward(pass: GPUComputePassEncoder, training: boolean): void;
  /** Inverse y → x (log|det| of the inverse into logDet). */
  encodeInverse(pass: GPUComputePassEncoder): void;
  /** dL/dy → dL/dx and the layer's parameter gradients (after a training forward). */
  encodeBackward(pass: GPUComputePassEncoder): void;
  readonly dispatches: { forward: number; inverse: number; backward: number };
  dispose(): void;
}

export interface FlowLayer {
  /** e.g. 'affine-coupling', 'actnorm'. */
  readonly kind: string;
  readonly name: string;
  forwardTwin(params: Floats, x: Floats, n: number): TwinForward;
  /** Inverse; logDet is log|det ∂x/∂y| = −log|det J| at x. */
  inverseTwin(params: Floats, y: Floats, n: number): TwinForward;
  /** Accumulates parameter gradients into `grads`; returns dL/dx. */
  backwardTwin(
    params: Floats,
    x: Floats,
    n: number,
    gradY: Floats,
    logDetWeight: number,
    grads: Float64Array,
  ): Float64Array;
  /** Compiles the kernels (once per runtime; the pipeline cache shares them across layers). */
  compile(runtime: GpuRuntime, training: boolean): Promise<void>;
  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer;
}
