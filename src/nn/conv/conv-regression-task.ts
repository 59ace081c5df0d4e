/**
 * A small conv net regressing the 3 × 3 box blur of random images, on GPU-made batches: the conv
 * engine's learning test and benchmark workload (#15). Network (NCHW):
 *   1 × H × W → conv 3×3 (1 → C, act) → conv 3×3 (C → C, act) → … → conv 1×1 (C → 1) → MSE.
 * Batches: shaders/nn/image-regression-batch.wgsl (twin below).
 */
import batchSource from '../../../shaders/nn/image-regression-batch.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey, uniform4 } from '../../rng/philox';
import type { Activation } from '../activations';
import { ParameterLayout } from '../parameters';
import { mseKernel } from '../losses';
import { TRAIN_STATE_LIBRARY } from '../train-state';
import type { TrainingTask } from '../trainer';
import { addConv2dParameters, Conv2d, type Conv2dBinding, type Conv2dShape } from './conv2d';
import { bindMse, IMAGE_STREAM, TaskBuffers } from './image-task-parts';

const imageBatchKernel = (entryPoint: 'inputs_main' | 'targets_main', perInvocation: number) =>
  defineKernel<number>({
    name: `nn/image-regression-batch-${entryPoint}`,
    file: 'nn/image-regression-batch.wgsl',
    source: batchSource,
    libraries: [PHILOX_LIBRARY, TRAIN_STATE_LIBRARY],
    entryPoint,
    bindings: ['uniform', 'storage', 'storage', 'storage'],
    workgroupSize: 64,
    dispatch: (values, wg) => workgroupsFor(Math.ceil(values / perInvocation), wg),
  });

/** CPU twin of the batch kernels: inputs and box-blurred targets of `step` (NCHW, flat). */
export function imageRegressionBatchTwin(
  seed: number,
  step: number,
  batch: number,
  channels: number,
  height: number,
  width: number,
): { inputs: Float64Array; targets: Float64Array } {
  const key = seedKey(seed);
  const total = batch * channels * height * width;
  const inputs = new Float64Array(total);
  for (let q = 0; q * 4 < total; q++) {
    const r = uniform4([q, step, IMAGE_STREAM, 0], key);
    for (let j = 0; j < 4 && q * 4 + j < total; j++) inputs[q * 4 + j] = r[j]!;
  }
  const targets = new Float64Array(total);
  for (let plane = 0; plane < batch * channels; plane++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < height && xx >= 0 && xx < width)
              sum += inputs[(plane * height + yy) * width + xx]!;
          }
        targets[(plane * height + y) * width + x] = sum / 9;
      }
    }
  }
  return { inputs, targets };
}

export interface ConvRegressionSpec {
  /** Channels of the hidden 3 × 3 convolutions. */
  channels: number;
  /** Number of 3 × 3 convolutions (the first maps 1 → channels). */
  convLayers: number;
  height: number;
  width: number;
  activation: Activation;
  batch: number;
  seed: number;
}

/** The layer shapes of the network, first to last (the last is the 1 × 1 head). */
export function convRegressionShapes(spec: ConvRegressionSpec): Conv2dShape[] {
  const shapes: Conv2dShape[] = [];
  for (let l = 0; l < spec.convLayers; l++) {
    shapes.push({
      inputChannels: l === 0 ? 1 : spec.channels,
      outputChannels: spec.channels,
      height: spec.height,
      width: spec.width,
      kernel: 3,
      stride: 1,
      activation: spec.activation,
    });
  }
  shapes.push({
    inputChannels: spec.channels,
    outputChannels: 1,
    height: spec.height,
    width: spec.width,
    kernel: 1,
    stride: 1,
    activation: 'identity',
  });
  return shapes;
}

export class ConvRegressionTask implements TrainingTask {
  readonly label = 'conv-regression';
  readonly layout: ParameterLayout;
  readonly parameterCount: number;
  readonly gradientChunks = 1;
  readonly lossTermCount: number;
  readonly dispatchesPerStep: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly lossTerms: GPUBuffer;
  private readonly buffers: TaskBuffers;
  private readonly bindings: Conv2dBinding[] = [];
  private readonly groups: { inputs: GPUBindGroup; targets: GPUBindGroup; loss: GPUBindGroup };

