/**
 * A normalizing flow on the CPU, for browsers without WebGPU: the layers' float64 twins over
 * imported float32 weights, with the GPU's base noise (Philox, shaders/flows/base.wgsl's
 * sample_base) so a seed draws the same samples as FlowModel. It samples, evaluates log p and
 * traces points through the layers (the warp and trajectory views); it cannot train.
 */
import type { Normalization } from '../../data/normalize';
import { ParameterLayout } from '../../nn/parameters';
import { normal4, seedKey } from '../../rng/philox';
import type { FlowLayer } from './flow-layer';
import {
  buildFlowLayers,
  resolveFlowSpec,
  type FlowModelSpec,
  type ResolvedFlowSpec,
} from './flow-spec';

/** Philox stream of the base noise ("FLOW"), as in shaders/flows/base.wgsl. */
export const BASE_STREAM = 0x464c4f57;
/** Most points one CPU call takes. */
export const MAX_CPU_FLOW_POINTS = 1 << 18;

const LOG_TWO_PI = Math.log(2 * Math.PI);

export class CpuFlowModel {
  readonly spec: ResolvedFlowSpec;
  readonly layout = new ParameterLayout();
  readonly layers: FlowLayer[];
  normalization: Normalization = { shift: [0, 0], scale: [1, 1] };
  private params: Float32Array;

  constructor(spec: FlowModelSpec) {
    this.spec = resolveFlowSpec(spec);
    this.layers = buildFlowLayers(this.spec, this.layout);
    this.params = this.layout.initialize(this.spec.seed);
  }

  get parameterCount(): number {
    return this.layout.total;
  }

  /** z ~ N(0, I) of points firstIndex … firstIndex + n − 1 for `seed` (model coordinates). */
  latent(n: number, seed: number, firstIndex = 0): Float64Array {
    const key = seedKey(seed);
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [a, b] = normal4([firstIndex + i, 0, BASE_STREAM, 0], key);
      z[2 * i] = a;
      z[2 * i + 1] = b;
    }
    return z;
  }

  /** n samples in data coordinates, from the base noise of `seed` (default 0, as on the GPU). */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    checkCount(n);
    return Float32Array.from(this.inverse(this.latent(n, options.seed ?? 0)));
  }

  /** x = f⁻¹(z) in data coordinates (float64). */
  inverse(z: ArrayLike<number>): Float64Array {
    const n = z.length / 2;
    let y: Float64Array = Float64Array.from(z);
    for (let k = this.layers.length - 1; k >= 0; k--) {
      y = this.layers[k]!.inverseTwin(this.params, y, n).y;
    }
    return this.toData(y);
  }

  /** log p(x) in nats for points in data coordinates. */
  logProb(points: ArrayLike<number>): Float32Array {
    const n = checkPoints(points);
    let x = this.toModel(points);
    const logP = new Float64Array(n).fill(
      -Math.log(this.normalization.scale[0] * this.normalization.scale[1]),
    );
    for (const layer of this.layers) {
      const out = layer.forwardTwin(this.params, x, n);
      for (let b = 0; b < n; b++) logP[b] = logP[b]! + out.logDet[b]!;
      x = out.y;
    }
    return Float32Array.from(
      logP,
      (ld, b) => ld - 0.5 * (x[2 * b]! ** 2 + x[2 * b + 1]! ** 2) - LOG_TWO_PI,
    );
  }

  /**
   * Positions through the flow, as FlowModel.trace: 'forward' [data, model coordinates, after
   * layer 1, …, z]; 'inverse' [z, after inverting layer K, …, model coordinates, data].
   */
  trace(points: ArrayLike<number>, direction: 'forward' | 'inverse' = 'forward'): Float32Array[] {
    const n = checkPoints(points);
    const stages: Float64Array[] = [];
    if (direction === 'forward') {
      let x = this.toModel(points);
      stages.push(Float64Array.from(points), x);
      for (const layer of this.layers) {
        x = layer.forwardTwin(this.params, x, n).y;
        stages.push(x);
      }
    } else {
      let y: Float64Array = Float64Array.from(points);
      stages.push(y);
      for (let k = this.layers.length - 1; k >= 0; k--) {
        y = this.layers[k]!.inverseTwin(this.params, y, n).y;
        stages.push(y);
      }
      stages.push(this.toData(y));
    }
    return stages.map((s) => Float32Array.from(s));
  }

  exportParams(): Float32Array {
    return this.params.slice();
  }

  importParams(values: Float32Array): void {
    if (values.length !== this.parameterCount) {
      throw new RangeError(
        `This ${this.spec.kind} flow has ${this.parameterCount} parameters; got ${values.length}. ` +
          'Import parameters exported from a model with the same spec.',
      );
    }
    this.params = values.slice();
  }

  private toModel(points: ArrayLike<number>): Float64Array {
    const { shift, scale } = this.normalization;
    return Float64Array.from(points, (v, i) => (v - shift[i % 2]!) / scale[i % 2]!);
  }

  private toData(points: ArrayLike<number>): Float64Array {
    const { shift, scale } = this.normalization;
    return Float64Array.from(points, (v, i) => v * scale[i % 2]! + shift[i % 2]!);
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CPU_FLOW_POINTS) {
    throw new RangeError(
      `Expected between 1 and ${MAX_CPU_FLOW_POINTS} points on the CPU, got ${n}.`,
    );
  }
}

function checkPoints(points: ArrayLike<number>): number {
  if (points.length === 0 || points.length % 2 !== 0) {
    throw new RangeError(
      `Points are flat (x0, y0, x1, y1, …): expected an even, non-zero length, got ${points.length}.`,
    );
  }
  checkCount(points.length / 2);
  return points.length / 2;
}
