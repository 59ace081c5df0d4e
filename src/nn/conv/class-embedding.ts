/**
 * The U-Net's class embedding (shaders/nn/class-embedding.wgsl): a learned row per class and
 * one for the null class ∅, added to the time embedding; backward writes the table's gradient
 * (dL/dtemb passes through unchanged). Twin: the class term of src/nn/reference/unet.ts.
 */
import classSource from '../../../shaders/nn/class-embedding.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';

type Binding = GPUBuffer | GPUBufferBinding;

const classKernel = (entryPoint: 'forward' | 'backward') =>
  defineKernel<number>({
    name: `nn/class-embedding-${entryPoint}`,
    file: 'nn/class-embedding.wgsl',
    source: classSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
  });

export interface ClassEmbeddingBindingSpec {
  batch: number;
  params: Binding;
  /** Offset of the table (rows × hidden floats) in params and in grads. */
  paramOffset: number;
  /** u32 per sample, in [0, rows − 1] (rows − 1: the null class). */
  labels: Binding;
  /** temb, batch × hidden. */
  input: Binding;
  output: Binding;
  /** dL/dout, batch × hidden; with grads, enables backward. */
  gradOutput?: Binding;
  grads?: Binding;
}

export class ClassEmbedding {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly rows: number,
    readonly hidden: number,
    private readonly forward: CompiledKernel,
    private readonly backward: CompiledKernel,
  ) {}

  /** `classes` labelled classes (rows = classes + 1 with the null class) of `hidden` floats. */
  static async create(runtime: GpuRuntime, classes: number, hidden: number) {
    const constants = { HIDDEN: hidden, ROWS: classes + 1 };
    const [forward, backward] = await Promise.all([
      runtime.pipelines.get(classKernel('forward'), constants),
      runtime.pipelines.get(classKernel('backward'), constants),
    ]);
    return new ClassEmbedding(runtime, classes + 1, hidden, forward, backward);
  }

  bind(spec: ClassEmbeddingBindingSpec, label = 'class embedding') {
    const device = this.runtime.device;
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([spec.batch, spec.paramOffset, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const u = uniforms.binding;
    const forwardGroup = this.forward.bind(
      device,
      [u, spec.params, spec.labels, spec.input, spec.output],
      `${label} forward`,
    );
    const backwardGroup =
      spec.gradOutput && spec.grads
        ? this.backward.bind(
            device,
            [u, spec.params, spec.labels, spec.gradOutput, spec.grads],
            `${label} dL/dE`,
          )
        : undefined;
    return {
      encodeForward: (pass: GPUComputePassEncoder) =>
        this.forward.encode(pass, forwardGroup, spec.batch * this.hidden),
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backwardGroup) {
          throw new Error(`${label} has no backward: bind it with gradOutput and grads.`);
        }
        this.backward.encode(pass, backwardGroup, this.rows * this.hidden);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
