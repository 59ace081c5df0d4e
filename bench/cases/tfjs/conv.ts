/**
 * TF.js peer of the small conv net workload (#15): NHWC images, conv 3×3 (1 → 32, silu) →
 * conv 3×3 (32 → 32, silu) → conv 1×1 (32 → 1), MSE to the 3 × 3 box blur of the input, Adam.
 * Convolutions are `tf.fused.conv2d` with the bias fused (TF.js fuses no silu: z·sigmoid(z)).
 * TF.js-WASM 4.22 registers no `Conv2DBackpropFilter` kernel, so tf.conv2d cannot be trained
 * there; the WASM peer builds the same convolution the way a user would work around it: im2col
 * (zero padding, the K² shifted slices concatenated along channels, in (ky, kx, ci) order) and
 * one `tf.fused.matMul` with the [K·K·CIN, COUT] reshaped filter and the bias, whose gradients
 * WASM has (pad, slice, concat, matMul).
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import type { ConvConfig } from '../workloads';
import { adamSession, tf, useBackend, type TfImpl } from './common';

const EVAL_IMAGES = 16;

export interface ConvLayer {
  readonly filter: tf.Variable;
  readonly bias: tf.Variable;
}

export function convLayer(
  k: number,
  cin: number,
  cout: number,
  init: 'he' | 'glorot',
  seed: number,
) {
  const fanIn = k * k * cin;
  const std = init === 'he' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + k * k * cout));
  return {
    filter: tf.variable(tf.randomNormal([k, k, cin, cout], 0, std, 'float32', seed)),
    bias: tf.variable(tf.zeros([cout])),
  };
}

/** 'same' stride-1 convolution + bias as im2col and one matMul (for the WASM backend). */
export function im2colConv(x: tf.Tensor4D, layer: ConvLayer): tf.Tensor4D {
  const [k, , cin, cout] = layer.filter.shape as [number, number, number, number];
  const [n, h, w] = x.shape;
  const p = (k - 1) / 2;
  const padded =
    p > 0
      ? tf.pad(x, [
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ])
      : x;
  const slices: tf.Tensor4D[] = [];
  for (let ky = 0; ky < k; ky++)
    for (let kx = 0; kx < k; kx++) slices.push(tf.slice(padded, [0, ky, kx, 0], [n, h, w, cin]));
  const stacked = slices.length > 1 ? tf.concat(slices, 3) : slices[0]!;
  const patches = tf.reshape(stacked, [n * h * w, k * k * cin]) as tf.Tensor2D;
  const z = tf.fused.matMul({
    a: patches,
    b: tf.reshape(layer.filter, [k * k * cin, cout]) as tf.Tensor2D,
    bias: layer.bias,
  });
  return tf.reshape(z, [n, h, w, cout]) as tf.Tensor4D;
}

function forward(layers: readonly ConvLayer[], x: tf.Tensor4D): tf.Tensor4D {
  let h = x;
  const wasm = tf.getBackend() === 'wasm';
  layers.forEach((layer, i) => {
    const z = wasm
      ? im2colConv(h, layer)
      : tf.fused.conv2d({
          x: h,
          filter: layer.filter as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: layer.bias,
        });
    h = i < layers.length - 1 ? tf.mul(z, tf.sigmoid(z)) : z;
  });
  return h;
}

/** The 3 × 3 box blur with zero padding (a fixed conv filter of 1/9). */
function boxBlur(x: tf.Tensor4D): tf.Tensor4D {
  // No gradient flows into the target: plain conv2d works on both backends.
  return tf.conv2d(x, tf.fill([3, 3, 1, 1], 1 / 9) as tf.Tensor4D, 1, 'same');
}

function mse(layers: readonly ConvLayer[], x: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(forward(layers, x), boxBlur(x)));
}

export function tfjsConv(impl: TfImpl): Implementation<ConvConfig> {
  return {
    impl,
    async setup(workload: Workload<ConvConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const layers = [
        convLayer(3, 1, c.channels, 'he', 31),
        convLayer(3, c.channels, c.channels, 'he', 32),
        convLayer(1, c.channels, 1, 'glorot', 33),
      ];
      const variables = layers.flatMap((l) => [l.filter, l.bias]);
      const shape: [number, number, number, number] = [c.batch, c.height, c.width, 1];
      const evalX = tf.randomUniform([EVAL_IMAGES, c.height, c.width, 1], 0, 1, 'float32', 7);
      return adamSession({
        adam: c,
        variables,
        info: {
          ...info,
          conv: tf.getBackend() === 'wasm' ? 'im2col + fused matMul' : 'fused conv2d',
        },
        draw: (seed) => tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor4D,
        loss: (x) => mse(layers, x),
        evalBatch: evalX as tf.Tensor4D,
        release: () => tf.dispose([evalX, ...variables]),
      });
    },
  };
}
