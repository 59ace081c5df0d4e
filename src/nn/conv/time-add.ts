/**
 * Adds a per-sample, per-channel vector e (batch × C; a time embedding after its projection) to
 * NCHW feature maps (shaders/nn/time-add.wgsl). Backward: dL/de summed over each map's pixels in
 * order; dL/dx = dL/dy, so the caller passes dL/dy on as dL/dx. Twin: src/nn/reference/image.ts.
 */
import timeAddSource from '../../../shaders/nn/time-add.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import type { MapShape } from '../reference/image';

type Binding = GPUBuffer | GPUBufferBinding;

const timeAddKernel = (entryPoint: 'forward' | 'backward') =>
  defineKernel<number>({
    name: `nn/time-add-${entryPoint}`,
    file: 'nn/time-add.wgsl',
    source: timeAddSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
  });

export interface TimeAddBindingSpec {
  batch: number;
  input: Binding;
  /** e, batch × C. */
  embedding: Binding;
  output: Binding;
  gradOutput?: Binding;
  /** Written by backward: dL/de, batch × C. */
  gradEmbedding?: Binding;
}

export class TimeAdd {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: MapShape,
    private readonly forward: CompiledKernel,
    private readonly backward: CompiledKernel,
  ) {}

  static async create(runtime: GpuRuntime, shape: MapShape): Promise<TimeAdd> {
    const constants = { C: shape.channels, PIXELS: shape.height * shape.width };
    const [forward, backward] = await Promise.all([
      runtime.pipelines.get(timeAddKernel('forward'), constants),
      runtime.pipelines.get(timeAddKernel('backward'), constants),
    ]);
    return new TimeAdd(runtime, shape, forward, backward);
  }

  bind(spec: TimeAddBindingSpec, label = 'time-add') {
    const device = this.runtime.device;
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([spec.batch, 0, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const u = uniforms.binding;
    const forwardGroup = this.forward.bind(
      device,
      [u, spec.input, spec.embedding, spec.output],
      `${label} forward`,
    );
    const backwardGroup =
      spec.gradOutput && spec.gradEmbedding
        ? this.backward.bind(
            device,
            [u, spec.gradOutput, spec.embedding, spec.gradEmbedding],
            `${label} dL/de`,
          )
        : undefined;
    const { channels, height, width } = this.shape;
    const planes = spec.batch * channels;
    return {
      encodeForward: (pass: GPUComputePassEncoder) =>
        this.forward.encode(pass, forwardGroup, planes * height * width),
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backwardGroup) {
          throw new Error(`${label} has no backward: bind it with gradOutput and gradEmbedding.`);
        }
        this.backward.encode(pass, backwardGroup, planes);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
