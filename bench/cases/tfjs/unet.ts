/**
 * TF.js peer of the small U-Net denoiser workload (#15; the network is spelled out in
 * workloads.ts UNetConfig), NHWC. Convolutions as in the conv peer: `tf.fused.conv2d` with the
 * bias on WebGPU, im2col + `tf.fused.matMul` on WASM (TF.js-WASM 4.22 has no
 * `Conv2DBackpropFilter`). GroupNorm is what a TF.js user writes (TF.js has no GroupNorm op):
 * reshape to [N, H, W, G, C/G], `tf.moments` over (H, W, C/G), normalise, γ and β. SiLU is
 * z·sigmoid(z); down is `tf.avgPool` 2 × 2, up is `tf.image.resizeNearestNeighbor` (both have
 * gradients on both backends). Dense layers: `tf.fused.matMul` (common.ts).
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { UNetConfig } from '../workloads';
import {
  applyDense,
  dense,
  adamSession,
  sinusoidFrequencies,
  tf,
  useBackend,
  variablesOf,
  type Dense,
  type TfImpl,
} from './common';
import { convLayer, im2colConv, type ConvLayer } from './conv';

const EVAL_IMAGES = 16;

interface Norm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}

interface Block {
  readonly norm1: Norm;
  readonly conv1: ConvLayer;
  readonly time: Dense;
  readonly norm2: Norm;
  readonly conv2: ConvLayer;
  readonly skip?: ConvLayer;
}

interface Model {
  readonly groups: number;
  readonly timeIn: Dense;
  readonly convIn: ConvLayer;
  readonly blocks: readonly [Block, Block, Block];
  readonly up: ConvLayer;
  readonly normOut: Norm;
  readonly convOut: ConvLayer;
  readonly sqrtAlphaBar: tf.Tensor1D;
  readonly sqrtOneMinus: tf.Tensor1D;
  /** exp(−ln(10000)·i/half), as a [1, half] row. */
  readonly frequencies: tf.Tensor2D;
}

function norm(channels: number): Norm {
  return { gamma: tf.variable(tf.ones([channels])), beta: tf.variable(tf.zeros([channels])) };
}

function block(cin: number, cout: number, hidden: number, seed: number): Block {
  return {
    norm1: norm(cin),
    conv1: convLayer(3, cin, cout, 'he', seed),
    time: dense(hidden, cout, 'glorot', seed + 1),
    norm2: norm(cout),
    conv2: convLayer(3, cout, cout, 'he', seed + 2),
    ...(cin === cout ? {} : { skip: convLayer(1, cin, cout, 'glorot', seed + 3) }),
  };
}

function conv(x: tf.Tensor4D, layer: ConvLayer): tf.Tensor4D {
  if (tf.getBackend() === 'wasm') return im2colConv(x, layer);
  return tf.fused.conv2d({
    x,
    filter: layer.filter as tf.Tensor4D,
    strides: 1,
    pad: 'same',
    bias: layer.bias,
  });
}

const silu = <T extends tf.Tensor>(z: T): T => tf.mul(z, tf.sigmoid(z));

function groupNorm(x: tf.Tensor4D, n: Norm, groups: number): tf.Tensor4D {
  const [batch, h, w, c] = x.shape;
  const grouped = tf.reshape(x, [batch, h, w, groups, c / groups]);
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  const normalised = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(tf.reshape(normalised, [batch, h, w, c]), n.gamma), n.beta);
}

function residual(x: tf.Tensor4D, b: Block, temb: tf.Tensor2D, groups: number): tf.Tensor4D {
  const e = applyDense(b.time, temb, 'linear');
  const batch = x.shape[0];
  let h = conv(silu(groupNorm(x, b.norm1, groups)), b.conv1);
  h = tf.add(h, tf.reshape(e, [batch, 1, 1, e.shape[1]]));
  h = conv(silu(groupNorm(h, b.norm2, groups)), b.conv2);
  return tf.add(b.skip ? conv(x, b.skip) : x, h);
}

