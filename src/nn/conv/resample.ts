/**
 * The 2 × 2 resolution layers of image models over NCHW batches (shaders/nn/resample.wgsl):
 * squeeze / unsqueeze (space ↔ channels, for multi-scale flows), 2 × 2 average pooling and
 * nearest-neighbour 2× upsampling. Each is one gather dispatch forward and one backward; none
 * has parameters. Twins: src/nn/reference/image.ts.
 */
import resampleSource from '../../../shaders/nn/resample.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import type { MapShape } from '../reference/image';

export type { MapShape } from '../reference/image';

type Binding = GPUBuffer | GPUBufferBinding;
type Entry = 'squeeze' | 'unsqueeze' | 'pool_sum' | 'repeat';

const resampleKernel = (entryPoint: Entry) =>
  defineKernel<number>({
    name: `nn/resample-${entryPoint}`,
    file: 'nn/resample.wgsl',
    source: resampleSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: (elements, workgroupSize) => workgroupsFor(elements, workgroupSize),
  });

/**
 * squeeze: C × H × W → 4C × H/2 × W/2. unsqueeze: the inverse. avg-pool: C × H × W →
 * C × H/2 × W/2. upsample: C × H/2 × W/2 → C × H × W. `shape` is always the large side.
 */
export type ResampleKind = 'squeeze' | 'unsqueeze' | 'avg-pool' | 'upsample';

/** Forward and backward entry points and their SCALE, per layer kind. */
const PLAN: Record<ResampleKind, { forward: Entry; backward: Entry; scale: number }> = {
  squeeze: { forward: 'squeeze', backward: 'unsqueeze', scale: 1 },
  unsqueeze: { forward: 'unsqueeze', backward: 'squeeze', scale: 1 },
  'avg-pool': { forward: 'pool_sum', backward: 'repeat', scale: 0.25 },
  upsample: { forward: 'repeat', backward: 'pool_sum', scale: 1 },
};

export interface ResampleBindingSpec {
  batch: number;
  input: Binding;
  output: Binding;
  gradOutput?: Binding;
  gradInput?: Binding;
}

export class Resample2x2 {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly kind: ResampleKind,
    readonly shape: MapShape,
    private readonly forward: CompiledKernel,
    private readonly backward: CompiledKernel,
  ) {}

  static async create(
    runtime: GpuRuntime,
    kind: ResampleKind,
    shape: MapShape,
  ): Promise<Resample2x2> {
    const { channels, height, width } = shape;
    for (const [name, value] of Object.entries({ channels, height, width })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${kind}: ${name} must be a positive integer, got ${value}.`);
      }
    }
    if (height % 2 !== 0 || width % 2 !== 0) {
      throw new RangeError(
        `${kind} works on 2 × 2 blocks: the large side must have an even height and width, ` +
          `got ${height} × ${width}. Pad or crop the maps to even sizes first.`,
      );
    }
    const plan = PLAN[kind];
    const constants = { C: channels, H: height, W: width, SCALE: plan.scale };
    const [forward, backward] = await Promise.all([
      runtime.pipelines.get(resampleKernel(plan.forward), constants),
      runtime.pipelines.get(resampleKernel(plan.backward), constants),
    ]);
    return new Resample2x2(runtime, kind, shape, forward, backward);
  }

  private floats(batch: number, side: 'large' | 'small'): number {
    const { channels, height, width } = this.shape;
    const large = batch * channels * height * width;
    // Squeeze keeps the element count; pooling quarters it.
    if (side === 'large' || this.kind === 'squeeze' || this.kind === 'unsqueeze') return large;
    return large / 4;
  }

  inputFloats(batch: number): number {
    return this.floats(
      batch,
      this.kind === 'squeeze' || this.kind === 'avg-pool' ? 'large' : 'small',
    );
  }

  outputFloats(batch: number): number {
    return this.floats(
      batch,
      this.kind === 'squeeze' || this.kind === 'avg-pool' ? 'small' : 'large',
    );
  }

  bind(spec: ResampleBindingSpec, label: string = this.kind) {
    const device = this.runtime.device;
    const pool = this.runtime.pool;
    const uniforms = pool.upload(
      new Uint32Array([spec.batch, 0, 0, 0]),
      GPUBufferUsage.UNIFORM,
      `${label} uniforms`,
    );
    const forwardGroup = this.forward.bind(
      device,
      [uniforms.binding, spec.input, spec.output],
      `${label} forward`,
    );
    const backwardGroup =
      spec.gradOutput && spec.gradInput
        ? this.backward.bind(
            device,
            [uniforms.binding, spec.gradOutput, spec.gradInput],
            `${label} backward`,
          )
        : undefined;
    const inputFloats = this.inputFloats(spec.batch);
    const outputFloats = this.outputFloats(spec.batch);
    return {
      encodeForward: (pass: GPUComputePassEncoder) =>
        this.forward.encode(pass, forwardGroup, outputFloats),
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backwardGroup) {
          throw new Error(`${label} has no backward: bind it with gradOutput and gradInput.`);
        }
        this.backward.encode(pass, backwardGroup, inputFloats);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
