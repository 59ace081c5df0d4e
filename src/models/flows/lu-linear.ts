/**
 * Glow's invertible linear layer in LU form, 2-D (shaders/flows/lu-linear.wgsl):
 * W = P·L·(U + diag(σ·exp(ls))), initialised from a random rotation (P and σ fixed).
 */
import luSource from '../../../shaders/flows/lu-linear.wgsl';
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

const kernels = layerKernelSpecs('flows/lu-linear', 'flows/lu-linear.wgsl', luSource);

/** P, σ and the initial l, u, ls of the LU factorisation (with pivoting) of a rotation by θ. */
export function luOfRotation(theta: number) {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // R = [[c, −s], [s, c]]; pivot on the larger first-column entry.
  const swap = Math.abs(s) > Math.abs(c);
  const [r00, r01, r10, r11] = swap ? [s, c, c, -s] : [c, -s, s, c];
  const l = r10 / r00;
  const d = r11 - l * r01;
  return {
    swap,
    sign0: Math.sign(r00),
    sign1: Math.sign(d),
    l,
    u: r01,
    ls0: Math.log(Math.abs(r00)),
    ls1: Math.log(Math.abs(d)),
  };
}

export class LuLinearLayer implements FlowLayer {
  readonly kind = 'lu-linear';
  readonly offset: number;
  readonly swap: boolean;
  readonly signs: [number, number];
  private compiled: SmallLayerKernels | undefined;

  constructor(
    layout: ParameterLayout,
    readonly name: string,
    /** Angle of the initial rotation (drawn from the model seed). */
    theta: number,
  ) {
    const init = luOfRotation(theta);
    this.swap = init.swap;
    this.signs = [init.sign0, init.sign1];
    this.offset = layout.add(`${name}.l`, [1], { kind: 'constant', value: init.l }).offset;
    layout.add(`${name}.u`, [1], { kind: 'constant', value: init.u });
    layout.add(`${name}.log_scale_0`, [1], { kind: 'constant', value: init.ls0 });
    layout.add(`${name}.log_scale_1`, [1], { kind: 'constant', value: init.ls1 });
  }

  private factors(params: Floats) {
    const o = this.offset;
    const ls0 = params[o + 2]!;
    const ls1 = params[o + 3]!;
    return {
      l: params[o]!,
      u: params[o + 1]!,
      a: this.signs[0] * Math.exp(ls0),
      d: this.signs[1] * Math.exp(ls1),
      ls: ls0 + ls1,
    };
  }

  /** The matrix W = P·M (row-major [w00, w01, w10, w11]). */
  matrix(params: Floats): [number, number, number, number] {
    const { l, u, a, d } = this.factors(params);
    const m: [number, number, number, number] = [a, u, l * a, l * u + d];
    return this.swap ? [m[2], m[3], m[0], m[1]] : m;
  }

  forwardTwin(params: Floats, x: Floats, n: number): TwinForward {
    const [w00, w01, w10, w11] = this.matrix(params);
    const { ls } = this.factors(params);
    const y = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) {
      y[2 * b] = w00 * x[2 * b]! + w01 * x[2 * b + 1]!;
      y[2 * b + 1] = w10 * x[2 * b]! + w11 * x[2 * b + 1]!;
    }
    return { y, logDet: new Float64Array(n).fill(ls) };
  }

  inverseTwin(params: Floats, y: Floats, n: number): TwinForward {
    const { l, u, a, d, ls } = this.factors(params);
    const x = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) {
      const v0 = this.swap ? y[2 * b + 1]! : y[2 * b]!;
      const v1 = this.swap ? y[2 * b]! : y[2 * b + 1]!;
      const x1 = (v1 - l * v0) / d;
      x[2 * b + 1] = x1;
      x[2 * b] = (v0 - u * x1) / a;
    }
    return { y: x, logDet: new Float64Array(n).fill(-ls) };
  }

  backwardTwin(
    params: Floats,
    x: Floats,
    n: number,
    gradY: Floats,
    w: number,
    grads: Float64Array,
  ): Float64Array {
    const { l, u, a, d } = this.factors(params);
    const o = this.offset;
    const gradX = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) {
      const g0 = this.swap ? gradY[2 * b + 1]! : gradY[2 * b]!;
      const g1 = this.swap ? gradY[2 * b]! : gradY[2 * b + 1]!;
      const x0 = x[2 * b]!;
      const x1 = x[2 * b + 1]!;
      gradX[2 * b] = a * g0 + l * a * g1;
      gradX[2 * b + 1] = u * g0 + (l * u + d) * g1;
      grads[o] = grads[o]! + g1 * x0 * a + g1 * x1 * u;
      grads[o + 1] = grads[o + 1]! + g0 * x1 + g1 * x1 * l;
      grads[o + 2] = grads[o + 2]! + (g0 * x0 + g1 * x0 * l) * a + w;
      grads[o + 3] = grads[o + 3]! + g1 * x1 * d + w;
    }
    return gradX;
  }

  async compile(runtime: GpuRuntime): Promise<void> {
    this.compiled = await compileSmallLayer(runtime, kernels, {}, 4);
  }

  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer {
    if (!this.compiled) throw new Error(`${this.name}: compile() before bind().`);
    return bindSmallLayer(
      runtime,
      buffers,
      this.compiled,
      smallLayerUniforms(buffers, this.offset, this.swap ? 1 : 0, [
        this.signs[0],
        this.signs[1],
        0,
      ]),
      4,
      this.offset,
      this.name,
    );
  }
}
