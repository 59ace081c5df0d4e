import { expect } from '@esm-bundle/chai';
import { GpuOptimizer } from '../../src/nn/optimizer';
import { resolveOptimizer, scheduledLr, type OptimizerSpec } from '../../src/nn/optimizer-config';
import { createOptimizerTwin, optimizerStepTwin } from '../../src/nn/reference/optimizer';
import { decodeTrainState, initialTrainState, TRAIN_STATE_WORDS } from '../../src/nn/train-state';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  STORAGE_RW,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';

const P = 300; // more than one workgroup of the norm reduction (256 parameters each)

async function runOnGpu(spec: OptimizerSpec, steps: number) {
  const gpu = await testGpu();
  const opt = resolveOptimizer(spec);
  const initial = testValues(P, 1, 0.5);
  const params = uploadFloats(gpu, initial, 'params');
  const grads = zeros(gpu, 2 * P, 'grads');
  const moments = uploadFloats(gpu, [...new Float64Array(2 * P), ...initial], 'moments');
  const state = gpu.pool.upload(new Uint8Array(initialTrainState()), STORAGE_RW, 'state');
  const optimizer = await GpuOptimizer.create(gpu);
  const binding = optimizer.bind(
    { params: params.buffer, grads: grads.buffer, moments: moments.buffer, state: state.buffer },
    opt,
    P,
    2,
  );
  const twinParams = Float64Array.from(new Float32Array(initial));
  const twin = createOptimizerTwin(twinParams);
  for (let step = 0; step < steps; step++) {
    // The gradient arrives as two partial chunks; their sum is what the twin sees.
    const a = Float32Array.from(testValues(P, 100 + step, 2));
    const b = Float32Array.from(testValues(P, 200 + step, 2));
    gpu.device.queue.writeBuffer(grads.buffer, 0, a);
    gpu.device.queue.writeBuffer(grads.buffer, P * 4, b);
    runPass(gpu, (pass) => binding.encode(pass));
    optimizerStepTwin(
      opt,
      twin,
      twinParams,
      Array.from(a, (v, i) => v + b[i]!),
    );
  }
  const [gpuParams, gpuMoments, stateBytes] = await Promise.all([
    readFloats(gpu, params, P),
    readFloats(gpu, moments, 3 * P),
    gpu.readback.read(state.buffer, 0, TRAIN_STATE_WORDS * 4),
  ]);
  binding.dispose();
  [params, grads, moments, state].forEach((owned) => owned.dispose());
  return { opt, gpuParams, gpuMoments, twin, twinParams, state: decodeTrainState(stateBytes) };
}

describe('optimizers on the GPU vs the float64 twin (50 steps)', () => {
  const cases: [string, OptimizerSpec][] = [
    ['sgd', { kind: 'sgd', lr: 0.01 }],
    [
      'sgd + momentum + Robbins–Monro',
      { kind: 'sgd', lr: 0.05, momentum: 0.9, schedule: { kind: 'robbins-monro', tau: 10 } },
    ],
    [
      'adam + warm-up + cosine + clipping',
      {
        kind: 'adam',
        lr: 0.01,
        clipNorm: 5,
        schedule: { kind: 'cosine', warmup: 5, totalSteps: 40, lrMin: 0.001 },
      },
    ],
    ['adamw + EMA', { kind: 'adamw', lr: 0.01, weightDecay: 0.1, emaDecay: 0.9 }],
  ];
  for (const [name, spec] of cases) {
    it(name, async () => {
      const r = await runOnGpu(spec, 50);
      expect(r.state.step).to.equal(50);
      expect(r.state.lr).to.be.closeTo(scheduledLr(r.opt, 50), 1e-7);
      // f32 state vs float64 over 50 steps; parameters move by O(lr) per step.
      expect(maxRelativeError(r.gpuParams, r.twinParams), 'parameters').to.be.lessThan(2e-5);
      if (r.opt.emaDecay > 0) {
        expect(maxRelativeError(r.gpuMoments.subarray(2 * P), r.twin.ema), 'EMA').to.be.lessThan(
          2e-5,
        );
      }
      if (r.opt.clipNorm > 0) {
        expect(r.state.gradNorm).to.be.closeTo(r.twin.gradNorm, 1e-4 * r.twin.gradNorm);
        expect(r.state.clipScale).to.be.closeTo(Math.min(1, 5 / r.twin.gradNorm), 1e-5);
      }
      // The parameters really moved.
      expect(
        maxRelativeError(r.gpuParams, Float32Array.from(testValues(P, 1, 0.5))),
      ).to.be.greaterThan(1e-3);
    });
  }
});

describe('schedules and clipping against closed forms', () => {
  it('cosine decay, warm-up and Robbins–Monro', () => {
    const cosine = resolveOptimizer({
      kind: 'adam',
      lr: 1,
      schedule: { kind: 'cosine', totalSteps: 101, lrMin: 0.1, warmup: 1 },
    });
    expect(scheduledLr(cosine, 51)).to.be.closeTo(0.55, 1e-12); // halfway: (lr + lrMin) / 2
    expect(scheduledLr(cosine, 101)).to.be.closeTo(0.1, 1e-12);
    const warm = resolveOptimizer({
      kind: 'sgd',
      lr: 2,
      schedule: { kind: 'constant', warmup: 4 },
    });
    expect([1, 2, 3, 4, 5].map((t) => scheduledLr(warm, t))).to.deep.equal([0.5, 1, 1.5, 2, 2]);
    const rm = resolveOptimizer({
      kind: 'sgd',
      lr: 0.3,
      schedule: { kind: 'robbins-monro', tau: 20 },
    });
    expect(scheduledLr(rm, 1)).to.equal(0.3); // a_0 = a0
    expect(scheduledLr(rm, 21)).to.be.closeTo(0.15, 1e-15); // k = τ halves the step
  });

  it('clips the global norm: one SGD step with lr 1 moves θ by −g·min(1, c/‖g‖)', async () => {
    for (const clipNorm of [0.5, 1e3]) {
      const r = await runOnGpu({ kind: 'sgd', lr: 1, clipNorm }, 1);
      const g = Array.from(
        testValues(P, 100, 2),
        (v, i) => Math.fround(v) + Math.fround(testValues(P, 200, 2)[i]!),
      );
      const norm = Math.hypot(...g);
      const scale = Math.min(1, clipNorm / norm);
      const expected = Array.from(testValues(P, 1, 0.5), (v, i) => Math.fround(v) - g[i]! * scale);
      expect(r.state.gradNorm).to.be.closeTo(norm, 1e-4 * norm);
      expect(maxRelativeError(r.gpuParams, expected)).to.be.lessThan(1e-5);
    }
  });

  it('rejects out-of-range settings naming the field and the range', () => {
    expect(() => resolveOptimizer({ kind: 'adam', lr: -1 })).to.throw(
      'optimizer.lr must be a number in [0, 10], got -1',
    );
    expect(() => resolveOptimizer({ kind: 'adam', lr: 1e-3, beta2: 1 })).to.throw(
      /optimizer.beta2/,
    );
    expect(() => resolveOptimizer({ kind: 'rmsprop' as 'adam', lr: 1 })).to.throw(
      /sgd, adam, adamw/,
    );
  });
});
