/**
 * The denoiser network of a diffusion model, in one of two architectures over the same input
 * (x, emb(t)) and output (2 values):
 *   'mlp'     the fused MLP: IN → H (act) → … → H (act) → 2, one dispatch forward
 *   'resmlp'  IN → H (linear), then K residual blocks h ← h + W₂·act(W₁h + b₁) + b₂
 *             (the engine's residual fused MLP block), then H → 2 (linear)
 * Both lay their weights out as the linear layers of an MlpShape (`shape`): the residual net of
 * K blocks is the chain of 2K + 2 linear layers of an MLP with 2K + 1 hidden layers, with the
 * activation only on the first layer of each block and a skip around each block. The float64
 * twin (mlpDenoiser in reference/plan-runner.ts) and the JVP kernel (mlp-jvp.wgsl, RESIDUAL) read that
 * layout directly.
 */
import { type GpuRuntime, type PooledBuffer, STORAGE_USAGE } from '../../gpu';
import { FusedMlp, type MlpBinding } from '../../nn/fused-mlp';
import { DenseLayer, addDenseParameters } from '../../nn/layers';
import { addMlpParameters, linearLayers, type MlpShape } from '../../nn/mlp-shape';
import type { ParameterLayout } from '../../nn/parameters';

type Binding = GPUBuffer | GPUBufferBinding;
const STORAGE = STORAGE_USAGE;

