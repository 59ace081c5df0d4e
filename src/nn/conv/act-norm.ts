/**
 * ActNorm (Glow) over NCHW batches (shaders/nn/actnorm.wgsl): y = x · exp(logs[c]) + b[c], its
 * inverse, and the backward with per-channel gradients reduced in a fixed order. log|det| per
 * sample is H·W·Σ logs (the twin computes it; it needs no kernel). Data-dependent
 * initialisation: actNormInitialParameters in the twin (src/nn/reference/norm.ts).
 */
import actNormSource from '../../../shaders/nn/actnorm.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import type { ParameterLayout } from '../parameters';
import type { ActNormShape } from '../reference/norm';

export type { ActNormShape } from '../reference/norm';

type Binding = GPUBuffer | GPUBufferBinding;
type Entry = 'forward' | 'inverse' | 'backward_input' | 'backward_params';

const actNormKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `nn/actnorm-${entryPoint}`,
    file: 'nn/actnorm.wgsl',
    source: actNormSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
  });

/** Adds logs (zeros: the identity until initialised from data) then b (zeros). */
export function addActNormParameters(
  layout: ParameterLayout,
  name: string,
  shape: ActNormShape,
): number {
  const logs = layout.add(`${name}.logs`, [shape.channels], { kind: 'constant', value: 0 });
  layout.add(`${name}.bias`, [shape.channels], { kind: 'constant', value: 0 });
  return logs.offset;
}

export interface ActNormBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  input: Binding;
  output: Binding;
  gradOutput?: Binding;
  gradInput?: Binding;
  /** Written by backward: dlogs, db at paramOffset. */
  grads?: Binding;
}

export class ActNorm {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: ActNormShape,
    private readonly kernels: Record<Entry, CompiledKernel>,
  ) {}

  static async create(runtime: GpuRuntime, shape: ActNormShape): Promise<ActNorm> {
    const constants = { C: shape.channels, PIXELS: shape.height * shape.width };
    const entries: Entry[] = ['forward', 'inverse', 'backward_input', 'backward_params'];
    const compiled = await Promise.all(
      entries.map((entry) => runtime.pipelines.get(actNormKernel(entry), constants)),
    );
    const kernels = Object.fromEntries(entries.map((e, i) => [e, compiled[i]!])) as Record<
      Entry,
      CompiledKernel
    >;
    return new ActNorm(runtime, shape, kernels);
  }

  floats(batch: number): number {
    return batch * this.shape.channels * this.shape.height * this.shape.width;
  }

  /**
   * Forward (x → y) and backward; with `inverse: true` the same binding encodes y → x instead
   * (input = y, output = x) and has no backward.
   */
  bind(spec: ActNormBindingSpec & { inverse?: boolean }, label = 'actnorm') {
    const device = this.runtime.device;
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([spec.batch, spec.paramOffset, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const u = uniforms.binding;
    const k = this.kernels;
    const main = spec.inverse ? k.inverse : k.forward;
    const mainGroup = main.bind(
      device,
      [u, spec.params, spec.input, spec.input, spec.output],
      `${label} ${spec.inverse ? 'inverse' : 'forward'}`,
    );
    const { gradOutput, gradInput, grads } = spec;
    const backward =
      !spec.inverse && gradOutput && gradInput && grads
        ? {
            input: k.backward_input.bind(
              device,
              [u, spec.params, spec.input, gradOutput, gradInput],
              `${label} dL/dx`,
            ),
            params: k.backward_params.bind(
              device,
              [u, spec.params, spec.input, gradOutput, grads],
              `${label} dlogs db`,
            ),
          }
        : undefined;
    const elements = this.floats(spec.batch);
    return {
      encodeForward: (pass: GPUComputePassEncoder) => main.encode(pass, mainGroup, elements),
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backward) {
          throw new Error(
            `${label} has no backward: bind it (not inverse) with gradOutput, gradInput and grads.`,
          );
        }
        k.backward_input.encode(pass, backward.input, elements);
        k.backward_params.encode(pass, backward.params, this.shape.channels);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
