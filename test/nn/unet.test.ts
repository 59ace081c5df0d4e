import { expect } from '@esm-bundle/chai';
// Through the public entry: the U-Net's shape type and its twin are part of the library.
import { ParameterLayout, unetBackward, unetForward, type UNetShape } from '../../src/index';
import { addUNetParameters, UNet } from '../../src/nn/conv/unet';
import {
  imageDiffusionBatchTwin,
  UNetDenoiserTask,
  type UNetDenoiserSpec,
} from '../../src/nn/conv/unet-denoiser-task';
import { unetParts } from '../../src/nn/reference/unet';
import { Trainer } from '../../src/nn/trainer';
import { makeSchedule } from '../../src/models/diffusion/schedule';
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

const SHAPE: UNetShape = {
  channels: 1,
  height: 8,
  width: 8,
  base: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  timeScale: 1,
};
const BATCH = 3;
// Early, middle and late diffusion steps: the sinusoidal features differ widely.
const TIMES = [3, 250, 999];

function setup(seed: number) {
  const layout = new ParameterLayout();
  const offset = addUNetParameters(layout, 'unet', SHAPE);
  // γ near 1, β and biases away from 0, so that every path carries signal.
  const params = Float64Array.from(testValues(layout.total, seed, 0.4), (v) => v + 0.1);
  const values = SHAPE.channels * SHAPE.height * SHAPE.width;
  const x = testValues(BATCH * values, seed + 1, 1.5);
  const dy = testValues(BATCH * values, seed + 2, 1);
  return { layout, offset, params, x, dy };
}

