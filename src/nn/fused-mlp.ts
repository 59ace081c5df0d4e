/**
 * The fully fused MLP on the GPU: one dispatch for the forward of a batch, one for the backward,
 * one weight-gradient reduction per linear layer. Twin: mlpForward/mlpBackward in
 * src/nn/reference/dense.ts.
 */
import type { CompiledKernel, GpuRuntime, PooledBuffer } from '../gpu';
import { activationId } from './activations';
import {
  kernelTuning,
  mlpBackwardKernel,
  mlpBackwardKernelRows8,
  mlpBackwardKernelRows8Subgroup,
  mlpForwardKernel,
  mlpForwardKernelRows8,
  mlpForwardKernelRows8Subgroup,
  outerGradBlocks,
  outerGradKernel,
  type KernelTuning,
  type OuterGradProblem,
} from './kernels';
import { linearLayers, mlpParameterCount, validateMlpShape, type MlpShape } from './mlp-shape';

type Binding = GPUBuffer | GPUBufferBinding;

/** Where an MLP's inputs, outputs and state live for one use (a model binds it once). */
export interface MlpBindingSpec {
  batch: number;
  params: Binding;
  /** Offset (floats) of the MLP's parameters in `params` (and of its gradients in `grads`). */
  paramOffset: number;
  input: Binding;
  inputOffset?: number;
  output: Binding;
  outputOffset?: number;
  /** Scratch for pre-activations and deltas: at least `cacheFloats(batch)` from cacheOffset. */
  cache: Binding;
  cacheOffset?: number;
  /** Training only: dL/dy (batch × outputs, at outputOffset) and the gradient buffer. */
  gradOutput?: Binding;
  /** dL/dx (batch × inputs, at inputOffset); needed when the MLP's input is itself trained. */
  gradInput?: Binding;
  grads?: Binding;
  /** Floats between chunk partials in `grads` (the model's parameter count). */
  gradStride?: number;
}

export interface FusedMlpOptions {
  /** Compile the backward and weight-gradient kernels (default true). */
  training?: boolean;
  /** Backward also writes dL/dx (when the MLP's input is itself trained). */
  gradInput?: boolean;
  /** y = x + MLP(x): a residual block (inputs must equal outputs). */
  residual?: boolean;
  /** Floats between samples' inputs (and dL/dx) when the input is part of wider rows. */
  inputStride?: number;
  /** Backward adds dL/dx into the buffer instead of overwriting it. */
  accumulateGradInput?: boolean;
  tuning?: Partial<KernelTuning>;
}

/** Constants of the forward kernels that only the backward uses. */
const FORWARD_ONLY = { WRITE_GRAD_IN: false, ACCUMULATE_GRAD_IN: false } as const;