  private constructor(
    runtime: GpuRuntime,
    readonly spec: ConvRegressionSpec,
    readonly layers: readonly Conv2d[],
    state: GPUBuffer,
    private readonly kernels: {
      inputs: CompiledKernel;
      targets: CompiledKernel;
      mse: CompiledKernel;
    },
  ) {
    const { batch, seed } = spec;
    const buffers = new TaskBuffers(runtime.pool, 'conv-regression');
    this.buffers = buffers;
    const floats = (n: number, name: string) => buffers.floats(n, name);
    this.layout = new ParameterLayout();
    const offsets = layers.map((layer, l) =>
      addConv2dParameters(this.layout, `conv${l}`, layer.shape),
    );
    this.parameterCount = this.layout.total;
    this.lossTermCount = batch;
    const params = buffers.upload(this.layout.initialize(seed), 'params');
    const grads = floats(this.parameterCount, 'grads');
    const pixels = batch * spec.height * spec.width;
    const inputs = floats(pixels, 'inputs');
    const targets = floats(pixels, 'targets');
    // acts[l]: input of layer l (acts[0] = the images, acts[L] = the prediction); grads alike.
    const acts = [
      inputs,
      ...layers.map((layer, l) => floats(layer.outputFloats(batch), `act ${l + 1}`)),
    ];
    const actGrads = [
      undefined,
      ...layers.map((layer, l) => floats(layer.outputFloats(batch), `dL/dact ${l + 1}`)),
    ];
    const terms = floats(batch, 'loss terms');
    layers.forEach((layer, l) => {
      const cache = floats(layer.cacheFloats(batch), `cache ${l}`);
      const gradInput = actGrads[l];
      this.bindings.push(
        layer.bind(
          {
            batch,
            params: params.binding,
            paramOffset: offsets[l]!,
            input: acts[l]!.binding,
            output: acts[l + 1]!.binding,
            cache: cache.binding,
            gradOutput: actGrads[l + 1]!.binding,
            ...(gradInput ? { gradInput: gradInput.binding } : {}),
            grads: grads.binding,
          },
          `conv-regression conv ${l}`,
        ),
      );
    });
    const [seedLo, seedHi] = seedKey(seed);
    const batchUniforms = buffers.uniforms([batch, seedLo, seedHi, 0], 'batch uniforms');
    const device = runtime.device;
    const batchBindings = [batchUniforms.binding, state, inputs.binding, targets.binding];
    this.groups = {
      inputs: kernels.inputs.bind(device, batchBindings, 'conv-regression inputs'),
      targets: kernels.targets.bind(device, batchBindings, 'conv-regression targets'),
      loss: bindMse(runtime, kernels.mse, buffers, {
        batch,
        perSample: spec.height * spec.width,
        prediction: acts[layers.length]!.binding,
        target: targets.binding,
        gradPrediction: actGrads[layers.length]!.binding,
        terms: terms.binding,
      }),
    };
    this.params = params.buffer;
    this.grads = grads.buffer;
    this.lossTerms = terms.buffer;
    // Batch (2), forward (1 per layer), loss (1), backward (the first layer without dL/dx).
    this.dispatchesPerStep =
      2 +
      layers.length +
      1 +
      layers.reduce((sum, layer, l) => sum + layer.backwardDispatches(l > 0), 0);
  }

  static async create(
    runtime: GpuRuntime,
    spec: ConvRegressionSpec,
    state: GPUBuffer,
  ): Promise<ConvRegressionTask> {
    const constants = { C: 1, H: spec.height, W: spec.width };
    const [layers, inputs, targets, mse] = await Promise.all([
      Promise.all(convRegressionShapes(spec).map((shape) => Conv2d.create(runtime, shape))),
      runtime.pipelines.get(imageBatchKernel('inputs_main', 4), constants),
      runtime.pipelines.get(imageBatchKernel('targets_main', 1), constants),
      runtime.pipelines.get(mseKernel),
    ]);
    return new ConvRegressionTask(runtime, spec, layers, state, { inputs, targets, mse });
  }

  encodeStep(pass: GPUComputePassEncoder): void {
    const pixels = this.spec.batch * this.spec.height * this.spec.width;
    this.kernels.inputs.encode(pass, this.groups.inputs, pixels);
    this.kernels.targets.encode(pass, this.groups.targets, pixels);
    for (const binding of this.bindings) binding.encodeForward(pass);
    this.kernels.mse.encode(pass, this.groups.loss, this.spec.batch);
    for (let l = this.bindings.length - 1; l >= 0; l--) this.bindings[l]!.encodeBackward(pass);
  }

  dispose(): void {
    for (const binding of this.bindings) binding.dispose();
    this.bindings.length = 0;
    this.buffers.dispose();
  }
}
