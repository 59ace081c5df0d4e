/**
 * Binding shared by the flow layers with a handful of parameters (ActNorm, scaling, reversal,
 * LU linear): one kernel each way, per-sample parameter gradients in a scratch buffer summed
 * over the batch by nn/column-sum.wgsl in a fixed order.
 */
import {
  type CompiledKernel,
  type GpuRuntime,
  type KernelSpec,
  type PooledBuffer,
  STORAGE_USAGE,
} from '../../gpu';
import { columnSumKernel } from '../../nn/column-sum';
import type { BoundLayer, LayerBuffers } from './flow-layer';

export interface SmallLayerKernels {
  forward: CompiledKernel;
  inverse: CompiledKernel;
  backward: CompiledKernel;
  /** Absent for layers without parameters. */
  columnSum?: CompiledKernel;
}

export async function compileSmallLayer(
  runtime: GpuRuntime,
  specs: (entry: 'forward' | 'inverse' | 'backward') => KernelSpec<number>,
  constants: Record<string, number>,
  columns: number,
): Promise<SmallLayerKernels> {
  const [forward, inverse, backward, columnSum] = await Promise.all([
    runtime.pipelines.get(specs('forward'), constants),
    runtime.pipelines.get(specs('inverse'), constants),
    runtime.pipelines.get(specs('backward'), constants),
    // Every small-layer kernel writes per-sample rows of 4 contributions.
    columns > 0
      ? runtime.pipelines.get(columnSumKernel, { COLUMNS: columns, ROW_STRIDE: 4 })
      : undefined,
  ]);
  return { forward, inverse, backward, ...(columnSum ? { columnSum } : {}) };
}

/**
 * `uniformWords`: the layer's 8-word uniform block (batch, logdet offset, parameter offset, …,
 * logdet weight at word 4 as f32 — the layout every small-layer WGSL file uses).
 */
export function bindSmallLayer(
  runtime: GpuRuntime,
  buffers: LayerBuffers,
  kernels: SmallLayerKernels,
  uniformWords: ArrayBuffer,
  columns: number,
  paramOffset: number,
  name: string,
): BoundLayer {
  const { batch } = buffers;
  const pool = runtime.pool;
  const storage = STORAGE_USAGE;
  const owned: PooledBuffer[] = [];
  const own = (b: PooledBuffer) => (owned.push(b), b);
  const contrib = own(
    pool.acquire(Math.max(16, batch * 4 * 4), storage, `${name} per-sample gradients`),
  );
  const scratchX = own(pool.acquire(batch * 8, storage, `${name} unused dL/dx`));
  const scratchY = own(pool.acquire(batch * 8, storage, `${name} unused dL/dy`));
  const uniforms = own(
    pool.upload(new Uint8Array(uniformWords), GPUBufferUsage.UNIFORM, `${name} uniforms`),
  );
  const group = kernels.forward.bind(runtime.device, [
    uniforms.binding,
    buffers.params,
    buffers.x,
    buffers.y,
    buffers.logDet,
    buffers.gradY ?? scratchY.binding,
    buffers.gradX ?? scratchX.binding,
    contrib.binding,
  ]);
  let sumGroup: GPUBindGroup | undefined;
  if (kernels.columnSum && buffers.grads) {
    const sumUniforms = own(
      pool.upload(
        new Uint32Array([batch, paramOffset, 0, 0]),
        GPUBufferUsage.UNIFORM,
        `${name} column-sum uniforms`,
      ),
    );
    sumGroup = kernels.columnSum.bind(runtime.device, [
      sumUniforms.binding,
      contrib.binding,
      buffers.grads,
    ]);
  }
  return {
    dispatches: { forward: 1, inverse: 1, backward: kernels.columnSum ? 2 : 1 },
    encodeForward: (pass) => kernels.forward.encode(pass, group, batch),
    encodeInverse: (pass) => kernels.inverse.encode(pass, group, batch),
    encodeBackward(pass) {
      kernels.backward.encode(pass, group, batch);
      if (kernels.columnSum) {
        if (!sumGroup) throw new Error(`${name}: bind with grads to train.`);
        kernels.columnSum.encode(pass, sumGroup, columns);
      }
    },
    dispose: () => owned.forEach((b) => b.dispose()),
  };
}

/** The 8-word uniform block: [batch, logdet offset, parameter offset, extra] + [weight, f, f, f]. */
export function smallLayerUniforms(
  buffers: LayerBuffers,
  paramOffset: number,
  extraWord = 0,
  floats: [number, number, number] = [0, 0, 0],
): ArrayBuffer {
  const bytes = new ArrayBuffer(32);
  new Uint32Array(bytes, 0, 4).set([buffers.batch, buffers.logDetOffset, paramOffset, extraWord]);
  new Float32Array(bytes, 16, 4).set([buffers.logDetWeight ?? 0, ...floats]);
  return bytes;
}