/** Central differences of f at the given indices of `values`. */
function central(values: Float64Array, at: number[], f: (v: Float64Array) => number, h = 1e-6) {
  return at.map((i) => {
    const plus = values.slice();
    const minus = values.slice();
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Up to `count` indices spread evenly over [start, start + length), first and last included. */
function spread(start: number, length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => start + i);
  return Array.from({ length: count }, (_, k) =>
    Math.round(start + (k * (length - 1)) / (count - 1)),
  );
}

describe('U-Net denoiser', () => {
  it('parameter layout: the GPU layout and the twin offsets agree, every group named', () => {
    const { layout, offset } = setup(1);
    const parts = unetParts(SHAPE);
    expect(offset).to.equal(0);
    expect(layout.total).to.equal(parts.offsets.end);
    expect(layout.view('unet.block2.skip.weight').offset).to.be.greaterThan(
      parts.offsets.blocks.block2,
    );
    expect(layout.view('unet.up.weight').offset).to.equal(parts.offsets.up);
    expect(layout.view('unet.block3.norm1.gamma').offset).to.equal(parts.offsets.blocks.block3);
    expect(layout.view('unet.convOut.weight').offset).to.equal(parts.offsets.convOut);
    expect(layout.view('unet.time.block2.weight').offset).to.equal(parts.offsets.timeHeads.block2);
  });

  it('twin backward equals central differences (dL/dx and every parameter group)', () => {
    const { layout, offset, params, x, dy } = setup(11);
    const loss = (p: Float64Array, input: Float64Array) =>
      unetForward(p, offset, SHAPE, input, TIMES, BATCH).y.reduce((s, v, i) => s + v * dy[i]!, 0);
    const grads = new Float64Array(layout.total);
    const { cache } = unetForward(params, offset, SHAPE, x, TIMES, BATCH);
    const dx = unetBackward(params, offset, SHAPE, cache, dy, BATCH, grads);
    const inputAt = spread(0, x.length, 40);
    const worstInput = normRelativeError(
      inputAt.map((i) => dx[i]!),
      central(x, inputAt, (v) => loss(params, v)),
    );
    expect(worstInput, 'dL/dx').to.be.lessThan(1e-6);
    // Every parameter group (weights and biases of each sublayer), a few entries each.
    // time (in + 3 heads), conv in, blocks 1-3 (block 2 with its 1 × 1 skip), up, norm out, conv out.
    expect(layout.views.length).to.equal(2 * 4 + 2 + 8 + 10 + 8 + 2 + 2 + 2);
    for (const view of layout.views) {
      const at = spread(view.offset, view.length, 6);
      const error = normRelativeError(
        at.map((i) => grads[i]!),
        central(params, at, (v) => loss(v, x)),
      );
      expect(error, view.name).to.be.lessThan(1e-6);
    }
  });

  async function runGpu(seed: number, training = true) {
    const gpu = await testGpu();
    const before = gpu.pool.stats().inUse;
    const { layout, offset, params, x, dy } = setup(seed);
    const unet = await UNet.create(gpu, SHAPE);
    expect(unet.chunks(BATCH)).to.equal(1);
    const b = {
      params: uploadFloats(gpu, params, 'params'),
      x: uploadFloats(gpu, x, 'x'),
      t: uploadFloats(gpu, TIMES, 't'),
      y: zeros(gpu, x.length, 'y'),
      dy: uploadFloats(gpu, dy, 'dy'),
      dx: zeros(gpu, x.length, 'dx'),
      // Non-zero start: every gradient must be written, not accumulated.
      grads: uploadFloats(gpu, new Float64Array(layout.total).fill(7), 'grads'),
    };
    const bound = unet.bind({
      batch: BATCH,
      params: b.params.binding,
      paramOffset: offset,
      input: b.x.binding,
      time: b.t.binding,
      output: b.y.binding,
      ...(training
        ? { gradOutput: b.dy.binding, gradInput: b.dx.binding, grads: b.grads.binding }
        : {}),
    });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      if (training) bound.encodeBackward(pass);
    });
    const [y, dx, grads] = await Promise.all([
      readFloats(gpu, b.y, x.length),
      readFloats(gpu, b.dx, x.length),
      readFloats(gpu, b.grads, layout.total),
    ]);
    bound.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    const leaked = gpu.pool.stats().inUse - before;
    return { layout, offset, params, x, dy, y, dx, grads, leaked };
  }

  it('GPU vs twin: ε̂, dL/dx and every parameter gradient; a rerun is bit-identical', async () => {
    const run = await runGpu(21);
    expect(run.leaked, 'pool buffers left after dispose').to.equal(0);
    const ref = unetForward(run.params, run.offset, SHAPE, run.x, TIMES, BATCH);
    const refGrads = new Float64Array(run.layout.total);
    const refDx = unetBackward(run.params, run.offset, SHAPE, ref.cache, run.dy, BATCH, refGrads);
    expect(maxRelativeError(run.y, ref.y), 'ε̂').to.be.lessThan(1e-5);
    expect(maxRelativeError(run.dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
    for (const view of run.layout.views) {
      const part = (v: ArrayLike<number>) =>
        Array.from({ length: view.length }, (_, i) => v[view.offset + i]!);
      expect(maxRelativeError(part(run.grads), part(refGrads)), view.name).to.be.lessThan(1e-4);
    }

    const again = await runGpu(21);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    expect(bits(again.y), 'ε̂, bit for bit').to.deep.equal(bits(run.y));
    expect(bits(again.dx), 'dL/dx, bit for bit').to.deep.equal(bits(run.dx));
    expect(bits(again.grads), 'gradients, bit for bit').to.deep.equal(bits(run.grads));

    // A forward-only binding (sampling, #16) computes the same ε̂ and releases what it took.
    const sampling = await runGpu(21, false);
    expect(sampling.leaked, 'pool buffers left after dispose (forward only)').to.equal(0);
    expect(bits(sampling.y), 'ε̂ of a forward-only binding').to.deep.equal(bits(run.y));
  });

  const schedule = makeSchedule({ kind: 'linear', timesteps: 1000 });
  const TASK: UNetDenoiserSpec = { unet: SHAPE, batch: 4, seed: 5, schedule };

  type Batch = { noised: ArrayLike<number>; time: ArrayLike<number>; noise: ArrayLike<number> };

  /** MSE(ε̂, ε) of the twin on a batch, and its parameter gradients. */
  function twinStep(spec: UNetDenoiserSpec, params: ArrayLike<number>, batch: Batch) {
    const out = unetForward(params, 0, spec.unet, batch.noised, batch.time, spec.batch);
    const n = out.y.length;
    const loss = out.y.reduce((s, v, i) => s + (v - batch.noise[i]!) ** 2, 0) / n;
    const dy = out.y.map((v, i) => (2 * (v - batch.noise[i]!)) / n);
    const grads = new Float64Array(params.length);
    unetBackward(params, 0, spec.unet, out.cache, dy, spec.batch, grads);
    return { loss, grads };
  }

  it('DDPM task: one GPU step has the twin batch (x_t, t, ε), loss and gradients', async () => {
    const gpu = await testGpu();
    const trainer = await Trainer.create(
      gpu,
      (state) => UNetDenoiserTask.create(gpu, TASK, state),
      {
        optimizer: { kind: 'adam', lr: 1e-3 },
      },
    );
    const task = trainer.task;
    const initial = await trainer.readParams();
    const [chunk] = await trainer.train(1);
    const values = task.unet.imageFloats(TASK.batch);
    const [noised, time, noise, grads] = await Promise.all([
      readFloats(gpu, task.buffers.noised, values),
      readFloats(gpu, task.buffers.time, TASK.batch),
      readFloats(gpu, task.buffers.noise, values),
      gpu.readback.readFloat32(task.grads, 0, task.parameterCount),
    ]);
    trainer.dispose();
    const batch = imageDiffusionBatchTwin(TASK, 0);
    expect(Array.from(time)).to.deep.equal(Array.from(batch.time));
    expect(new Set(time).size, 'distinct t in the batch').to.be.greaterThan(1);
    // t is exact (integer arithmetic); ε goes through WGSL's f32 log and cos, which WGSL only
    // promises to ~2⁻¹¹ absolute: a wrong counter or lane changes ε by O(1).
    expect(maxRelativeError(noise, batch.noise), 'ε').to.be.lessThan(1e-3);
    expect(maxRelativeError(noised, batch.noised), 'x_t').to.be.lessThan(1e-3);
    // The network on the GPU's own batch: loss and gradients as the twin's.
    const twin = twinStep(TASK, initial, { noised, time, noise });
    expect(chunk!.losses[0]).to.be.closeTo(twin.loss, 1e-4 * twin.loss);
    expect(maxRelativeError(grads, twin.grads), 'gradients').to.be.lessThan(1e-4);
  });

  it('DDPM task: dispatchesPerStep equals the dispatches encodeStep records', async () => {
    const gpu = await testGpu();
    const trainer = await Trainer.create(
      gpu,
      (state) => UNetDenoiserTask.create(gpu, TASK, state),
      { optimizer: { kind: 'adam', lr: 1e-3 } },
    );
    let dispatches = 0;
    // A pass that only counts: every other call of the encoder is a no-op.
    const counting = new Proxy(
      {},
      {
        get: (_, name) =>
          name === 'dispatchWorkgroups' ? () => void dispatches++ : () => undefined,
      },
    ) as GPUComputePassEncoder;
    trainer.task.encodeStep(counting);
    const declared = trainer.task.dispatchesPerStep;
    trainer.dispose();
    expect(declared).to.equal(dispatches);
  });

  it('DDPM task: training lowers the twin loss on a fixed held-out batch', async () => {
    const gpu = await testGpu();
    const spec = { ...TASK, batch: 8 };
    const trainer = await Trainer.create(
      gpu,
      (state) => UNetDenoiserTask.create(gpu, spec, state),
      {
        optimizer: { kind: 'adam', lr: 3e-3 },
      },
    );
    // A batch step the training never draws.
    const batch = imageDiffusionBatchTwin(spec, 100_000);
    const heldOut = (params: ArrayLike<number>) => twinStep(spec, params, batch).loss;
    const before = heldOut(await trainer.readParams());
    await trainer.train(40);
    const after = heldOut(await trainer.readParams());
    trainer.dispose();
    expect(after).to.be.lessThan(0.8 * before);
  });
});
