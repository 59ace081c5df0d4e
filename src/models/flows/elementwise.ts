/**
 * Per-coordinate flow layers: ActNorm (Glow), NICE's diagonal scaling layer and the reversal
 * permutation. Kernels: shaders/flows/elementwise.wgsl.
 */
import elementwiseSource from '../../../shaders/flows/elementwise.wgsl';
import type { GpuRuntime } from '../../gpu';
import type { ParameterLayout } from '../../nn/parameters';
import type { BoundLayer, FlowLayer, Floats, LayerBuffers, TwinForward } from './flow-layer';
import {
  bindSmallLayer,
  compileSmallLayer,
  smallLayerUniforms,
  type SmallLayerKernels,
} from './small-layer';
import { layerKernelSpecs } from './flow-kernels';

const kernels = layerKernelSpecs('flows/elementwise', 'flows/elementwise.wgsl', elementwiseSource);

type Mode = 'actnorm' | 'scaling' | 'reverse';
const MODES: Record<Mode, number> = { actnorm: 0, scaling: 1, reverse: 2 };

class ElementwiseLayer implements FlowLayer {
  readonly offset: number;
  private compiled: SmallLayerKernels | undefined;

  constructor(
    layout: ParameterLayout,
    readonly name: string,
    readonly kind: Mode,
  ) {
    this.offset = layout.total;
    if (kind !== 'reverse') layout.add(`${name}.log_scale`, [2], { kind: 'constant', value: 0 });
    if (kind === 'actnorm') layout.add(`${name}.bias`, [2], { kind: 'constant', value: 0 });
  }

  /** Parameter count: log-scales and (ActNorm) biases. */
  get columns(): number {
    return this.kind === 'actnorm' ? 4 : this.kind === 'scaling' ? 2 : 0;
  }

  private logScale(params: Floats, d: number): number {
    return this.kind === 'reverse' ? 0 : params[this.offset + d]!;
  }

  private bias(params: Floats, d: number): number {
    return this.kind === 'actnorm' ? params[this.offset + 2 + d]! : 0;
  }

  forwardTwin(params: Floats, x: Floats, n: number): TwinForward {
    const y = new Float64Array(2 * n);
    const logDet = new Float64Array(n);
    for (let b = 0; b < n; b++) {
      if (this.kind === 'reverse') {
        y[2 * b] = x[2 * b + 1]!;
        y[2 * b + 1] = x[2 * b]!;
        continue;
      }
      for (let d = 0; d < 2; d++) {
        y[2 * b + d] = x[2 * b + d]! * Math.exp(this.logScale(params, d)) + this.bias(params, d);
      }
      logDet[b] = this.logScale(params, 0) + this.logScale(params, 1);
    }
    return { y, logDet };
  }

  inverseTwin(params: Floats, y: Floats, n: number): TwinForward {
    const x = new Float64Array(2 * n);
    const logDet = new Float64Array(n);
    for (let b = 0; b < n; b++) {
      if (this.kind === 'reverse') {
        x[2 * b] = y[2 * b + 1]!;
        x[2 * b + 1] = y[2 * b]!;
        continue;
      }
      for (let d = 0; d < 2; d++) {
        x[2 * b + d] = (y[2 * b + d]! - this.bias(params, d)) * Math.exp(-this.logScale(params, d));
      }
      logDet[b] = -(this.logScale(params, 0) + this.logScale(params, 1));
    }
    return { y: x, logDet };
  }

  backwardTwin(
    params: Floats,
    x: Floats,
    n: number,
    gradY: Floats,
    w: number,
    grads: Float64Array,
  ): Float64Array {
    const gradX = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) {
      if (this.kind === 'reverse') {
        gradX[2 * b] = gradY[2 * b + 1]!;
        gradX[2 * b + 1] = gradY[2 * b]!;
        continue;
      }
      for (let d = 0; d < 2; d++) {
        const e = Math.exp(this.logScale(params, d));
        const gy = gradY[2 * b + d]!;
        gradX[2 * b + d] = gy * e;
        grads[this.offset + d] = grads[this.offset + d]! + gy * x[2 * b + d]! * e + w;
        if (this.kind === 'actnorm') grads[this.offset + 2 + d] = grads[this.offset + 2 + d]! + gy;
      }
    }
    return gradX;
  }

  /**
   * ActNorm's data-dependent initialisation: the output of `x` gets zero mean and unit
   * variance per coordinate. Returns the new parameter values (log-scale, bias).
   */
  dataInit(x: Floats, n: number): number[] {
    const values: number[] = [];
    const biases: number[] = [];
    for (let d = 0; d < 2; d++) {
      let mean = 0;
      for (let b = 0; b < n; b++) mean += x[2 * b + d]!;
      mean /= n;
      let variance = 0;
      for (let b = 0; b < n; b++) variance += (x[2 * b + d]! - mean) ** 2;
      const std = Math.sqrt(variance / n) + 1e-6;
      values.push(-Math.log(std));
      biases.push(-mean / std);
    }
    return [...values, ...biases];
  }

  async compile(runtime: GpuRuntime): Promise<void> {
    this.compiled = await compileSmallLayer(
      runtime,
      kernels,
      { MODE: MODES[this.kind] },
      this.columns,
    );
  }

  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer {
    if (!this.compiled) throw new Error(`${this.name}: compile() before bind().`);
    return bindSmallLayer(
      runtime,
      buffers,
      this.compiled,
      smallLayerUniforms(buffers, this.offset),
      this.columns,
      this.offset,
      this.name,
    );
  }
}

/** y = x·exp(ls) + b with data-dependent initialisation (Glow). */
export class ActNormLayer extends ElementwiseLayer {
  constructor(layout: ParameterLayout, name: string) {
    super(layout, name, 'actnorm');
  }
}

/** NICE's diagonal scaling layer y = x·exp(ls): gives the volume change additive couplings lack. */
export class ScalingLayer extends ElementwiseLayer {
  constructor(layout: ParameterLayout, name: string) {
    super(layout, name, 'scaling');
  }
}

/** y = (x₁, x₀). */
export class ReverseLayer extends ElementwiseLayer {
  constructor(layout: ParameterLayout, name: string) {
    super(layout, name, 'reverse');
  }
}