/** Compiled kernels of one MLP shape; bind() ties them to buffers. */
export class FusedMlp {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly shape: MlpShape,
    readonly tuning: KernelTuning,
    private readonly forwardTrain: CompiledKernel,
    private readonly forwardInfer: CompiledKernel,
    private readonly backward: CompiledKernel | undefined,
    private readonly outerGrads: CompiledKernel<OuterGradProblem>[],
  ) {}

  static async create(
    runtime: GpuRuntime,
    shape: MlpShape,
    options: FusedMlpOptions = {},
  ): Promise<FusedMlp> {
    validateMlpShape(shape);
    if (options.residual && shape.inputs !== shape.outputs) {
      throw new RangeError(
        `A residual MLP block needs inputs = outputs, got ${shape.inputs} → ${shape.outputs}.`,
      );
    }
    const width = Math.max(shape.inputs, shape.hidden, shape.outputs);
    // The subgroup kernels need the device feature (GpuRuntime asks for it where offered).
    const subgroupsAvailable = runtime.device.features.has('subgroups');
    const requested = {
      ...kernelTuning(runtime.context.adapterInfo, width, subgroupsAvailable),
      ...options.tuning,
    };
    const tuning = { ...requested, subgroups: requested.subgroups && subgroupsAvailable };
    if (tuning.samples !== 4 && tuning.samples !== 8) {
      throw new RangeError(
        `Fused MLP: samples per invocation must be 4 or 8, got ${tuning.samples}.`,
      );
    }
    if (tuning.rows !== 4 && tuning.rows !== 8) {
      throw new RangeError(`Fused MLP: rows per tile read must be 4 or 8, got ${tuning.rows}.`);
    }
    const training = options.training ?? true;
    const base = {
      IN: shape.inputs,
      HIDDEN: shape.hidden,
      OUT: shape.outputs,
      HIDDEN_LAYERS: shape.hiddenLayers,
      ACTIVATION: activationId(shape.activation),
      SAMPLES: tuning.samples,
      WIDTH: width,
      WORKGROUP_SIZE: tuning.workgroupSize,
      RESIDUAL: options.residual ?? false,
      IN_STRIDE: options.inputStride ?? shape.inputs,
    };
    const pipelines = runtime.pipelines;
    const [forwardKernel, backwardKernel] = tuning.subgroups
      ? [mlpForwardKernelRows8Subgroup, mlpBackwardKernelRows8Subgroup]
      : tuning.rows === 8
        ? [mlpForwardKernelRows8, mlpBackwardKernelRows8]
        : [mlpForwardKernel, mlpBackwardKernel];
    const layers = linearLayers(shape);
    const [forwardTrain, forwardInfer, backward, ...outerGrads] = await Promise.all([
      pipelines.get(forwardKernel, { ...base, ...FORWARD_ONLY, STORE_CACHE: true }),
      pipelines.get(forwardKernel, { ...base, ...FORWARD_ONLY, STORE_CACHE: false }),
      training
        ? pipelines.get(backwardKernel, {
            ...base,
            STORE_CACHE: true,
            WRITE_GRAD_IN: options.gradInput ?? false,
            ACCUMULATE_GRAD_IN: options.accumulateGradInput ?? false,
          })
        : undefined,
      ...(training
        ? layers.map((layer, l) =>
            pipelines.get(outerGradKernel, {
              LIN: layer.inputs,
              LOUT: layer.outputs,
              A_FROM_INPUT: l === 0,
              A_STRIDE: l === 0 ? base.IN_STRIDE : layer.inputs,
              // Hidden activations are stored by the forward: nothing to apply.
              ACTIVATION: 0,
            }),
          )
        : []),
    ]);
    return new FusedMlp(
      runtime,
      shape,
      tuning,
      forwardTrain!,
      forwardInfer!,
      backward as CompiledKernel | undefined,
      outerGrads as CompiledKernel<OuterGradProblem>[],
    );
  }

  get parameterCount(): number {
    return mlpParameterCount(this.shape);
  }

  /** Floats of cache a training batch needs: hidden pre-activations, all deltas, activations. */
  cacheFloats(batch: number): number {
    const { hidden, hiddenLayers, outputs } = this.shape;
    return batch * (3 * hiddenLayers * hidden + outputs);
  }

  /** Number of chunks the weight-gradient reduction splits a batch into. */
  chunks(batch: number): number {
    return Math.ceil(batch / this.tuning.chunkSize);
  }

  /** Dispatches of one training step (forward + backward + weight gradients). */
  get trainingDispatches(): number {
    return 2 + this.outerGrads.length;
  }

  bind(spec: MlpBindingSpec, label = 'mlp'): MlpBinding {
    return new MlpBinding(this.runtime, this, spec, label, {
      forwardTrain: this.forwardTrain,
      forwardInfer: this.forwardInfer,
      backward: this.backward,
      outerGrads: this.outerGrads,
    });
  }
}

interface Kernels {
  forwardTrain: CompiledKernel;
  forwardInfer: CompiledKernel;
  backward: CompiledKernel | undefined;
  outerGrads: CompiledKernel<OuterGradProblem>[];
}

/** An MLP bound to buffers: encodes its dispatches into a compute pass. Owns its uniforms. */
export class MlpBinding {
  private readonly owned: PooledBuffer[] = [];
  private readonly forwardTrainGroup: GPUBindGroup;
  private readonly forwardInferGroup: GPUBindGroup;
  private readonly backwardGroup: GPUBindGroup | undefined;
  private readonly outerGroups: { group: GPUBindGroup; problem: OuterGradProblem }[] = [];

