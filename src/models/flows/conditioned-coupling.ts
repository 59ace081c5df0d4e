/**
 * The GPU half shared by coupling layers (affine/additive and spline): a fused-MLP conditioner
 * reading the conditioning coordinate with stride 2, and one transform kernel file with
 * forward/inverse/backward entry points over the same 8 bindings
 * (uniforms, x, y, h, log|det|, dL/dy, dL/dx, dL/dh). 2 dispatches forward, 2 inverse,
 * 2 + (MLP layers) backward.
 */
import couplingIoSource from '../../../shaders/flows/coupling-io.wgsl';
import {
  type CompiledKernel,
  type GpuRuntime,
  type KernelConstants,
  type KernelSpec,
  type PooledBuffer,
  STORAGE_USAGE,
} from '../../gpu';
import { FusedMlp, type MlpBinding } from '../../nn/fused-mlp';
import { addMlpParameters, type MlpShape } from '../../nn/mlp-shape';
import type { ParameterLayout } from '../../nn/parameters';
import { mlpForward } from '../../nn/reference/dense';
import type { BoundLayer, Floats, LayerBuffers } from './flow-layer';

export type CouplingEntry = 'forward' | 'inverse' | 'backward';

/** The uniforms, bindings and sample index every coupling kernel file starts from. */
export const COUPLING_IO_LIBRARY = {
  file: 'flows/coupling-io.wgsl',
  source: couplingIoSource,
} as const;

export interface ConditionedCouplingKernels {
  mlp: FusedMlp;
  transform: Record<CouplingEntry, CompiledKernel>;
}

export interface ConditionerSpec {
  hidden: number;
  hiddenLayers: number;
  activation: MlpShape['activation'];
}

/**
 * Adds a coupling's conditioner MLP (1 → hidden × hiddenLayers → outputs) to the layout, its
 * output layer zero-initialised so the coupling starts as the identity.
 */
export function addConditioner(
  layout: ParameterLayout,
  name: string,
  spec: ConditionerSpec,
  outputs: number,
): { shape: MlpShape; offset: number } {
  const shape: MlpShape = {
    inputs: 1,
    hidden: spec.hidden,
    hiddenLayers: spec.hiddenLayers,
    outputs,
    activation: spec.activation,
  };
  return { shape, offset: addMlpParameters(layout, name, shape, { zeroLast: true }).offset };
}

/** Float64 twin of the conditioner on coordinate `cond` of 2-D rows. */
export function conditionerTwin(
  params: Floats,
  offset: number,
  shape: MlpShape,
  cond: 0 | 1,
  rows: Floats,
  n: number,
) {
  const input = new Float64Array(n);
  for (let b = 0; b < n; b++) input[b] = rows[2 * b + cond]!;
  return mlpForward(params, offset, shape, input, n);
}

export async function compileConditionedCoupling(
  runtime: GpuRuntime,
  shape: MlpShape,
  training: boolean,
  transformKernel: (entry: CouplingEntry) => KernelSpec<number>,
  constants: KernelConstants,
): Promise<ConditionedCouplingKernels> {
  const [mlp, forward, inverse, backward] = await Promise.all([
    FusedMlp.create(runtime, shape, {
      training,
      gradInput: true,
      inputStride: 2,
      accumulateGradInput: true,
    }),
    runtime.pipelines.get(transformKernel('forward'), constants),
    runtime.pipelines.get(transformKernel('inverse'), constants),
    runtime.pipelines.get(transformKernel('backward'), constants),
  ]);
  return { mlp, transform: { forward, inverse, backward } };
}

export interface ConditionedCouplingLayer {
  name: string;
  /** The conditioning coordinate (0 or 1). */
  cond: 0 | 1;
  /** Offset of the conditioner's parameters in the model's flat buffer. */
  offset: number;
  /** Conditioner outputs per point. */
  outputs: number;
}

export function bindConditionedCoupling(
  runtime: GpuRuntime,
  buffers: LayerBuffers,
  layer: ConditionedCouplingLayer,
  compiled: ConditionedCouplingKernels | undefined,
): BoundLayer {
  if (!compiled) throw new Error(`Coupling layer ${layer.name}: compile() before bind().`);
  const { mlp, transform } = compiled;
  const { batch } = buffers;
  const pool = runtime.pool;
  const owned: PooledBuffer[] = [];
  const storage = STORAGE_USAGE;
  const own = (b: PooledBuffer) => (owned.push(b), b);
  const h = own(pool.acquire(batch * layer.outputs * 4, storage, `${layer.name} conditioner out`));
  const gradH = own(pool.acquire(batch * layer.outputs * 4, storage, `${layer.name} dL/dh`));
  const cache = own(
    pool.acquire(Math.max(16, mlp.cacheFloats(batch) * 4), storage, `${layer.name} cache`),
  );
  // Inference bindings still bind gradient slots: give them their own scratch buffers.
  const scratchX = own(pool.acquire(batch * 8, storage, `${layer.name} unused dL/dx`));
  const scratchY = own(pool.acquire(batch * 8, storage, `${layer.name} unused dL/dy`));
  const uniformBytes = new ArrayBuffer(32);
  new Uint32Array(uniformBytes, 0, 3).set([batch, layer.cond, buffers.logDetOffset]);
  new Float32Array(uniformBytes, 16, 1)[0] = buffers.logDetWeight ?? 0;
  const uniforms = own(
    pool.upload(new Uint8Array(uniformBytes), GPUBufferUsage.UNIFORM, `${layer.name} uniforms`),
  );
  const gradX = buffers.gradX ?? scratchX.binding;
  const group = transform.forward.bind(
    runtime.device,
    [
      uniforms.binding,
      buffers.x,
      buffers.y,
      h.binding,
      buffers.logDet,
      buffers.gradY ?? scratchY.binding,
      gradX,
      gradH.binding,
    ],
    `${layer.name} transform`,
  );
  const common = {
    batch,
    params: buffers.params,
    paramOffset: layer.offset,
    inputOffset: layer.cond,
    output: h.binding,
    cache: cache.binding,
  };
  const training: MlpBinding | undefined = buffers.grads
    ? mlp.bind(
        {
          ...common,
          input: buffers.x,
          gradOutput: gradH.binding,
          gradInput: gradX,
          grads: buffers.grads,
          gradStride: buffers.gradStride ?? 0,
        },
        `${layer.name} conditioner`,
      )
    : undefined;
  const forwardOnly = mlp.bind(
    { ...common, input: buffers.x },
    `${layer.name} conditioner (inference)`,
  );
  const inverseOnly = mlp.bind(
    { ...common, input: buffers.y },
    `${layer.name} conditioner (inverse)`,
  );
  const noGradients = () =>
    new Error(
      `Coupling layer ${layer.name}: this binding has no gradients; bind it with grads to train.`,
    );
  return {
    // Backward: the transform kernel, the MLP backward and one weight-gradient per MLP layer.
    dispatches: { forward: 2, inverse: 2, backward: mlp.trainingDispatches },
    encodeForward(pass, isTraining) {
      if (isTraining) {
        if (!training) throw noGradients();
        training.encodeForward(pass, true);
      } else {
        forwardOnly.encodeForward(pass, false);
      }
      transform.forward.encode(pass, group, batch);
    },
    encodeInverse(pass) {
      inverseOnly.encodeForward(pass, false);
      transform.inverse.encode(pass, group, batch);
    },
    encodeBackward(pass) {
      if (!training) throw noGradients();
      transform.backward.encode(pass, group, batch);
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
