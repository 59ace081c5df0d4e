/**
 * TF.js peer of the DDPM MLP workload (#6): [x_t, sinusoidal embedding(t) (32)] → 128 → 128 →
 * 128 (relu) → 2, ε-prediction MSE, linear β schedule with T = 1000, Adam.
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { DdpmConfig } from '../workloads';
import {
  applyDense,
  dense,
  eightGaussians,
  adamSession,
  sinusoidFrequencies,
  tf,
  useBackend,
  variablesOf,
  type Dense,
  type TfImpl,
} from './common';

const EVAL_BATCH = 2048;

/** √ᾱ_t and √(1 − ᾱ_t) for t = 0..T−1 with β linear from betaStart to betaEnd. */
function schedule(c: DdpmConfig): { sqrtAlphaBar: Float32Array; sqrtOneMinus: Float32Array } {
  const sqrtAlphaBar = new Float32Array(c.timesteps);
  const sqrtOneMinus = new Float32Array(c.timesteps);
  let alphaBar = 1;
  for (let t = 0; t < c.timesteps; t++) {
    const beta = c.betaStart + ((c.betaEnd - c.betaStart) * t) / (c.timesteps - 1);
    alphaBar *= 1 - beta;
    sqrtAlphaBar[t] = Math.sqrt(alphaBar);
    sqrtOneMinus[t] = Math.sqrt(1 - alphaBar);
  }
  return { sqrtAlphaBar, sqrtOneMinus };
}

interface Model {
  readonly layers: readonly Dense[];
  readonly sqrtAlphaBar: tf.Tensor1D;
  readonly sqrtOneMinus: tf.Tensor1D;
  /** exp(−ln(10000)·i/16), i = 0..15, as a [1, 16] row. */
  readonly frequencies: tf.Tensor2D;
}

/** A batch for the loss: x0 from the data, t and ε drawn with the given seed. */
interface Batch {
  readonly x0: tf.Tensor2D;
  readonly t: tf.Tensor1D;
  readonly eps: tf.Tensor2D;
}

function drawBatch(c: DdpmConfig, size: number, seed: number): Batch {
  return {
    x0: eightGaussians(size, seed),
    t: tf.randomUniformInt([size], 0, c.timesteps, seed + 0.25) as tf.Tensor1D,
    eps: tf.randomNormal([size, 2], 0, 1, 'float32', seed + 0.75) as tf.Tensor2D,
  };
}

function loss(model: Model, batch: Batch): tf.Scalar {
  const a = tf.expandDims(tf.gather(model.sqrtAlphaBar, batch.t), 1);
  const b = tf.expandDims(tf.gather(model.sqrtOneMinus, batch.t), 1);
  const xt = tf.add<tf.Tensor2D>(tf.mul(a, batch.x0), tf.mul(b, batch.eps));
  const angles = tf.matMul<tf.Tensor2D>(
    tf.expandDims(tf.cast(batch.t, 'float32'), 1),
    model.frequencies,
  );
  let h: tf.Tensor2D = tf.concat<tf.Tensor2D>([xt, tf.sin(angles), tf.cos(angles)], 1);
  model.layers.forEach((layer, i) => {
    h = applyDense(layer, h, i < model.layers.length - 1 ? 'relu' : 'linear');
  });
  return tf.mean(tf.squaredDifference(h, batch.eps));
}

export function tfjsDdpm(impl: TfImpl): Implementation<DdpmConfig> {
  return {
    impl,
    async setup(workload: Workload<DdpmConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const widths = [c.dim + c.timeEmbedding, ...c.hidden, c.dim];
      const layers = widths
        .slice(1)
        .map((out, i) => dense(widths[i]!, out, i < c.hidden.length ? 'he' : 'glorot', 31 + i));
      const half = c.timeEmbedding / 2;
      const { sqrtAlphaBar, sqrtOneMinus } = schedule(c);
      const model: Model = {
        layers,
        sqrtAlphaBar: tf.tensor1d(sqrtAlphaBar),
        sqrtOneMinus: tf.tensor1d(sqrtOneMinus),
        frequencies: sinusoidFrequencies(half),
      };
      const variables = variablesOf(layers);
      const evalBatch = drawBatch(c, EVAL_BATCH, 7);
      return adamSession({
        adam: c,
        variables,
        info,
        draw: (seed) => drawBatch(c, c.batch, seed),
        loss: (batch) => loss(model, batch),
        evalBatch,
        release() {
          tf.dispose([variables, evalBatch.x0, evalBatch.t, evalBatch.eps]);
          tf.dispose([model.sqrtAlphaBar, model.sqrtOneMinus, model.frequencies]);
        },
      });
    },
  };
}
