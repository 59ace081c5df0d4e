/**
 * Render pipelines are not compute kernels: they also depend on the format of the texture they
 * draw into. This cache compiles each (program, constants, format) once with
 * createRenderPipelineAsync inside a validation error scope, shares in-flight compiles, and
 * turns failures into ShaderError with file:line:column in the program's own .wgsl file (or
 * GpuDeviceLostError when the device went away meanwhile).
 */
import {
  createCheckedModule,
  settlePipeline,
  type KernelConstants,
  type SourceSegment,
  type WgslLibrary,
} from '../gpu';

export type RenderBindingKind = 'uniform' | 'read-only-storage';

/** A render program is data: its WGSL, bindings, vertex input and blending. */
export interface RenderProgram {
  /** Unique name; with constants and format it is the cache key. */
  readonly name: string;
  /** File name used in compiler messages, e.g. 'render/points.wgsl'. */
  readonly file: string;
  readonly source: string;
  readonly libraries?: readonly WgslLibrary[];
  /** Binding i of group 0 has kind bindings[i]; visible to both stages. */
  readonly bindings: readonly RenderBindingKind[];
  readonly topology: GPUPrimitiveTopology;
  readonly vertexBuffers?: readonly GPUVertexBufferLayout[];
  /** 'premultiplied' blends (colour · α already in the output) over what is drawn. */
  readonly blend: 'premultiplied' | 'replace';
  readonly vertexEntry?: string;
  readonly fragmentEntry?: string;
}

export interface CompiledRenderProgram {
  readonly key: string;
  readonly pipeline: GPURenderPipeline;
  readonly layout: GPUBindGroupLayout;
  /** Bind group 0 with one buffer per binding, in the program's order. */
  bind(resources: readonly GPUBufferBinding[], label?: string): GPUBindGroup;
}

const PREMULTIPLIED_BLEND: GPUBlendState = {
  color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
  alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
};

/** Substitutes `{{NAME}}` constants into libraries + program and records where each file starts. */
function assemble(
  program: RenderProgram,
  constants: KernelConstants,
): { code: string; segments: SourceSegment[] } {
  const used = new Set<string>();
  const segments: SourceSegment[] = [];
  const parts: string[] = [];
  let line = 1;
  for (const { file, source } of [...(program.libraries ?? []), program]) {
    const code = source.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
      const value = constants[name];
      if (value === undefined) {
        throw new Error(
          `Render program "${program.name}": ${file} uses {{${name}}} but no constant ${name} ` +
            `was given (given: ${Object.keys(constants).join(', ') || 'none'}).`,
        );
      }
      used.add(name);
      return String(value);
    });
    const lineCount = code.split('\n').length;
    segments.push({ file, firstLine: line, lineCount });
    parts.push(code);
    line += lineCount;
  }
  const unused = Object.keys(constants).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new Error(
      `Render program "${program.name}": constants ${unused.join(', ')} are not used by its WGSL.`,
    );
  }
  return { code: parts.join('\n'), segments };
}

export function renderKey(
  program: RenderProgram,
  format: GPUTextureFormat,
  constants: KernelConstants,
): string {
  const entries = Object.keys(constants)
    .sort()
    .map((key) => `${key}=${String(constants[key])}`);
  return `${program.name}${entries.length > 0 ? `[${entries.join(',')}]` : ''}@${format}`;
}

export class RenderPipelineCache {
  private readonly entries = new Map<string, Promise<CompiledRenderProgram>>();
  private compiled = 0;
  private disposed = false;

  constructor(private readonly device: GPUDevice) {}

  get(
    program: RenderProgram,
    format: GPUTextureFormat,
    constants: KernelConstants = {},
  ): Promise<CompiledRenderProgram> {
    if (this.disposed) {
      throw new Error('This render pipeline cache was disposed; create a new one for the device.');
    }
    const key = renderKey(program, format, constants);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.compile(program, format, constants, key);
      // A failed compile is not cached, so a fixed source can be retried.
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Pipelines actually compiled (cache misses). */
  get compileCount(): number {
    return this.compiled;
  }

  /** Pipelines hold no memory of their own to free; forgetting them lets the device go. */
  dispose(): void {
    this.disposed = true;
    this.entries.clear();
  }

  private async compile(
    program: RenderProgram,
    format: GPUTextureFormat,
    constants: KernelConstants,
    key: string,
  ): Promise<CompiledRenderProgram> {
    const { code, segments } = assemble(program, constants);
    const source = { key, code, segments, file: program.file };
    const device = this.device;
    const module = await createCheckedModule(device, source);
    const layout = device.createBindGroupLayout({
      label: `${key} layout`,
      entries: program.bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT,
        buffer: { type: kind === 'uniform' ? 'uniform' : 'read-only-storage' },
      })),
    });
    device.pushErrorScope('validation');
    const pending = device.createRenderPipelineAsync({
      label: key,
      layout: device.createPipelineLayout({
        label: `${key} pipeline layout`,
        bindGroupLayouts: [layout],
      }),
      vertex: {
        module,
        entryPoint: program.vertexEntry ?? 'vs',
        buffers: program.vertexBuffers ? [...program.vertexBuffers] : [],
      },
      fragment: {
        module,
        entryPoint: program.fragmentEntry ?? 'fs',
        targets: [
          program.blend === 'premultiplied' ? { format, blend: PREMULTIPLIED_BLEND } : { format },
        ],
      },
      primitive: { topology: program.topology },
    });
    const pipeline = await settlePipeline(device, source, pending, device.popErrorScope());
    this.compiled += 1;
    return {
      key,
      pipeline,
      layout,
      bind: (resources, label) => {
        if (resources.length !== program.bindings.length) {
          throw new Error(
            `Render program "${key}" expects ${program.bindings.length} bindings, got ${resources.length}.`,
          );
        }
        return device.createBindGroup({
          label: label ?? `${key} bind group`,
          layout,
          entries: resources.map((resource, binding) => ({ binding, resource })),
        });
      },
    };
  }
}
