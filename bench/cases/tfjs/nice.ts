/**
 * TF.js peer of the NICE workload (#16, bench/cases/flowfield-nice.ts): the same network on the
 * same images. Additive couplings on the flattened pixels, coupling l reading the pixels of
 * parity l mod 2 and adding its conditioner's output to the others; conditioners D/2 → hidden ×
 * hiddenLayers (ReLU) → D/2 with a zero last layer; the diagonal scaling z = h · exp(s) with
 * s = 0 at the start; the logistic prior; loss = mean NLL in bits/dim on 8-bit pixels (uniform
 * dequantization, y = (v + u) / 256, whose log-det −D ln 256 enters the loss); Adam.
 *
 * The even/odd split is a reshape to [batch, D/2, 2] and a split on the last axis (what a TF.js
 * user writes; a gather would be slower). Batches are drawn with TF.js random ops from the same
 * 1024 images Flowfield trains on, uploaded once.
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { NiceConfig } from '../flowfield-nice';
import { strokeImages } from '../flowfield-nice';
import { adamSession, applyDense, dense, tf, useBackend, variablesOf, type TfImpl } from './common';

const EVAL_IMAGES = 64;

type Conditioner = ReturnType<typeof dense>[];

/** The conditioner m(x_a): ReLU hidden layers, a linear output. */
function conditioner(net: Conditioner, xa: tf.Tensor2D): tf.Tensor2D {
  let h = xa;
  net.forEach((layer, i) => {
    h = applyDense(layer, h, i < net.length - 1 ? 'relu' : 'linear');
  });
  return h;
}

/** log p(z) of the logistic prior, summed over the pixels: −Σ (softplus(z) + softplus(−z)). */
function logisticLogProb(z: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum<tf.Tensor1D>(tf.add(tf.softplus(z), tf.softplus(tf.neg(z))), 1));
}

export function tfjsNice(impl: TfImpl): Implementation<NiceConfig> {
  return {
    impl,
    async setup(workload: Workload<NiceConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const dims = c.side * c.side;
      const half = dims / 2;
      const widths = [half, ...Array.from({ length: c.hiddenLayers }, () => c.hidden), half];
      const nets: Conditioner[] = Array.from({ length: c.layers }, (_, l) =>
        widths
          .slice(1)
          .map((out, i) =>
            dense(widths[i]!, out, i < widths.length - 2 ? 'he' : 'zero', 100 * l + i),
          ),
      );
      const scale = tf.variable(tf.zeros([dims]));
      const variables = [...nets.flatMap(variablesOf), scale];

      /** Mean NLL in bits/dim of dequantized images y ∈ [0, 1)^D ([batch, D]). */
      const bitsPerDim = (y: tf.Tensor2D): tf.Scalar => {
        const batch = y.shape[0];
        let [even, odd] = tf
          .split(tf.reshape(y, [batch, half, 2]), 2, 2)
          .map((t) => tf.reshape(t, [batch, half])) as [tf.Tensor2D, tf.Tensor2D];
        nets.forEach((net, l) => {
          if (l % 2 === 0) odd = tf.add(odd, conditioner(net, even));
          else even = tf.add(even, conditioner(net, odd));
        });
        const h = tf.reshape(tf.stack([even, odd], 2), [batch, dims]) as tf.Tensor2D;
        const z = tf.mul(h, tf.exp(scale)) as tf.Tensor2D;
        const logProb = tf.add(logisticLogProb(z), tf.sum(scale) as tf.Scalar);
        const nats = tf.add(tf.mean(logProb), -dims * Math.log(256));
        return tf.div(tf.neg(nats), dims * Math.LN2) as tf.Scalar;
      };

      const images = strokeImages(c.images, c.side);
      const pixels = tf.tensor2d(Float32Array.from(images.pixels), [c.images, dims]);
      const dequantize = (v: tf.Tensor2D, seed: number): tf.Tensor2D =>
        tf.div(tf.add(v, tf.randomUniform(v.shape, 0, 1, 'float32', seed)), 256);
      const heldOut = strokeImages(EVAL_IMAGES + 1, c.side);
      const evalBatch = tf.tidy(() =>
        dequantize(
          tf.tensor2d(Float32Array.from(heldOut.pixels.subarray(dims)), [EVAL_IMAGES, dims]),
          7,
        ),
      );
      return adamSession({
        adam: c,
        variables,
        info: { ...info, parameters: variables.reduce((n, v) => n + v.size, 0) },
        draw: (seed) => {
          const rows = tf.randomUniformInt([c.batch], 0, c.images, seed);
          return dequantize(tf.gather(pixels, rows) as tf.Tensor2D, seed + 0.5);
        },
        loss: bitsPerDim,
        evalBatch,
        release: () => tf.dispose([variables, pixels, evalBatch]),
      });
    },
  };
}
