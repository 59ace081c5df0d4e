import { expect } from '@esm-bundle/chai';
import { openLab, type Lab } from '../../src/lab/lab';
import { NonFiniteLossError, TrainOptionsError, type TrainProgress } from '../../src/lab/training';
import type { FlowKind } from '../../src/models/flows/flow-spec';
import { testGpu } from '../support/gpu';

let lab: Lab;
before(async () => {
  lab = await openLab({ runtime: await testGpu() });
});
after(() => lab.dispose());

const MEAN: [number, number] = [1, -2];
const COV: [[number, number], [number, number]] = [
  [2, 1.2],
  [1.2, 1.5],
];
/** H(N(μ, Σ)) = 1 + log 2π + ½ log det Σ. */
const GAUSSIAN_ENTROPY = 1 + Math.log(2 * Math.PI) + 0.5 * Math.log(2 * 1.5 - 1.2 * 1.2);

async function meanNll(
  model: { logProb(p: Float32Array): Promise<Float32Array> },
  points: Float32Array,
) {
  const lp = await model.logProb(points);
  return -lp.reduce((s, v) => s + v, 0) / lp.length;
}

describe('lab.train: flows learn by maximum likelihood', () => {
  for (const kind of ['nice', 'realnvp', 'glow', 'spline'] as FlowKind[]) {
    it(`${kind}: on a correlated gaussian, KL(data ‖ model) ≤ 0.02 nats`, async () => {
      const data = lab.dataset({ name: 'gaussian', params: { mean: MEAN, cov: COV }, seed: 4 });
      const model = await lab.createModel({ family: 'flow', kind, layers: 4, hidden: 16, seed: 1 });
      const run = lab.train(model, data, {
        steps: 400,
        batch: 512,
        optimizer: {
          kind: 'adam',
          lr: 1e-2,
          schedule: { kind: 'cosine', totalSteps: 400, lrMin: 1e-4 },
        },
      });
      await run.done;
      // Paired estimate: KL = E_p[log p − log q] on the same fresh samples (low variance).
      const points = await data.sample(20_000, { seed: 77 });
      const [logQ, logP] = await Promise.all([model.logProb(points), data.logProb(points)]);
      let kl = 0;
      for (let i = 0; i < logQ.length; i++) kl += logP[i]! - logQ[i]!;
      kl /= logQ.length;
      const nll = await meanNll(model, points);
      model.dispose();
      data.dispose();
      expect(
        kl,
        `KL (NLL ${nll.toFixed(4)} vs entropy ${GAUSSIAN_ENTROPY.toFixed(4)})`,
      ).to.be.below(0.02);
      expect(kl).to.be.above(-0.01); // KL ≥ 0 up to Monte-Carlo error
    });
  }

  it('realnvp on moons: NLL drops by ≥ 1 nat; progress arrives throttled with losses in order', async () => {
    const data = lab.dataset({ name: 'moons', seed: 2 });
    const model = await lab.createModel({
      family: 'flow',
      kind: 'realnvp',
      layers: 6,
      hidden: 32,
      seed: 2,
    });
    const points = await data.sample(8192, { seed: 5 });
    const before = await meanNll(model, points);
    const progress: TrainProgress[] = [];
    const run = lab.train(model, data, {
      steps: 600,
      batch: 512,
      optimizer: { kind: 'adam', lr: 5e-3 },
      onProgress: (p) => progress.push(p),
    });
    const summary = await run.done;
    const after = await meanNll(model, points);
    // A trained density still integrates to 1 over a box holding its mass.
    const side = 200;
    const [lo, hi] = [-6, 6];
    const cell = (hi - lo) / side;
    const grid = new Float32Array(2 * side * side).map((_, i) =>
      i % 2 === 0
        ? lo + ((Math.floor(i / 2) % side) + 0.5) * cell
        : lo + (Math.floor(i / 2 / side) + 0.5) * cell,
    );
    const mass = (await model.logProb(grid)).reduce((m, v) => m + Math.exp(v), 0) * cell * cell;
    expect(mass, 'trained ∫p').to.be.closeTo(1, 1e-2);
    model.dispose();
    data.dispose();
    expect(before - after, `NLL ${before.toFixed(3)} → ${after.toFixed(3)}`).to.be.at.least(1);
    expect(summary.steps).to.equal(600);
    expect(progress.at(-1)!.state).to.equal('done');
    expect(progress.reduce((n, p) => n + p.losses.length, 0)).to.equal(600);
    expect(progress.length).to.be.below(600); // throttled, not one call per step
    expect(progress.at(-1)!.dispatchesPerStep).to.be.greaterThan(10);
  });

  it('pause/resume changes nothing: parameters equal an uninterrupted run of the same length', async () => {
    const data = lab.dataset({ name: '8gaussians', seed: 3 });
    const spec = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 5 } as const;
    const options = { steps: 60, batch: 256, optimizer: { kind: 'adam', lr: 1e-3 } } as const;
    const a = await lab.createModel(spec);
    await lab.train(a, data, options).done;
    const b = await lab.createModel(spec);
    let paused = false;
    const run = lab.train(b, data, {
      ...options,
      onProgress: (p) => {
        if (paused || p.step === 0 || p.step >= 60) return;
        paused = true;
        run.pause();
        setTimeout(() => run.resume(), 300);
      },
    });
    const summary = await run.done;
    expect(paused, 'the run was paused mid-way').to.equal(true);
    expect(summary.steps).to.equal(60);
    const [pa, pb] = await Promise.all([a.exportParams(), b.exportParams()]);
    a.dispose();
    b.dispose();
    data.dispose();
    expect(new Uint32Array(pb.buffer)).to.deep.equal(new Uint32Array(pa.buffer));
  });

  it('stops at a NaN loss with a message that suggests a smaller learning rate', async () => {
    const data = lab.dataset({ name: 'moons', seed: 2 });
    const model = await lab.createModel({
      family: 'flow',
      kind: 'realnvp',
      layers: 2,
      hidden: 8,
      seed: 2,
    });
    const run = lab.train(model, data, {
      steps: 2000,
      batch: 256,
      optimizer: { kind: 'sgd', lr: 10 },
    });
    const error = await run.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    model.dispose();
    data.dispose();
    expect(error).to.be.instanceOf(NonFiniteLossError);
    expect((error as Error).message).to.contain('smaller learning rate');
  });

  it('rejects bad training options naming the field', async () => {
    const data = lab.dataset({ name: 'moons', seed: 2 });
    const model = await lab.createModel({
      family: 'flow',
      kind: 'nice',
      layers: 2,
      hidden: 8,
      seed: 2,
    });
    expect(() =>
      lab.train(model, data, {
        steps: 10,
        batch: 10_000_000,
        optimizer: { kind: 'adam', lr: 1e-3 },
      }),
    )
      .to.throw(TrainOptionsError)
      .with.property('field', 'batch');
    model.dispose();
    data.dispose();
  });
});