export const ARCHITECTURES = ['mlp', 'resmlp'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** What a model says about its network. */
export interface DenoiserArchitecture {
  architecture: Architecture;
  inputs: number;
  hidden: number;
  /** Hidden layers ('mlp') or residual blocks ('resmlp'). */
  depth: number;
  activation: MlpShape['activation'];
}

/** The linear-layer chain of the network (see the file comment), outputs 2. */
export function denoiserShape(a: DenoiserArchitecture): MlpShape {
  return {
    inputs: a.inputs,
    hidden: a.hidden,
    hiddenLayers: a.architecture === 'resmlp' ? 2 * a.depth + 1 : a.depth,
    outputs: 2,
    activation: a.activation,
  };
}

/** Whether linear layer l of the chain applies the activation ('resmlp': block entries only). */
export function layerActivates(residual: boolean, l: number, layers: number): boolean {
  return residual ? l % 2 === 1 && l < layers - 1 : l < layers - 1;
}

/** Whether linear layer l ends a residual block (adds the block's input to its output). */
export function layerEndsBlock(residual: boolean, l: number, layers: number): boolean {
  return residual && l > 0 && l % 2 === 0 && l < layers - 1;
}

/** Adds the network's weights under `prefix`, in the chain's order, initialised per role. */
export function addDenoiserParameters(
  layout: ParameterLayout,
  prefix: string,
  a: DenoiserArchitecture,
): void {
  const shape = denoiserShape(a);
  if (a.architecture === 'mlp') {
    addMlpParameters(layout, prefix, shape);
    return;
  }
  const block: MlpShape = { ...blockShape(a), activation: a.activation };
  addDenseParameters(layout, `${prefix}.in`, {
    inputs: a.inputs,
    outputs: a.hidden,
    activation: 'identity',
  });
  for (let k = 0; k < a.depth; k++) addMlpParameters(layout, `${prefix}.block${k}`, block);
  addDenseParameters(layout, `${prefix}.out`, {
    inputs: a.hidden,
    outputs: 2,
    activation: 'identity',
  });
}

function blockShape(a: DenoiserArchitecture): MlpShape {
  return {
    inputs: a.hidden,
    hidden: a.hidden,
    hiddenLayers: 1,
    outputs: a.hidden,
    activation: a.activation,
  };
}

export interface NetBindingSpec {
  batch: number;
  params: Binding;
  paramOffset: number;
  /** batch × inputs. */
  input: Binding;
  /** batch × 2. */
  output: Binding;
  /** Training: dL/d(output), and the chunked gradient buffer with its stride. */
  gradOutput?: Binding;
  grads?: Binding;
  gradStride?: number;
}

export interface NetBinding {
  encodeForward(pass: GPUComputePassEncoder, training: boolean): void;
  encodeBackward(pass: GPUComputePassEncoder): void;
  dispose(): void;
}

/** The compiled network: binds to buffers for sampling or training. */
export interface DenoiserNet {
  readonly architecture: Architecture;
  /** The linear-layer chain (what the twin and the JVP kernel read). */
  readonly shape: MlpShape;
  /** Chunks the weight-gradient reduction splits a batch into. */
  chunks(batch: number): number;
  /** Dispatches of one training forward + backward. */
  readonly trainingDispatches: number;
  /** Dispatches of one forward. */
  readonly forwardDispatches: number;
  bind(spec: NetBindingSpec, label: string): NetBinding;
}

export async function createDenoiserNet(
  runtime: GpuRuntime,
  a: DenoiserArchitecture,
  options: { training: boolean },
): Promise<DenoiserNet> {
  if (a.architecture === 'mlp') {
    return mlpNet(runtime, await FusedMlp.create(runtime, denoiserShape(a), options));
  }
  return ResidualNet.create(runtime, a, options.training);
}

/** The plain architecture: the fused MLP as it is. */
export function mlpNet(runtime: GpuRuntime, mlp: FusedMlp): DenoiserNet {
  return {
    architecture: 'mlp',
    shape: mlp.shape,
    chunks: (batch) => mlp.chunks(batch),
    trainingDispatches: mlp.trainingDispatches,
    forwardDispatches: 1,
    bind(spec, label) {
      const training = spec.gradOutput !== undefined;
      // Sampling runs the inference forward, which stores nothing.
      const cacheBytes = training ? mlp.cacheFloats(spec.batch) * 4 : 16;
      const cache = runtime.pool.acquire(cacheBytes, STORAGE, `${label} cache`);
      const binding: MlpBinding = mlp.bind(
        {
          batch: spec.batch,
          params: spec.params,
          paramOffset: spec.paramOffset,
          input: spec.input,
          output: spec.output,
          cache: cache.binding,
          gradOutput: spec.gradOutput,
          grads: spec.grads,
          gradStride: spec.gradStride,
        },
        label,
      );
      return {
        encodeForward: (pass, train) => binding.encodeForward(pass, train),
        encodeBackward: (pass) => binding.encodeBackward(pass),
        dispose() {
          binding.dispose();
          cache.dispose();
        },
      };
    },
  };
}

/** 'resmlp': dense in, K residual fused-MLP blocks, dense out; activations kept per block. */
class ResidualNet implements DenoiserNet {
  readonly architecture = 'resmlp';
  readonly shape: MlpShape;

  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly a: DenoiserArchitecture,
    private readonly input: DenseLayer,
    private readonly block: FusedMlp,
    private readonly output: DenseLayer,
  ) {
    this.shape = denoiserShape(a);
  }

  static async create(runtime: GpuRuntime, a: DenoiserArchitecture, training: boolean) {
    const [input, block, output] = await Promise.all([
      DenseLayer.create(runtime, { inputs: a.inputs, outputs: a.hidden, activation: 'identity' }),
      FusedMlp.create(runtime, blockShape(a), { training, residual: true, gradInput: true }),
      DenseLayer.create(runtime, { inputs: a.hidden, outputs: 2, activation: 'identity' }),
    ]);
    if (input.chunkSize !== block.tuning.chunkSize || output.chunkSize !== block.tuning.chunkSize) {
      throw new Error(
        'resmlp: the dense layers and the blocks must reduce gradients in equal chunks.',
      );
    }
    return new ResidualNet(runtime, a, input, block, output);
  }

  chunks(batch: number): number {
    return this.block.chunks(batch);
  }

  get forwardDispatches(): number {
    return this.a.depth + 2;
  }

  get trainingDispatches(): number {
    return 3 + this.a.depth * this.block.trainingDispatches + 3;
  }

  bind(spec: NetBindingSpec, label: string): NetBinding {
    const { batch } = spec;
    const { hidden, depth, inputs } = this.a;
    const training = spec.gradOutput !== undefined;
    const pool = this.runtime.pool;
    const owned: PooledBuffer[] = [];
    const acquire = (floats: number, name: string) => {
      const buffer = pool.acquire(Math.max(4, floats) * 4, STORAGE, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    // Offsets of the chain's layers: in = layer 0, block k = layers 1 + 2k, 2 + 2k, out = last.
    const layers = linearLayers(this.shape);
    const offset = (l: number) => spec.paramOffset + layers[l]!.weightOffset;
    // h_0 … h_K (the block inputs/outputs) and, training, their gradients g_0 … g_K.
    const h = Array.from({ length: depth + 1 }, (_, k) => acquire(batch * hidden, `h${k}`));
    const g = training
      ? Array.from({ length: depth + 1 }, (_, k) => acquire(batch * hidden, `dL/dh${k}`))
      : [];
    const trainingSpec = (gradOutput: Binding | undefined, gradInput: Binding | undefined) =>
      training ? { gradOutput, gradInput, grads: spec.grads, gradStride: spec.gradStride } : {};
    const inBinding = this.input.bind({
      batch,
      params: spec.params,
      paramOffset: offset(0),
      input: spec.input,
      output: h[0]!,
      cache: acquire(this.input.cacheFloats(batch), 'in cache'),
      ...trainingSpec(g[0], training ? acquire(batch * inputs, 'unused dL/dinput') : undefined),
    });
    const blocks = Array.from({ length: depth }, (_, k) =>
      this.block.bind(
        {
          batch,
          params: spec.params,
          paramOffset: offset(1 + 2 * k),
          input: h[k]!,
          output: h[k + 1]!,
          cache: acquire(training ? this.block.cacheFloats(batch) : 0, `block ${k} cache`),
          ...trainingSpec(g[k + 1], g[k]),
        },
        `${label} block ${k}`,
      ),
    );
    const outBinding = this.output.bind({
      batch,
      params: spec.params,
      paramOffset: offset(layers.length - 1),
      input: h[depth]!,
      output: spec.output,
      cache: acquire(this.output.cacheFloats(batch), 'out cache'),
      ...trainingSpec(spec.gradOutput, g[depth]),
    });
    return {
      encodeForward(pass, train) {
        inBinding.encodeForward(pass);
        blocks.forEach((b) => b.encodeForward(pass, train));
        outBinding.encodeForward(pass);
      },
      encodeBackward(pass) {
        outBinding.encodeBackward(pass);
        for (let k = depth - 1; k >= 0; k--) blocks[k]!.encodeBackward(pass);
        inBinding.encodeBackward(pass);
      },
      dispose() {
        inBinding.dispose();
        blocks.forEach((b) => b.dispose());
        outBinding.dispose();
        owned.forEach((b) => b.dispose());
      },
    };
  }
}
