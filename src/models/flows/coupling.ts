/**
 * NICE additive and RealNVP affine coupling layers in 2-D: coordinate `cond` conditions an MLP
 * whose outputs move the other coordinate. Kernels: shaders/flows/coupling.wgsl (+ the fused
 * MLP); two dispatches forward, two inverse, 2 + layers of the MLP backward.
 */
import couplingSource from '../../../shaders/flows/coupling.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { FusedMlp, type MlpBinding } from '../../nn/fused-mlp';
import { addMlpParameters, type MlpShape } from '../../nn/mlp-shape';
import type { ParameterLayout } from '../../nn/parameters';
import { mlpBackward, mlpForward } from '../../nn/reference/dense';
import type { BoundLayer, FlowLayer, Floats, LayerBuffers, TwinForward } from './flow-layer';

export type CouplingTransform = 'additive' | 'affine';

/** Bound on the affine log-scale: s = S·tanh(h/S). */
export const SCALE_BOUND = 3;

const couplingKernel = (entryPoint: 'forward' | 'inverse' | 'backward') =>
  defineKernel<number>({
    name: `flows/coupling-${entryPoint}`,
    file: 'flows/coupling.wgsl',
    source: couplingSource,
    entryPoint,
    bindings: [
      'uniform',
      'storage',
      'storage',
      'storage',
      'storage',
      'storage',
      'storage',
      'storage',
    ],
    workgroupSize: 64,
    dispatch: (batch, wg) => workgroupsFor(batch, wg),
  });

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
  private mlp: FusedMlp | undefined;
  private kernels: Record<'forward' | 'inverse' | 'backward', CompiledKernel> | undefined;

  constructor(
    layout: ParameterLayout,
    readonly name: string,
    readonly spec: CouplingSpec,
  ) {
    this.kind = `${spec.transform}-coupling`;
    this.shape = {
      inputs: 1,
      hidden: spec.hidden,
      hiddenLayers: spec.hiddenLayers,
      outputs: spec.transform === 'affine' ? 2 : 1,
      activation: spec.activation,
    };
    // Zero-initialised output layer: every coupling starts as the identity.
    this.offset = addMlpParameters(layout, name, this.shape, { zeroLast: true }).offset;
  }

  private get outputs(): number {
    return this.shape.outputs;
  }

  private conditioner(params: Floats, rows: Floats, n: number) {
    const input = new Float64Array(n);
    for (let b = 0; b < n; b++) input[b] = rows[2 * b + this.spec.cond]!;
    return { input, ...mlpForward(params, this.offset, this.shape, input, n) };
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
    const constants = {
      TRANSFORM: this.spec.transform === 'affine' ? 1 : 0,
      SCALE_BOUND,
    };
    const [mlp, forward, inverse, backward] = await Promise.all([
      FusedMlp.create(runtime, this.shape, {
        training,
        gradInput: true,
        inputStride: 2,
        accumulateGradInput: true,
      }),
      runtime.pipelines.get(couplingKernel('forward'), constants),
      runtime.pipelines.get(couplingKernel('inverse'), constants),
      runtime.pipelines.get(couplingKernel('backward'), constants),
    ]);
    this.mlp = mlp;
    this.kernels = { forward, inverse, backward };
  }

  bind(runtime: GpuRuntime, buffers: LayerBuffers): BoundLayer {
    const { mlp, kernels } = this;
    if (!mlp || !kernels) throw new Error(`Coupling layer ${this.name}: compile() before bind().`);
    const { batch } = buffers;
    const pool = runtime.pool;
    const owned: PooledBuffer[] = [];
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const own = (b: PooledBuffer) => (owned.push(b), b);
    const h = own(pool.acquire(batch * this.outputs * 4, storage, `${this.name} conditioner out`));
    const gradH = own(pool.acquire(batch * this.outputs * 4, storage, `${this.name} dL/dh`));
    const cache = own(
      pool.acquire(Math.max(16, mlp.cacheFloats(batch) * 4), storage, `${this.name} cache`),
    );
    // Inference bindings still bind gradient slots: give them their own scratch buffers.
    const scratchX = own(pool.acquire(batch * 8, storage, `${this.name} unused dL/dx`));
    const scratchY = own(pool.acquire(batch * 8, storage, `${this.name} unused dL/dy`));
    const uniformBytes = new ArrayBuffer(32);
    new Uint32Array(uniformBytes, 0, 3).set([batch, this.spec.cond, buffers.logDetOffset]);
    new Float32Array(uniformBytes, 16, 1)[0] = buffers.logDetWeight ?? 0;
    const uniforms = own(
      pool.upload(new Uint8Array(uniformBytes), GPUBufferUsage.UNIFORM, `${this.name} uniforms`),
    );
    const gradX = buffers.gradX ?? scratchX.binding;
    const gradY = buffers.gradY ?? scratchY.binding;
    const group = kernels.forward.bind(runtime.device, [
      uniforms.binding,
      buffers.x,
      buffers.y,
      h.binding,
      buffers.logDet,
      gradY,
      gradX,
      gradH.binding,
    ]);
    const common = {
      batch,
      params: buffers.params,
      paramOffset: this.offset,
      inputOffset: this.spec.cond,
      output: h.binding,
      cache: cache.binding,
    };
    const training = buffers.grads
      ? mlp.bind(
          {
            ...common,
            input: buffers.x,
            gradOutput: gradH.binding,
            gradInput: gradX,
            grads: buffers.grads,
            gradStride: buffers.gradStride ?? 0,
          },
          `${this.name} conditioner`,
        )
      : undefined;
    const forwardOnly: MlpBinding = mlp.bind(
      { ...common, input: buffers.x },
      `${this.name} conditioner (inference)`,
    );
    const inverseOnly: MlpBinding = mlp.bind(
      { ...common, input: buffers.y },
      `${this.name} conditioner (inverse)`,
    );
    return {
      // Backward: the coupling kernel, the MLP backward and one weight-gradient per MLP layer.
      dispatches: { forward: 2, inverse: 2, backward: mlp.trainingDispatches },
      encodeForward(pass, isTraining) {
        if (isTraining) {
          if (!training)
            throw new Error('This coupling binding has no gradients; bind it with grads to train.');
          training.encodeForward(pass, true);
        } else {
          forwardOnly.encodeForward(pass, false);
        }
        kernels.forward.encode(pass, group, batch);
      },
      encodeInverse(pass) {
        inverseOnly.encodeForward(pass, false);
        kernels.inverse.encode(pass, group, batch);
      },
      encodeBackward(pass) {
        if (!training)
          throw new Error('This coupling binding has no gradients; bind it with grads to train.');
        kernels.backward.encode(pass, group, batch);
        training.encodeBackward(pass);
      },
      dispose() {
        training?.dispose();
        forwardOnly.dispose();
        inverseOnly.dispose();
        owned.forEach((b) => b.dispose());
      },
    };
  }
}