  constructor(
    runtime: GpuRuntime,
    private readonly mlp: FusedMlp,
    readonly spec: MlpBindingSpec,
    label: string,
    private readonly kernels: Kernels,
  ) {
    const device = runtime.device;
    const { batch } = spec;
    const cacheOffset = spec.cacheOffset ?? 0;
    const uniforms = this.uniform(
      runtime,
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
      `${label} uniforms`,
    );
    this.forwardTrainGroup = kernels.forwardTrain.bind(
      device,
      [uniforms, spec.params, spec.input, spec.output, spec.cache],
      `${label} forward`,
    );
    this.forwardInferGroup = kernels.forwardInfer.bind(
      device,
      [uniforms, spec.params, spec.input, spec.output, spec.cache],
      `${label} forward (inference)`,
    );
    if (kernels.backward && spec.gradOutput && spec.grads) {
      const gradInput =
        spec.gradInput ??
        this.own(runtime.pool.acquire(16, GPUBufferUsage.STORAGE, `${label} unused dL/dx`)).binding;
      this.backwardGroup = kernels.backward.bind(
        device,
        [uniforms, spec.params, spec.gradOutput, gradInput, spec.cache],
        `${label} backward`,
      );
      const { hidden, hiddenLayers } = mlp.shape;
      const deltaBase = cacheOffset + hiddenLayers * batch * hidden;
      const chunkSize = mlp.tuning.chunkSize;
      linearLayers(mlp.shape).forEach((layer, l) => {
        const last = l === hiddenLayers;
        const activations = deltaBase + hiddenLayers * batch * hidden + batch * mlp.shape.outputs;
        const aOffset = l === 0 ? (spec.inputOffset ?? 0) : activations + (l - 1) * batch * hidden;
        const deltaOffset = deltaBase + (last ? hiddenLayers * batch * hidden : l * batch * hidden);
        const outerUniforms = this.uniform(
          runtime,
          [
            batch,
            chunkSize,
            aOffset,
            deltaOffset,
            spec.paramOffset + layer.weightOffset,
            spec.gradStride ?? mlp.parameterCount,
            0,
            0,
          ],
          `${label} layer ${l} gradient uniforms`,
        );
        this.outerGroups.push({
          group: kernels.outerGrads[l]!.bind(
            device,
            [outerUniforms, spec.input, spec.cache, spec.grads!],
            `${label} layer ${l} gradient`,
          ),
          problem: {
            blocks: outerGradBlocks(layer.inputs, layer.outputs),
            chunks: Math.ceil(batch / chunkSize),
          },
        });
      });
    }
  }

  /** Forward; `training` stores what backward needs. */
  encodeForward(pass: GPUComputePassEncoder, training: boolean): void {
    const kernel = training ? this.kernels.forwardTrain : this.kernels.forwardInfer;
    kernel.encode(
      pass,
      training ? this.forwardTrainGroup : this.forwardInferGroup,
      this.spec.batch,
    );
  }

  /** Backward through the MLP, then the weight gradients of every layer. */
  encodeBackward(pass: GPUComputePassEncoder): void {
    if (!this.backwardGroup || !this.kernels.backward) {
      throw new Error('This MLP binding has no backward: bind it with gradOutput and grads.');
    }
    this.kernels.backward.encode(pass, this.backwardGroup, this.spec.batch);
    this.outerGroups.forEach(({ group, problem }, l) => {
      this.kernels.outerGrads[l]!.encode(pass, group, problem);
    });
  }

  get chunks(): number {
    return this.mlp.chunks(this.spec.batch);
  }

  dispose(): void {
    for (const buffer of this.owned) buffer.dispose();
    this.owned.length = 0;
  }

  private own(buffer: PooledBuffer): PooledBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private uniform(runtime: GpuRuntime, words: number[], label: string): GPUBufferBinding {
    return this.own(runtime.pool.upload(new Uint32Array(words), GPUBufferUsage.UNIFORM, label))
      .binding;
  }
}
