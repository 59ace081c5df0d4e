import { expect } from '@esm-bundle/chai';
import {
  ConvRegressionTask,
  convRegressionShapes,
  imageRegressionBatchTwin,
  type ConvRegressionSpec,
} from '../../src/nn/conv/conv-regression-task';
import { conv2dBackward, conv2dForward, convParameterCount } from '../../src/nn/reference/conv';
import type { Conv2dCache } from '../../src/nn/reference/conv';
import { Trainer } from '../../src/nn/trainer';
import { testGpu } from '../support/gpu';
import { maxRelativeError } from '../support/gpu-helpers';

const SPEC: ConvRegressionSpec = {
  channels: 4,
  convLayers: 2,
  height: 6,
  width: 6,
  activation: 'silu',
  batch: 2,
  seed: 3,
};

/** Loss and parameter gradients of the twin network on the batch of `step`. */
function twinStep(params: ArrayLike<number>, step: number) {
  const { batch, height, width } = SPEC;
  const { inputs, targets } = imageRegressionBatchTwin(SPEC.seed, step, batch, 1, height, width);
  const shapes = convRegressionShapes(SPEC);
  const offsets: number[] = [];
  const caches: Conv2dCache[] = [];
  let h: Float64Array = inputs;
  let offset = 0;
  for (const shape of shapes) {
    offsets.push(offset);
    const out = conv2dForward(params, offset, shape, h, batch);
    caches.push(out.cache);
    h = out.y;
    offset += convParameterCount(shape);
  }
  const n = h.length;
  const loss = h.reduce((s, v, i) => s + (v - targets[i]!) ** 2, 0) / n;
  let g: Float64Array = h.map((v, i) => (2 * (v - targets[i]!)) / n);
  const grads = new Float64Array(offset);
  for (let l = shapes.length - 1; l >= 0; l--) {
    g = conv2dBackward(params, offsets[l]!, shapes[l]!, caches[l]!, g, batch, grads);
  }
  return { loss, grads };
}

describe('conv regression task (the conv benchmark workload, tiny)', () => {
  it('one GPU training step: batch, loss and gradients equal the float64 twin', async () => {
    const gpu = await testGpu();
    const trainer = await Trainer.create(
      gpu,
      (state) => ConvRegressionTask.create(gpu, SPEC, state),
      {
        optimizer: { kind: 'adam', lr: 1e-2 },
      },
    );
    const initial = await trainer.readParams();
    const [chunk] = await trainer.train(1);
    const grads = await gpu.readback.readFloat32(
      trainer.task.grads,
      0,
      trainer.task.parameterCount,
    );
    trainer.dispose();
    const twin = twinStep(initial, 0);
    expect(chunk!.losses[0]).to.be.closeTo(twin.loss, 1e-5 * twin.loss);
    expect(maxRelativeError(grads, twin.grads)).to.be.lessThan(1e-5);
  });

  it('training lowers the loss on a fixed batch', async () => {
    const gpu = await testGpu();
    const trainer = await Trainer.create(
      gpu,
      (state) => ConvRegressionTask.create(gpu, SPEC, state),
      {
        optimizer: { kind: 'adam', lr: 1e-2 },
      },
    );
    const before = twinStep(await trainer.readParams(), 1000).loss;
    await trainer.train(60);
    const after = twinStep(await trainer.readParams(), 1000).loss;
    trainer.dispose();
    expect(after).to.be.lessThan(0.7 * before);
  });
});