function denoise(model: Model, x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D {
  const angles = tf.matMul<tf.Tensor2D>(tf.expandDims(tf.cast(t, 'float32'), 1), model.frequencies);
  const features = tf.concat<tf.Tensor2D>([tf.sin(angles), tf.cos(angles)], 1);
  const temb = silu(applyDense(model.timeIn, features, 'linear'));
  const [b1, b2, b3] = model.blocks;
  const g = model.groups;
  const [, h, w] = x.shape;
  const h1 = residual(conv(x, model.convIn), b1, temb, g);
  const h2 = residual(tf.avgPool(h1, 2, 2, 'valid'), b2, temb, g);
  const up = tf.image.resizeNearestNeighbor(conv(h2, model.up), [h, w]);
  const h3 = residual(tf.add(up, h1), b3, temb, g);
  return conv(silu(groupNorm(h3, model.normOut, g)), model.convOut);
}

interface Batch {
  readonly x0: tf.Tensor4D;
  readonly t: tf.Tensor1D;
  readonly eps: tf.Tensor4D;
}

function drawBatch(c: UNetConfig, size: number, seed: number): Batch {
  const shape: [number, number, number, number] = [size, c.height, c.width, c.channels];
  return {
    x0: tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D,
    t: tf.randomUniformInt([size], 0, c.timesteps, seed + 0.25) as tf.Tensor1D,
    eps: tf.randomNormal(shape, 0, 1, 'float32', seed + 0.75) as tf.Tensor4D,
  };
}

function loss(model: Model, batch: Batch): tf.Scalar {
  const a = tf.reshape(tf.gather(model.sqrtAlphaBar, batch.t), [-1, 1, 1, 1]);
  const s = tf.reshape(tf.gather(model.sqrtOneMinus, batch.t), [-1, 1, 1, 1]);
  const xt = tf.add<tf.Tensor4D>(tf.mul(a, batch.x0), tf.mul(s, batch.eps));
  return tf.mean(tf.squaredDifference(denoise(model, xt, batch.t), batch.eps));
}

function variables(model: Model): tf.Variable[] {
  const norms = (n: Norm) => [n.gamma, n.beta];
  const convs = (l: ConvLayer) => [l.filter, l.bias];
  return [
    ...variablesOf([model.timeIn]),
    ...convs(model.convIn),
    ...model.blocks.flatMap((b) => [
      ...norms(b.norm1),
      ...convs(b.conv1),
      ...variablesOf([b.time]),
      ...norms(b.norm2),
      ...convs(b.conv2),
      ...(b.skip ? convs(b.skip) : []),
    ]),
    ...convs(model.up),
    ...norms(model.normOut),
    ...convs(model.convOut),
  ];
}

export function tfjsUNet(impl: TfImpl): Implementation<UNetConfig> {
  return {
    impl,
    async setup(workload: Workload<UNetConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const base = c.base;
      const half = c.timeFeatures / 2;
      const sqrtAlphaBar = new Float32Array(c.timesteps);
      const sqrtOneMinus = new Float32Array(c.timesteps);
      let alphaBar = 1;
      for (let t = 0; t < c.timesteps; t++) {
        alphaBar *= 1 - (c.betaStart + ((c.betaEnd - c.betaStart) * t) / (c.timesteps - 1));
        sqrtAlphaBar[t] = Math.sqrt(alphaBar);
        sqrtOneMinus[t] = Math.sqrt(1 - alphaBar);
      }
      const model: Model = {
        groups: c.groups,
        timeIn: dense(c.timeFeatures, c.timeHidden, 'he', 40),
        convIn: convLayer(3, c.channels, base, 'he', 41),
        blocks: [
          block(base, base, c.timeHidden, 50),
          block(base, 2 * base, c.timeHidden, 60),
          block(base, base, c.timeHidden, 70),
        ],
        up: convLayer(1, 2 * base, base, 'glorot', 42),
        normOut: norm(base),
        convOut: convLayer(3, base, c.channels, 'glorot', 43),
        sqrtAlphaBar: tf.tensor1d(sqrtAlphaBar),
        sqrtOneMinus: tf.tensor1d(sqrtOneMinus),
        frequencies: sinusoidFrequencies(half),
      };
      const trained = variables(model);
      const evalBatch = drawBatch(c, EVAL_IMAGES, 7);
      return adamSession({
        adam: c,
        variables: trained,
        info: {
          ...info,
          conv: tf.getBackend() === 'wasm' ? 'im2col + fused matMul' : 'fused conv2d',
          parameters: trained.reduce((n, v) => n + v.size, 0),
        },
        draw: (seed) => drawBatch(c, c.batch, seed),
        loss: (batch) => loss(model, batch),
        evalBatch,
        release() {
          tf.dispose([trained, evalBatch.x0, evalBatch.t, evalBatch.eps]);
          tf.dispose([model.sqrtAlphaBar, model.sqrtOneMinus, model.frequencies]);
        },
      });
    },
  };
}
