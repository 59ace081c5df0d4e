/**
 * NICE additive and RealNVP affine coupling layers in 2-D: coordinate `cond` conditions an MLP
 * whose outputs move the other coordinate. Kernels: shaders/flows/coupling.wgsl (+ the fused
 * MLP); two dispatches forward, two inverse, 2 + layers of the MLP backward.
 */
import couplingSource from '../../../shaders/flows/coupling.wgsl';
import type { GpuRuntime } from '../../gpu';
import type { MlpShape } from '../../nn/mlp-shape';
import type { ParameterLayout } from '../../nn/parameters';
import { mlpBackward } from '../../nn/reference/dense';
import {
  addConditioner,
  bindConditionedCoupling,
  compileConditionedCoupling,
  COUPLING_IO_LIBRARY,
  conditionerTwin,
  type ConditionedCouplingKernels,
} from './conditioned-coupling';
import type { BoundLayer, FlowLayer, Floats, LayerBuffers, TwinForward } from './flow-layer';
import { layerKernelSpecs } from './flow-kernels';

export type CouplingTransform = 'additive' | 'affine';

/** Bound on the affine log-scale: s = S·tanh(h/S). */
export const SCALE_BOUND = 3;

const couplingKernel = layerKernelSpecs('flows/coupling', 'flows/coupling.wgsl', couplingSource, [
  COUPLING_IO_LIBRARY,
]);

export interface CouplingSpec {
  transform: CouplingTransform;
  /** The conditioning coordinate (0 or 1). */
  cond: 0 | 1;
  hidden: number;
  hiddenLayers: number;
  activation: MlpShape['activation'];
}

export class CouplingLayer implements FlowLayer {
  readonly kind: string;
  readonly shape: MlpShape;
  /** Offset of the conditioner's parameters in the model's flat buffer. */
  readonly offset: number;
  private compiled: ConditionedCouplingKernels | undefined;

  constructor(
    layout: ParameterLayout,
    readonly name: string,
    readonly spec: CouplingSpec,
  ) {
    this.kind = `${spec.transform}-coupling`;
    // Zero-initialised output layer: every coupling starts as the identity.
    ({ shape: this.shape, offset: this.offset } = addConditioner(
      layout,
      name,
      spec,
      spec.transform === 'affine' ? 2 : 1,
    ));
  }

  private get outputs(): number {
    return this.shape.outputs;
  }

  private conditioner(params: Floats, rows: Floats, n: number) {
    return conditionerTwin(params, this.offset, this.shape, this.spec.cond, rows, n);
  }

  /** (log-scale, shift) of point b from the conditioner outputs h. */
  private scaleShift(h: Float64Array, b: number): [number, number] {
    if (this.spec.transform === 'additive') return [0, h[b]!];
    return [SCALE_BOUND * Math.tanh(h[2 * b]! / SCALE_BOUND), h[2 * b + 1]!];
  }

  forwardTwin(params: Floats, x: Floats, n: number): TwinForward {
    const { y: h } = this.conditioner(params, x, n);
    const y = Float64Array.from(x);
    const logDet = new Float64Array(n);
    const t = 1 - this.spec.cond;
    for (let b = 0; b < n; b++) {
      const [s, shift] = this.scaleShift(h, b);
      y[2 * b + t] = x[2 * b + t]! * Math.exp(s) + shift;
      logDet[b] = s;
    }
    return { y, logDet };
  }

  inverseTwin(params: Floats, y: Floats, n: number): TwinForward {
    const { y: h } = this.conditioner(params, y, n);
    const x = Float64Array.from(y);
    const logDet = new Float64Array(n);
    const t = 1 - this.spec.cond;
    for (let b = 0; b < n; b++) {
      const [s, shift] = this.scaleShift(h, b);
      x[2 * b + t] = (y[2 * b + t]! - shift) * Math.exp(-s);
      logDet[b] = -s;
    }
    return { y: x, logDet };
  }

  backwardTwin(
    params: Floats,
    x: Floats,
    n: number,
    gradY: Floats,
    logDetWeight: number,
    grads: Float64Array,
  ): Float64Array {
    const { y: h, cache } = this.conditioner(params, x, n);
    const a = this.spec.cond;
    const t = 1 - a;
    const gradX = new Float64Array(2 * n);
    const gradH = new Float64Array(n * this.outputs);
    for (let b = 0; b < n; b++) {
      const gyT = gradY[2 * b + t]!;
      if (this.spec.transform === 'additive') {
        gradX[2 * b + t] = gyT;
        gradH[b] = gyT;
        continue;
      }
      const [s] = this.scaleShift(h, b);
      const e = Math.exp(s);
      gradX[2 * b + t] = gyT * e;
      const ds = gyT * x[2 * b + t]! * e + logDetWeight;
      const r = s / SCALE_BOUND;
      gradH[2 * b] = ds * (1 - r * r);
      gradH[2 * b + 1] = gyT;
    }
    const gradA = mlpBackward(params, this.offset, this.shape, cache, gradH, n, grads);
    for (let b = 0; b < n; b++) gradX[2 * b + a] = gradY[2 * b + a]! + gradA[b]!;
    return gradX;
  }

  async compile(runtime: GpuRuntime, training: boolean): Promise<void> {
    this.compiled = await compileConditionedCoupling(
      runtime,
      this.shape,
      training,
      couplingKernel,
      {
        TRANSFORM: this.spec.transform === 'affine' ? 1 : 0,
        SCALE_BOUND,
      },
    );
  }

  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer {
    return bindConditionedCoupling(
      runtime,
      buffers,
      { name: this.name, cond: this.spec.cond, offset: this.offset, outputs: this.outputs },
      this.compiled,
    );
  }
}
