/**
 * Float64 twins of the resolution and conditioning layers (shaders/nn/resample.wgsl,
 * shaders/nn/time-add.wgsl). NCHW batches, flat: (n, c, y, x) at ((n·C + c)·H + y)·W + x.
 * Each backward is written as the transpose (a scatter) of its forward, not by reusing the
 * other layer, so that the tests compare two formulations.
 */
import type { Floats } from './dense';

/** A batch of C × H × W maps (the large side of the 2 × 2 layers: H and W even). */
export interface MapShape {
  channels: number;
  height: number;
  width: number;
}

const index = (s: MapShape, n: number, c: number, y: number, x: number) =>
  ((n * s.channels + c) * s.height + y) * s.width + x;

/** Space to channels: C × H × W → 4C × H/2 × W/2, channel 4c + 2·dy + dx (Glow's order). */
export function squeeze(shape: MapShape, x: Floats, batch: number): Float64Array {
  const small = { channels: 4 * shape.channels, height: shape.height / 2, width: shape.width / 2 };
  const y = new Float64Array(x.length);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < shape.channels; c++)
      for (let yy = 0; yy < shape.height; yy++)
        for (let xx = 0; xx < shape.width; xx++) {
          const c4 = 4 * c + 2 * (yy % 2) + (xx % 2);
          y[index(small, n, c4, yy >> 1, xx >> 1)] = x[index(shape, n, c, yy, xx)]!;
        }
  return y;
}

/** Channels to space: the inverse of squeeze (`shape` is the large side). */
export function unsqueeze(shape: MapShape, y: Floats, batch: number): Float64Array {
  const small = { channels: 4 * shape.channels, height: shape.height / 2, width: shape.width / 2 };
  const x = new Float64Array(y.length);
  for (let n = 0; n < batch; n++)
    for (let c4 = 0; c4 < small.channels; c4++)
      for (let i = 0; i < small.height; i++)
        for (let j = 0; j < small.width; j++) {
          const q = c4 % 4;
          const at = index(shape, n, c4 >> 2, 2 * i + (q >> 1), 2 * j + (q % 2));
          x[at] = y[index(small, n, c4, i, j)]!;
        }
  return x;
}

const halved = (s: MapShape): MapShape => ({ ...s, height: s.height / 2, width: s.width / 2 });

/** 2 × 2 average pooling, stride 2: C × H × W → C × H/2 × W/2. */
export function avgPool2Forward(shape: MapShape, x: Floats, batch: number): Float64Array {
  const small = halved(shape);
  const y = new Float64Array(batch * shape.channels * small.height * small.width);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < shape.channels; c++)
      for (let i = 0; i < small.height; i++)
        for (let j = 0; j < small.width; j++) {
          let sum = 0;
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) sum += x[index(shape, n, c, 2 * i + dy, 2 * j + dx)]!;
          y[index(small, n, c, i, j)] = sum / 4;
        }
  return y;
}

/** dL/dx of average pooling: each output's gradient spread over its block, times 1/4. */
export function avgPool2Backward(shape: MapShape, dy: Floats, batch: number): Float64Array {
  const small = halved(shape);
  const dx = new Float64Array(batch * shape.channels * shape.height * shape.width);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < shape.channels; c++)
      for (let i = 0; i < small.height; i++)
        for (let j = 0; j < small.width; j++)
          for (let d = 0; d < 4; d++) {
            const at = index(shape, n, c, 2 * i + (d >> 1), 2 * j + (d % 2));
            dx[at] = dx[at]! + dy[index(small, n, c, i, j)]! / 4;
          }
  return dx;
}

/** Nearest-neighbour 2× upsampling: C × H/2 × W/2 → C × H × W (`shape` is the large side). */
export function upsample2Forward(shape: MapShape, x: Floats, batch: number): Float64Array {
  const small = halved(shape);
  const y = new Float64Array(batch * shape.channels * shape.height * shape.width);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < shape.channels; c++)
      for (let yy = 0; yy < shape.height; yy++)
        for (let xx = 0; xx < shape.width; xx++)
          y[index(shape, n, c, yy, xx)] = x[index(small, n, c, yy >> 1, xx >> 1)]!;
  return y;
}

/** dL/dx of upsampling: the sum of each 2 × 2 block of dL/dy. */
export function upsample2Backward(shape: MapShape, dy: Floats, batch: number): Float64Array {
  const small = halved(shape);
  const dx = new Float64Array(batch * shape.channels * small.height * small.width);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < shape.channels; c++)
      for (let yy = 0; yy < shape.height; yy++)
        for (let xx = 0; xx < shape.width; xx++) {
          const at = index(small, n, c, yy >> 1, xx >> 1);
          dx[at] = dx[at]! + dy[index(shape, n, c, yy, xx)]!;
        }
  return dx;
}

/** y[n, c, p] = x[n, c, p] + e[n, c] (e: batch × C). */
export function timeAddForward(shape: MapShape, x: Floats, e: Floats, batch: number): Float64Array {
  const pixels = shape.height * shape.width;
  return Float64Array.from({ length: batch * shape.channels * pixels }, (_, i) => {
    return x[i]! + e[Math.floor(i / pixels)]!;
  });
}

/** dL/de[n, c] = Σ_p dL/dy[n, c, p]; dL/dx = dL/dy. */
export function timeAddBackward(shape: MapShape, dy: Floats, batch: number): Float64Array {
  const pixels = shape.height * shape.width;
  const de = new Float64Array(batch * shape.channels);
  for (let i = 0; i < batch * shape.channels * pixels; i++) {
    const plane = Math.floor(i / pixels);
    de[plane] = de[plane]! + dy[i]!;
  }
  return de;
}
