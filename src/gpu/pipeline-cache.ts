import { createCheckedModule, settlePipeline } from './compile';
import {
  assembleSource,
  kernelKey,
  type BindingKind,
  type Dispatch,
  type KernelConstants,
  type KernelSpec,
} from './kernel';

/** A compiled kernel: its pipeline, bind-group layout and dispatch rule. */
export class CompiledKernel<Problem = number> {
  constructor(
    readonly spec: KernelSpec<Problem>,
    readonly key: string,
    readonly constants: KernelConstants,
    readonly workgroupSize: number,
    readonly pipeline: GPUComputePipeline,
    readonly layout: GPUBindGroupLayout,
  ) {}

  /** Bind group 0 with one buffer per binding, in the spec's order. */
  bind(
    device: GPUDevice,
    resources: readonly (GPUBuffer | GPUBufferBinding)[],
    label?: string,
  ): GPUBindGroup {
    if (resources.length !== this.spec.bindings.length) {
      throw new Error(
        `Kernel "${this.key}" expects ${this.spec.bindings.length} bindings, got ${resources.length}.`,
      );
    }
    return device.createBindGroup({
      label: label ?? `${this.key} bind group`,
      layout: this.layout,
      entries: resources.map((resource, binding) => ({
        binding,
        resource: 'size' in resource && 'usage' in resource ? { buffer: resource } : resource,
      })),
    });
  }

  workgroups(problem: Problem): Dispatch {
    return this.spec.dispatch(problem, this.workgroupSize, this.constants);
  }

  /** Records this kernel into a compute pass. */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, problem: Problem): void {
    const [x, y, z] = this.workgroups(problem);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}

const BINDING_TYPES: Record<BindingKind, GPUBufferBindingType> = {
  storage: 'storage',
  'read-only-storage': 'read-only-storage',
  uniform: 'uniform',
};

/**
 * Compiles kernels asynchronously, once per (name, constants): concurrent requests for the same
 * key share one in-flight compilation. Failures become ShaderError with file:line:column.
 */
export class PipelineCache {
  private readonly entries = new Map<string, Promise<CompiledKernel<unknown>>>();
  private compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  get<Problem>(
    spec: KernelSpec<Problem>,
    constants: KernelConstants = {},
  ): Promise<CompiledKernel<Problem>> {
    const key = kernelKey(spec.name, constants);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.compile(spec as KernelSpec<unknown>, key, constants);
      // A failed compile is not cached, so a fixed source can be retried.
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry as Promise<CompiledKernel<Problem>>;
  }

  /** Number of pipelines actually compiled (cache misses), for tests and the UI. */
  get compileCount(): number {
    return this.compiled;
  }

  get size(): number {
    return this.entries.size;
  }

  private async compile(
    spec: KernelSpec<unknown>,
    key: string,
    constants: KernelConstants,
  ): Promise<CompiledKernel<unknown>> {
    const workgroupSize =
      typeof spec.workgroupSize === 'function' ? spec.workgroupSize(constants) : spec.workgroupSize;
    const assembled = assembleSource(spec, constants, workgroupSize);
    const source = { key, code: assembled.code, segments: assembled.segments, file: spec.file };
    const device = this.device;
    const module = await createCheckedModule(device, source);
    const layout = device.createBindGroupLayout({
      label: `${key} layout`,
      entries: spec.bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: BINDING_TYPES[kind] },
      })),
    });
    const pipeline = await settlePipeline(
      device,
      source,
      device.createComputePipelineAsync({
        label: key,
        layout: device.createPipelineLayout({
          label: `${key} pipeline layout`,
          bindGroupLayouts: [layout],
        }),
        compute: { module, entryPoint: spec.entryPoint ?? 'main' },
      }),
    );
    this.compiled += 1;
    return new CompiledKernel(spec, key, constants, workgroupSize, pipeline, layout);
  }
}
