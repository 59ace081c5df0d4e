/**
 * What the composite image layers (ResidualBlock, UNet) share: the elementwise add of
 * shaders/nn/residual.wgsl (skip joins, gradients that meet) and a binding that encodes a list of
 * steps in order and releases what it owns.
 */
import residualSource from '../../../shaders/nn/residual.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';

type Binding = GPUBuffer | GPUBufferBinding;

/** One dispatch (or a few) encoded into a compute pass. */
export type Step = (pass: GPUComputePassEncoder) => void;

export interface LayerBinding {
  encodeForward(pass: GPUComputePassEncoder): void;
  encodeBackward(pass: GPUComputePassEncoder): void;
  /** Releases the uniforms and the intermediate maps the binding owns. */
  dispose(): void;
}

/** Encodes `forward` (and `backward`, when bound for it) in order; `release` frees the rest. */
export function stepsBinding(
  label: string,
  forward: readonly Step[],
  backward: readonly Step[] | undefined,
  release: () => void,
): LayerBinding {
  return {
    encodeForward: (pass) => forward.forEach((step) => step(pass)),
    encodeBackward: (pass) => {
      if (!backward) {
        throw new Error(`${label} has no backward: bind it with gradOutput and grads.`);
      }
      backward.forEach((step) => step(pass));
    },
    dispose: release,
  };
}

const addKernel = defineKernel<number>({
  name: 'nn/residual-add',
  file: 'nn/residual.wgsl',
  source: residualSource,
  entryPoint: 'add',
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (count, workgroupSize) => workgroupsFor(count, workgroupSize),
});

/** dst = a + b over `count` floats: exact and order-free (one invocation per element). */
export class ElementwiseAdd {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly kernel: CompiledKernel,
  ) {}

  static async create(runtime: GpuRuntime): Promise<ElementwiseAdd> {
    return new ElementwiseAdd(runtime, await runtime.pipelines.get(addKernel, {}));
  }

  /** The step, and its uniforms to release with the binding that encodes it. */
  bind(
    count: number,
    a: Binding,
    b: Binding,
    dst: Binding,
    label: string,
  ): { step: Step; dispose(): void } {
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([count, 0, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const group = this.kernel.bind(this.runtime.device, [uniforms.binding, a, b, dst], label);
    return {
      step: (pass) => this.kernel.encode(pass, group, count),
      dispose: () => uniforms.dispose(),
    };
  }
}
