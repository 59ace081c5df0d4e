/**
 * Unfused layers: a dense layer y = f(W x + b) (one dispatch forward, one backward, one for
 * its weight gradients) and the sinusoidal embedding + concatenation of a denoiser's input.
 * Twins: src/nn/reference/dense.ts and src/nn/reference/embedding.ts.
 */
import denseSource from '../../shaders/nn/dense.wgsl';
import embeddingSource from '../../shaders/nn/embedding.wgsl';
import {
  defineKernel,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../gpu';
import { activationId, type Activation } from './activations';
import {
  ACTIVATIONS_LIBRARY,
  kernelTuning,
  outerGradBlocks,
  outerGradKernel,
  type OuterGradProblem,
} from './kernels';
import type { ParameterLayout } from './parameters';
import { embeddingFrequencySplit, type EmbeddingShape } from './reference/embedding';

type Binding = GPUBuffer | GPUBufferBinding;

const perSample = (batch: number, workgroupSize: number) => workgroupsFor(batch, workgroupSize);

const denseKernel = (entryPoint: 'forward' | 'backward') =>
  defineKernel<number>({
    name: `nn/dense-${entryPoint}`,
    file: 'nn/dense.wgsl',
    source: denseSource,
    libraries: [ACTIVATIONS_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
    workgroupSize: 64,
    dispatch: perSample,
  });

export interface DenseShape {
  inputs: number;
  outputs: number;
  activation: Activation;
}

/** Adds W (outputs × inputs) then b, initialised for the activation. */
export function addDenseParameters(
  layout: ParameterLayout,
  name: string,
  shape: DenseShape,
): number {
  const reluLike = ['relu', 'leaky-relu', 'silu', 'gelu'].includes(shape.activation);
  const weight = layout.add(
    `${name}.weight`,
    [shape.outputs, shape.inputs],
    reluLike
      ? { kind: 'kaiming-uniform', fanIn: shape.inputs, gain: Math.SQRT2 }
      : { kind: 'xavier-uniform', fanIn: shape.inputs, fanOut: shape.outputs, gain: 1 },
  );
  layout.add(`${name}.bias`, [shape.outputs], { kind: 'fan-in-uniform', fanIn: shape.inputs });
  return weight.offset;
}

export interface DenseBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  input: Binding;
  inputOffset?: number;
  output: Binding;
  outputOffset?: number;
  /** 2 × batch × outputs floats: z, then δ. */
  cache: Binding;
  cacheOffset?: number;
  gradOutput?: Binding;
  /** Written by backward (dL/dx); a scratch buffer when the input is not trained. */
  gradInput?: Binding;
  grads?: Binding;
  gradStride?: number;
}

export class DenseLayer {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: DenseShape,
    private readonly forward: CompiledKernel,
    private readonly backward: CompiledKernel,
    private readonly outer: CompiledKernel<OuterGradProblem>,
    readonly chunkSize: number,
  ) {}

  static async create(runtime: GpuRuntime, shape: DenseShape): Promise<DenseLayer> {
    const constants = {
      IN: shape.inputs,
      OUT: shape.outputs,
      ACTIVATION: activationId(shape.activation),
    };
    const tuning = kernelTuning(runtime.context.adapterInfo, Math.max(shape.inputs, shape.outputs));
    const [forward, backward, outer] = await Promise.all([
      runtime.pipelines.get(denseKernel('forward'), constants),
      runtime.pipelines.get(denseKernel('backward'), constants),
      runtime.pipelines.get(outerGradKernel, {
        LIN: shape.inputs,
        LOUT: shape.outputs,
        A_FROM_INPUT: true,
        A_STRIDE: shape.inputs,
        ACTIVATION: 0,
      }),
    ]);
    return new DenseLayer(runtime, shape, forward, backward, outer, tuning.chunkSize);
  }

  cacheFloats(batch: number): number {
    return 2 * batch * this.shape.outputs;
  }

  chunks(batch: number): number {
    return Math.ceil(batch / this.chunkSize);
  }

  /** Binds the layer; the returned object encodes it and owns its uniforms. */
  bind(spec: DenseBindingSpec): {
    encodeForward(pass: GPUComputePassEncoder): void;
    encodeBackward(pass: GPUComputePassEncoder): void;
    dispose(): void;
  } {
    const device = this.runtime.device;
    const pool = this.runtime.pool;
    const { batch } = spec;
    const cacheOffset = spec.cacheOffset ?? 0;
    const owned: PooledBuffer[] = [];
    const uniform = (words: number[], label: string) => {
      const buffer = pool.upload(new Uint32Array(words), GPUBufferUsage.UNIFORM, label);
      owned.push(buffer);
      return buffer.binding;
    };
    const uniforms = uniform(
      [
        batch,
        spec.paramOffset,
        spec.inputOffset ?? 0,
        spec.outputOffset ?? 0,
        cacheOffset,
        0,
        0,
        0,
      ],
      'dense uniforms',
    );
    const forwardGroup = this.forward.bind(device, [
      uniforms,
      spec.params,
      spec.input,
      spec.output,
      spec.cache,
    ]);
    let backwardGroup: GPUBindGroup | undefined;
    let outerGroup: GPUBindGroup | undefined;
    if (spec.gradOutput && spec.grads && spec.gradInput) {
      backwardGroup = this.backward.bind(device, [
        uniforms,
        spec.params,
        spec.gradOutput,
        spec.gradInput,
        spec.cache,
      ]);
      const outerUniforms = uniform(
        [
          batch,
          this.chunkSize,
          spec.inputOffset ?? 0,
          cacheOffset + batch * this.shape.outputs,
          spec.paramOffset,
          spec.gradStride ?? 0,
          0,
          0,
        ],
        'dense gradient uniforms',
      );
      outerGroup = this.outer.bind(device, [outerUniforms, spec.input, spec.cache, spec.grads]);
    }
    const { inputs, outputs } = this.shape;
    const problem = {
      blocks: outerGradBlocks(inputs, outputs),
      chunks: this.chunks(batch),
    };
    return {
      encodeForward: (pass) => this.forward.encode(pass, forwardGroup, batch),
      encodeBackward: (pass) => {
        if (!backwardGroup || !outerGroup) {
          throw new Error(
            'This dense binding has no backward: bind it with gradOutput, gradInput and grads.',
          );
        }
        this.backward.encode(pass, backwardGroup, batch);
        this.outer.encode(pass, outerGroup, problem);
      },
      dispose: () => owned.forEach((b) => b.dispose()),
    };
  }
}

