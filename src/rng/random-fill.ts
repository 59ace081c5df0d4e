import philoxSource from '../../shaders/lib/philox.wgsl';
import fillSource from '../../shaders/lib/random-fill.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type BufferPool,
  type PipelineCache,
  type PooledBuffer,
} from '../gpu';
import { seedKey, type RandomKind } from './philox';

export const PHILOX_LIBRARY = { file: 'lib/philox.wgsl', source: philoxSource } as const;

const ENTRY_POINTS: Record<RandomKind, string> = {
  bits: 'fill_bits',
  uniform: 'fill_uniform',
  normal: 'fill_normal',
};

function fillKernel(kind: RandomKind) {
  return defineKernel<number>({
    name: `random-fill/${kind}`,
    file: 'lib/random-fill.wgsl',
    source: fillSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint: ENTRY_POINTS[kind],
    bindings: ['uniform', 'storage'],
    workgroupSize: 64,
    dispatch: (blocks, workgroupSize) => workgroupsFor(blocks, workgroupSize),
  });
}

const KERNELS: Record<RandomKind, ReturnType<typeof fillKernel>> = {
  bits: fillKernel('bits'),
  uniform: fillKernel('uniform'),
  normal: fillKernel('normal'),
};

export interface RandomFillRequest {
  kind: RandomKind;
  seed: number;
  stream: number;
  step: number;
  /** Number of 4-value blocks (the buffer holds 4·blocks u32 or f32). */
  blocks: number;
}

/**
 * Fills a new pooled buffer with 4·blocks Philox values on the GPU; the caller owns the result.
 * The values equal src/rng/philox.ts fillRandomCpu (bits exactly, floats within f32 rounding).
 */
export async function fillRandom(
  device: GPUDevice,
  pipelines: PipelineCache,
  pool: BufferPool,
  request: RandomFillRequest,
): Promise<PooledBuffer> {
  const kernel = await pipelines.get(KERNELS[request.kind]);
  const [seedLo, seedHi] = seedKey(request.seed);
  const params = pool.upload(
    new Uint32Array([
      seedLo,
      seedHi,
      request.stream >>> 0,
      request.step >>> 0,
      request.blocks,
      0,
      0,
      0,
    ]),
    GPUBufferUsage.UNIFORM,
    'random-fill params',
  );
  const out = pool.acquire(
    request.blocks * 16,
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    `random ${request.kind} ×${request.blocks * 4}`,
  );
  const encoder = device.createCommandEncoder({ label: 'random-fill' });
  const pass = encoder.beginComputePass({ label: 'random-fill' });
  kernel.encode(pass, kernel.bind(device, [params.binding, out.binding]), request.blocks);
  pass.end();
  device.queue.submit([encoder.finish()]);
  params.dispose();
  return out;
}
