/** TF.js peer of the engine's MLP workload (#3 item 8): 2 → H → H → H → 2 relu regression, Adam. */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { MlpConfig } from '../workloads';
import {
  applyDense,
  dense,
  adamSession,
  tf,
  useBackend,
  variablesOf,
  type Dense,
  type TfImpl,
} from './common';

const EVAL_BATCH = 2048;

/** Targets of the `sincos-saddle` regression: y0 = sin(π x0)·cos(π x1), y1 = x0² − x1². */
function target(x: tf.Tensor2D): tf.Tensor2D {
  const [x0, x1] = tf.split(x, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const y0 = tf.mul<tf.Tensor2D>(tf.sin(tf.mul(x0, Math.PI)), tf.cos(tf.mul(x1, Math.PI)));
  const y1 = tf.sub<tf.Tensor2D>(tf.square(x0), tf.square(x1));
  return tf.concat<tf.Tensor2D>([y0, y1], 1);
}

function forward(layers: readonly Dense[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    h = applyDense(layer, h, i < layers.length - 1 ? 'relu' : 'linear');
  });
  return h;
}

function mse(layers: readonly Dense[], x: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(forward(layers, x), target(x)));
}

export function tfjsMlp(impl: TfImpl): Implementation<MlpConfig> {
  return {
    impl,
    async setup(workload: Workload<MlpConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const widths = [c.inputs, ...Array<number>(c.hiddenLayers).fill(c.hidden), c.outputs];
      const layers = widths
        .slice(1)
        .map((out, i) => dense(widths[i]!, out, i < c.hiddenLayers ? 'he' : 'glorot', 17 + i));
      const evalX = tf.randomUniform([EVAL_BATCH, 2], -1, 1, 'float32', 7) as tf.Tensor2D;
      const variables = variablesOf(layers);
      return adamSession({
        adam: c,
        variables,
        info,
        draw: (seed) => tf.randomUniform([c.batch, 2], -1, 1, 'float32', seed) as tf.Tensor2D,
        loss: (x) => mse(layers, x),
        evalBatch: evalX,
        release: () => tf.dispose([evalX, ...variables]),
      });
    },
  };
}
