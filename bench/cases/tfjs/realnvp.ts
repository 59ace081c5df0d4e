/**
 * TF.js peer of the RealNVP workload (#5): 8 affine couplings on 2-D data, conditioner MLP
 * 1 → 64 → 64 → 2 (tanh), alternating partitions, standard-normal base, NLL, Adam. `train`
 * times optimizer steps; `sample` times the inverse pass (z ~ N(0, I) → x).
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { RealNvpConfig } from '../workloads';
import {
  applyDense,
  dense,
  eightGaussians,
  adamSession,
  tf,
  useBackend,
  variablesOf,
  type Dense,
  type TfImpl,
} from './common';

const EVAL_BATCH = 2048;
const LOG_2PI = Math.log(2 * Math.PI);

type Conditioner = readonly Dense[];

/** (s, t) = NN(x_a): tanh hidden layers, linear output split into log-scale and shift. */
function conditioner(net: Conditioner, xa: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  let h = xa;
  net.forEach((layer, i) => {
    h = applyDense(layer, h, i < net.length - 1 ? 'tanh' : 'linear');
  });
  return tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
}

/** Mean negative log-likelihood of x (data → latent direction). */
function nll(nets: readonly Conditioner[], x: tf.Tensor2D): tf.Scalar {
  let [c0, c1] = tf.split(x, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  let logDet: tf.Tensor2D | undefined;
  nets.forEach((net, k) => {
    // Coupling k conditions on coordinate k mod 2 and transforms the other one.
    const [s, t] = conditioner(net, k % 2 === 0 ? c0 : c1);
    const y = tf.add<tf.Tensor2D>(tf.mul(k % 2 === 0 ? c1 : c0, tf.exp(s)), t);
    if (k % 2 === 0) c1 = y;
    else c0 = y;
    logDet = logDet ? tf.add<tf.Tensor2D>(logDet, s) : s;
  });
  const energy = tf.mul(tf.add(tf.square(c0), tf.square(c1)), 0.5);
  return tf.add(tf.mean(tf.sub(energy, logDet!)), LOG_2PI);
}

/** Latent → data: the couplings inverted in reverse order. */
function inverse(nets: readonly Conditioner[], z: tf.Tensor2D): tf.Tensor2D {
  let [c0, c1] = tf.split(z, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  for (let k = nets.length - 1; k >= 0; k--) {
    const [s, t] = conditioner(nets[k]!, k % 2 === 0 ? c0 : c1);
    const x = tf.mul<tf.Tensor2D>(tf.sub(k % 2 === 0 ? c1 : c0, t), tf.exp(tf.neg(s)));
    if (k % 2 === 0) c1 = x;
    else c0 = x;
  }
  return tf.concat<tf.Tensor2D>([c0, c1], 1);
}

export function tfjsRealNvp(impl: TfImpl): Implementation<RealNvpConfig> {
  return {
    impl,
    async setup(workload: Workload<RealNvpConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const widths = [1, ...c.conditionerHidden, 2];
      const nets: Conditioner[] = Array.from({ length: c.couplings }, (_, k) =>
        widths
          .slice(1)
          .map((out, i) =>
            dense(widths[i]!, out, i < widths.length - 2 ? 'glorot' : 'zero', 100 * k + i),
          ),
      );
      const variables = nets.flatMap(variablesOf);
      const dispose = (extra: tf.TensorContainer) => tf.dispose([variables, extra]);

      if (workload.kind === 'sample') {
        let call = 0;
        return {
          info,
          async run(steps) {
            let samples: tf.Tensor2D | undefined;
            for (let i = 0; i < steps; i++) {
              samples?.dispose();
              samples = tf.tidy(() => {
                const z = tf.randomNormal([c.batch, 2], 0, 1, 'float32', 5000 + call++);
                return inverse(nets, z as tf.Tensor2D);
              });
            }
            const values = await samples!.data();
            samples!.dispose();
            if (!values.every(Number.isFinite)) throw new Error('non-finite samples');
          },
          dispose: () => dispose([]),
        };
      }

      const evalX = eightGaussians(EVAL_BATCH, 7);
      return adamSession({
        adam: c,
        variables,
        info,
        draw: (seed) => eightGaussians(c.batch, seed),
        loss: (x) => nll(nets, x),
        evalBatch: evalX,
        release: () => dispose(evalX),
      });
    },
  };
}
