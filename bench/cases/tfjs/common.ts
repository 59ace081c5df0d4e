/**
 * What the TensorFlow.js peers share: backend selection (WebGPU or WASM), dense layers as plain
 * variables with `tf.fused.matMul` (what tfjs-layers' Dense does), the `8gaussians` sampler and
 * the training loop (`tf.tidy` + `optimizer.minimize`, one readback at the end of a run).
 *
 * The peers are written the way a competent TF.js user would write them, no slower and no
 * cleverer: every op is the library's own kernel, batches are drawn with TF.js random ops.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the `@tensorflow/tfjs` union package does this).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Impl, Session } from '../../harness/types';
import type { AdamSettings } from '../workloads';

export type TfImpl = Extract<Impl, 'tfjs-webgpu' | 'tfjs-wasm'>;

let wasmPathsSet = false;

/** Switches TF.js to the backend of `impl` and returns facts about it for the results. */
export async function useBackend(impl: TfImpl): Promise<Record<string, unknown>> {
  const name = impl === 'tfjs-webgpu' ? 'webgpu' : 'wasm';
  if (name === 'wasm' && !wasmPathsSet) {
    // bench/run.mjs copies the .wasm binaries next to the page.
    setWasmPaths(new URL('wasm/', document.baseURI).href);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`TF.js backend '${name}' failed to initialise (see the browser log above)`);
  }
  await tf.ready();
  const info: Record<string, unknown> = { backend: tf.getBackend(), tfjs: tf.version_core };
  if (name === 'wasm') {
    info.wasmSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.wasmMultithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.wasmThreads = getThreadsCount();
  } else {
    info.webgpuDeferredSubmitBatchSize = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
  }
  return info;
}

/** A dense layer y = act(x W + b), as variables. */
export interface Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}

export type Init = 'he' | 'glorot' | 'zero';

/** He-normal (relu), Glorot-normal (linear/tanh) or zero weights; zero biases; seeded. */
export function dense(fanIn: number, fanOut: number, init: Init, seed: number): Dense {
  const std = init === 'he' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
  const w =
    init === 'zero'
      ? tf.zeros([fanIn, fanOut])
      : tf.randomNormal([fanIn, fanOut], 0, std, 'float32', seed);
  return { w: tf.variable(w), b: tf.variable(tf.zeros([fanOut])) };
}

/** x W + b with a fused activation where TF.js fuses it (relu); tanh is applied after. */
export function applyDense(
  layer: Dense,
  x: tf.Tensor2D,
  activation: 'relu' | 'tanh' | 'linear',
): tf.Tensor2D {
  const y = tf.fused.matMul({
    a: x,
    b: layer.w as tf.Tensor2D,
    bias: layer.b,
    activation: activation === 'relu' ? 'relu' : 'linear',
  }) as tf.Tensor2D;
  return activation === 'tanh' ? tf.tanh(y) : y;
}

export function variablesOf(layers: readonly Dense[]): tf.Variable[] {
  return layers.flatMap((layer) => [layer.w, layer.b]);
}

/**
 * `8gaussians` (FFJORD convention): x = (4·c_k + 0.5·n) / √2, k ~ U{0..7}, c_k the unit vectors
 * at angles k·π/4, n ~ N(0, I).
 */
export function eightGaussians(batch: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const k = tf.randomUniformInt([batch], 0, 8, seed);
    const angle = tf.mul(tf.cast(k, 'float32'), Math.PI / 4);
    const centres = tf.stack([tf.cos(angle), tf.sin(angle)], 1) as tf.Tensor2D;
    const noise = tf.randomNormal([batch, 2], 0, 1, 'float32', seed + 0.5);
    return tf.div(tf.add(tf.mul(centres, 4), tf.mul(noise, 0.5)), Math.SQRT2);
  });
}

/**
 * One training run: `steps` × (tf.tidy → draw a batch → optimizer.minimize), then a single
 * `data()` readback of the last loss, which is also the sync (TF.js-WebGPU has no other way to
 * wait for its queue). Returns that loss.
 */
export async function trainSteps(steps: number, step: () => tf.Scalar): Promise<number> {
  let cost: tf.Scalar | undefined;
  for (let i = 0; i < steps; i++) {
    cost?.dispose();
    cost = step();
  }
  if (!cost) throw new Error('trainSteps: steps must be ≥ 1');
  const [value] = await cost.data();
  cost.dispose();
  return value ?? Number.NaN;
}

/**
 * The Session of a TF.js training case: Adam over `variables`; each step draws a fresh batch
 * (`draw(1000 + step)`, inside the step's `tf.tidy`) and minimises `loss` on it; evalLoss is
 * `loss` on the fixed `evalBatch`. `release` frees what the case made besides the optimizer
 * (variables, the evaluation batch, constant tensors).
 */
export function adamSession<Batch>(options: {
  adam: AdamSettings;
  variables: tf.Variable[];
  info: Record<string, unknown>;
  draw: (seed: number) => Batch;
  loss: (batch: Batch) => tf.Scalar;
  evalBatch: Batch;
  release: () => void;
}): Session {
  const { adam, variables, draw, loss, evalBatch } = options;
  const optimizer = tf.train.adam(adam.learningRate, adam.beta1, adam.beta2, adam.epsilon);
  let step = 0;
  return {
    info: options.info,
    run: (steps) =>
      trainSteps(steps, () =>
        tf.tidy(() => {
          const batch = draw(1000 + step++);
          return optimizer.minimize(() => loss(batch), true, variables)!;
        }),
      ),
    evalLoss: () => readScalar(tf.tidy(() => loss(evalBatch))),
    dispose() {
      optimizer.dispose();
      options.release();
    },
  };
}

/** The sinusoidal time embedding's frequencies exp(−ln(10⁴)·i/half), as a [1, half] row. */
export function sinusoidFrequencies(half: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half)),
    [1, half],
  );
}

/** A scalar's value, read back (outside timed regions only). */
export async function readScalar(scalar: tf.Scalar): Promise<number> {
  const [value] = await scalar.data();
  scalar.dispose();
  return value ?? Number.NaN;
}

export { tf };