const embedKernel = (entryPoint: 'forward' | 'backward') =>
  defineKernel<number>({
    name: `nn/embed-concat-${entryPoint}`,
    file: 'nn/embedding.wgsl',
    source: embeddingSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: perSample,
  });

/**
 * EmbedUniforms of shaders/nn/embedding.wgsl: (batch, offsets) then each frequency ω_k as
 * (hi, lo, 0, 0), hi = fround(ω_k) and lo = fround(ω_k − hi), so the shader can form ω_k·t to
 * float64-like accuracy from float32 arithmetic.
 */
function embeddingUniforms(shape: EmbeddingShape, batch: number): Uint32Array {
  const half = shape.features / 2;
  const words = new Uint32Array(4 + 4 * half);
  words.set([batch, 0, 0, 0]);
  const frequencies = new Float32Array(words.buffer, 16);
  for (let k = 0; k < half; k++) {
    const [hi, lo] = embeddingFrequencySplit(shape, k);
    frequencies[4 * k] = hi;
    frequencies[4 * k + 1] = lo;
  }
  return words;
}

/** Sinusoidal embedding of t concatenated after x: (x, sin ωt, cos ωt). */
export class EmbedConcat {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: EmbeddingShape,
    private readonly forward: CompiledKernel,
    private readonly backward: CompiledKernel,
  ) {}

  static async create(runtime: GpuRuntime, shape: EmbeddingShape): Promise<EmbedConcat> {
    if (shape.features % 2 !== 0 || shape.features < 2 || shape.features > 256) {
      throw new RangeError(
        `Embedding features must be an even number in [2, 256], got ${shape.features}.`,
      );
    }
    // The frequencies travel in the uniforms (as float32 pairs), not as constants: a pipeline
    // serves every scale and period of the same width.
    const constants = { DIMS: shape.dims, FEATURES: shape.features };
    const [forward, backward] = await Promise.all([
      runtime.pipelines.get(embedKernel('forward'), constants),
      runtime.pipelines.get(embedKernel('backward'), constants),
    ]);
    return new EmbedConcat(runtime, shape, forward, backward);
  }

  get width(): number {
    return this.shape.dims + this.shape.features;
  }

  /** Forward writes (x, emb(t)) into `out`; backward (optional) writes dL/dx from dL/d(out). */
  bind(spec: {
    batch: number;
    x: Binding;
    t: Binding;
    out: Binding;
    gradOut?: Binding;
    gradX?: Binding;
  }) {
    const device = this.runtime.device;
    const uniforms = this.runtime.pool.upload(
      embeddingUniforms(this.shape, spec.batch),
      GPUBufferUsage.UNIFORM,
      'embed-concat uniforms',
    );
    const forwardGroup = this.forward.bind(device, [uniforms.binding, spec.x, spec.t, spec.out]);
    const backwardGroup =
      spec.gradOut && spec.gradX
        ? this.backward.bind(device, [uniforms.binding, spec.gradOut, spec.t, spec.gradX])
        : undefined;
    return {
      encodeForward: (pass: GPUComputePassEncoder) =>
        this.forward.encode(pass, forwardGroup, spec.batch),
      encodeBackward: (pass: GPUComputePassEncoder) => {
        if (!backwardGroup)
          throw new Error('This embedding binding has no backward: pass gradOut and gradX.');
        this.backward.encode(pass, backwardGroup, spec.batch);
      },
      dispose: () => uniforms.dispose(),
    };
  }
}
