/**
 * The U-Net's class embedding (classifier-free guidance's conditioning): the twin's gradients
 * against central differences, the GPU against the twin, and the null class's meaning.
 */
import { expect } from '@esm-bundle/chai';
import { ParameterLayout, unetBackward, unetForward, type UNetShape } from '../../src/index';
import { addUNetParameters, UNet } from '../../src/nn/conv/unet';
import { unetParts } from '../../src/nn/reference/unet';
import { normRelativeError } from '../models/flows/layer-checks';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';
import { STORAGE_USAGE } from '../../src/gpu';

const BASE: UNetShape = {
  channels: 1,
  height: 4,
  width: 4,
  base: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  timeScale: 1,
};
const SHAPE: UNetShape = { ...BASE, classes: 2 };
const BATCH = 4;
const TIMES = [3, 250, 999, 40];
// Class 1 twice (its gradient sums two samples), class 0, and the null class 2.
const LABELS = [1, 2, 1, 0];

function setup(seed: number) {
  const layout = new ParameterLayout();
  const offset = addUNetParameters(layout, 'unet', SHAPE);
  const params = Float64Array.from(testValues(layout.total, seed, 0.4), (v) => v + 0.1);
  const values = SHAPE.channels * SHAPE.height * SHAPE.width;
  const x = testValues(BATCH * values, seed + 1, 1.5);
  const dy = testValues(BATCH * values, seed + 2, 1);
  return { layout, offset, params, x, dy };
}

async function gpuRun(
  shape: UNetShape,
  params: ArrayLike<number>,
  x: Float64Array,
  dy?: Float64Array,
  labels?: number[],
) {
  const gpu = await testGpu();
  const count = unetParts(shape).offsets.end;
  const unet = await UNet.create(gpu, shape);
  const b = {
    params: uploadFloats(gpu, params, 'params'),
    x: uploadFloats(gpu, x, 'x'),
    t: uploadFloats(gpu, TIMES, 't'),
    y: zeros(gpu, x.length, 'y'),
    dy: uploadFloats(gpu, dy ?? x, 'dy'),
    dx: zeros(gpu, x.length, 'dx'),
    grads: uploadFloats(gpu, new Float64Array(count).fill(7), 'grads'),
    labels: gpu.pool.upload(new Uint32Array(labels ?? [0, 0, 0, 0]), STORAGE_USAGE, 'labels'),
  };
  const bound = unet.bind({
    batch: BATCH,
    params: b.params.binding,
    paramOffset: 0,
    input: b.x.binding,
    time: b.t.binding,
    output: b.y.binding,
    ...(labels ? { labels: b.labels.binding } : {}),
    ...(dy ? { gradOutput: b.dy.binding, gradInput: b.dx.binding, grads: b.grads.binding } : {}),
  });
  runPass(gpu, (pass) => {
    bound.encodeForward(pass);
    if (dy) bound.encodeBackward(pass);
  });
  const [y, dx, grads] = await Promise.all([
    readFloats(gpu, b.y, x.length),
    readFloats(gpu, b.dx, x.length),
    readFloats(gpu, b.grads, count),
  ]);
  bound.dispose();
  Object.values(b).forEach((buffer) => buffer.dispose());
  return { y, dx, grads };
}

describe('U-Net class embedding', () => {
  it('twin: the class table and dL/dx against central differences; labels change ε̂', () => {
    const { layout, offset, params, x, dy } = setup(5);
    const loss = (p: Float64Array) =>
      unetForward(p, offset, SHAPE, x, TIMES, BATCH, LABELS).y.reduce(
        (s, v, i) => s + v * dy[i]!,
        0,
      );
    const grads = new Float64Array(layout.total);
    const { cache } = unetForward(params, offset, SHAPE, x, TIMES, BATCH, LABELS);
    unetBackward(params, offset, SHAPE, cache, dy, BATCH, grads);
    const table = layout.view('unet.classes');
    expect(table.offset).to.equal(unetParts(SHAPE).offsets.classes);
    expect(table.length).to.equal(3 * SHAPE.timeHidden);
    const at = Array.from({ length: table.length }, (_, i) => table.offset + i);
    const h = 1e-6;
    const numeric = at.map((i) => {
      const plus = params.slice();
      const minus = params.slice();
      plus[i] = plus[i]! + h;
      minus[i] = minus[i]! - h;
      return (loss(plus) - loss(minus)) / (2 * h);
    });
    expect(
      normRelativeError(
        at.map((i) => grads[i]!),
        numeric,
      ),
    ).to.be.lessThan(1e-6);
    // Another class changes ε̂.
    const other = unetForward(params, offset, SHAPE, x, TIMES, BATCH, [0, 0, 0, 0]).y;
    const labelled = unetForward(params, offset, SHAPE, x, TIMES, BATCH, LABELS).y;
    expect(maxRelativeError(other, labelled)).to.be.greaterThan(1e-3);
  });

  it('GPU vs twin: ε̂, dL/dx and every gradient with labels; E[∅] = 0 gives the unconditional net', async () => {
    const { layout, offset, params, x, dy } = setup(9);
    const run = await gpuRun(SHAPE, params, x, dy, LABELS);
    const ref = unetForward(params, offset, SHAPE, x, TIMES, BATCH, LABELS);
    const refGrads = new Float64Array(layout.total);
    const refDx = unetBackward(params, offset, SHAPE, ref.cache, dy, BATCH, refGrads);
    expect(maxRelativeError(run.y, ref.y), 'ε̂').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
    for (const view of layout.views) {
      const part = (v: ArrayLike<number>) =>
        Array.from({ length: view.length }, (_, i) => v[view.offset + i]!);
      expect(maxRelativeError(part(run.grads), part(refGrads)), view.name).to.be.lessThan(1e-4);
    }
    // The null class's row at zero: the conditional net of null labels is the unconditional net
    // on the same weights (the table sits after them), bit for bit.
    const table = layout.view('unet.classes');
    const zeroNull = params.slice();
    zeroNull.fill(0, table.offset + 2 * SHAPE.timeHidden, table.offset + table.length);
    const conditional = await gpuRun(SHAPE, zeroNull, x, undefined, [2, 2, 2, 2]);
    const unconditional = await gpuRun(BASE, zeroNull.subarray(0, table.offset), x);
    expect(Array.from(conditional.y)).to.deep.equal(Array.from(unconditional.y));
  });
});
