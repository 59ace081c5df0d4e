/**
 * GroupNorm over NCHW batches (shaders/nn/norm.wgsl): per-sample statistics of each group of
 * channels, then a per-channel scale γ and shift β, and optionally an activation fused into the
 * output (a residual block's GroupNorm → SiLU). Two dispatches forward, three backward.
 * Twin: src/nn/reference/norm.ts (then the activation's, src/nn/activations.ts).
 */
import normSource from '../../../shaders/nn/norm.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import { activationId, type Activation } from '../activations';
import { ACTIVATIONS_LIBRARY } from '../kernels';
import type { ParameterLayout } from '../parameters';
import type { GroupNormShape } from '../reference/norm';

export type { GroupNormShape } from '../reference/norm';

type Binding = GPUBuffer | GPUBufferBinding;
type Entry = 'stats' | 'apply' | 'backward_stats' | 'backward_input' | 'backward_params';

const normKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `nn/group-norm-${entryPoint}`,
    file: 'nn/norm.wgsl',
    source: normSource,
    libraries: [ACTIVATIONS_LIBRARY],
    entryPoint,
    bindings: [
      'uniform',
      'read-only-storage',
      'read-only-storage',
      'read-only-storage',
      'storage',
      'storage',
    ],
    // The per-(sample, group) loops are few and long: small workgroups spread them over more
    // CPU threads (SwiftShader runs a workgroup on one thread).
    workgroupSize: entryPoint === 'stats' || entryPoint === 'backward_stats' ? 8 : 64,
    dispatch: (items, workgroupSize) => workgroupsFor(items, workgroupSize),
  });

/** Adds γ (ones) then β (zeros), C floats each. */
export function addGroupNormParameters(
  layout: ParameterLayout,
  name: string,
  shape: GroupNormShape,
): number {
  const gamma = layout.add(`${name}.gamma`, [shape.channels], { kind: 'constant', value: 1 });
  layout.add(`${name}.beta`, [shape.channels], { kind: 'constant', value: 0 });
  return gamma.offset;
}

export interface GroupNormBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  input: Binding;
  /** act(γ x̂ + β), with the activation of GroupNorm.create (identity: the norm's output). */
  output: Binding;
  /** cacheFloats(batch) floats. */
  cache: Binding;
  /** dL/d(output). */
  gradOutput?: Binding;
  gradInput?: Binding;
  /** Written by backward: dγ, dβ at paramOffset, the batch reduced in a fixed order. */
  grads?: Binding;
}

export class GroupNorm {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: GroupNormShape,
    private readonly kernels: Record<Entry, CompiledKernel>,
  ) {}

  /** `activation` is applied to the normalised output in the same pass (default identity). */
  static async create(
    runtime: GpuRuntime,
    shape: GroupNormShape,
    activation: Activation = 'identity',
  ): Promise<GroupNorm> {
    const { channels, groups, height, width, eps } = shape;
    if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
      throw new RangeError(
        `GroupNorm groups must divide the channels: got ${groups} groups for ${channels} ` +
          `channels. Pick a divisor of ${channels} (32 channels: 1, 2, 4, 8, 16 or 32 groups).`,
      );
    }
    if (!(eps > 0)) throw new RangeError(`GroupNorm eps must be positive, got ${eps}.`);
    const constants = {
      C: channels,
      GROUPS: groups,
      PIXELS: height * width,
      EPS: eps,
      ACTIVATION: activationId(activation),
    };
    const entries: Entry[] = [
      'stats',
      'apply',
      'backward_stats',
      'backward_input',
      'backward_params',
    ];
    const compiled = await Promise.all(
      entries.map((entry) => runtime.pipelines.get(normKernel(entry), constants)),
    );
    const kernels = Object.fromEntries(entries.map((e, i) => [e, compiled[i]!])) as Record<
      Entry,
      CompiledKernel
    >;
    return new GroupNorm(runtime, shape, kernels);
  }

  floats(batch: number): number {
    return batch * this.shape.channels * this.shape.height * this.shape.width;
  }

  /** (μ, r) and the two backward means per (sample, group); two backward sums per (sample, channel). */
  cacheFloats(batch: number): number {
    return 4 * batch * this.shape.groups + 2 * batch * this.shape.channels;
  }

  bind(spec: GroupNormBindingSpec, label = 'group-norm') {
    const device = this.runtime.device;
    const uniforms = this.runtime.pool.upload(
      new Uint32Array([spec.batch, spec.paramOffset, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const u = uniforms.binding;
    const k = this.kernels;
    const forwardBindings = [u, spec.params, spec.input, spec.input, spec.output, spec.cache];
    const forward = {
      stats: k.stats.bind(device, forwardBindings, `${label} stats`),
      apply: k.apply.bind(device, forwardBindings, `${label} apply`),
    };
    const { gradOutput, gradInput, grads } = spec;
    const backward =
      gradOutput && gradInput && grads
        ? {
            stats: k.backward_stats.bind(
              device,
              [u, spec.params, spec.input, gradOutput, gradInput, spec.cache],
              `${label} backward stats`,
            ),
            input: k.backward_input.bind(
              device,
              [u, spec.params, spec.input, gradOutput, gradInput, spec.cache],
              `${label} dL/dx`,
            ),
            params: k.backward_params.bind(
              device,
              [u, spec.params, spec.input, gradOutput, grads, spec.cache],
              `${label} dγ dβ`,
            ),
          }
        : undefined;
    const groups = spec.batch * this.shape.groups;
    // apply and backward_input: 4 pixels of one (sample, channel) plane per invocation.
    const quads =
      spec.batch * this.shape.channels * Math.ceil((this.shape.height * this.shape.width) / 4);
    return {
      encodeForward: (pass: GPUComputePassEncoder) => {
        k.stats.encode(pass, forward.stats, groups);
        k.apply.encode(pass, forward.apply, quads);
      },
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backward) {
          throw new Error(
            `${label} has no backward: bind it with gradOutput, gradInput and grads.`,
          );
        }
        k.backward_stats.encode(pass, backward.stats, groups);
        k.backward_input.encode(pass, backward.input, quads);
        k.backward_params.encode(pass, backward.params, this.shape.channels);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
