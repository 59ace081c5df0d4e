import { expect } from '@esm-bundle/chai';
import { openLab, type Lab } from '../../src/lab/lab';
import { LabDiffusion } from '../../src/lab/diffusion';
import { ModelSpecError } from '../../src/models/flows/flow-spec';
import { energyDistance } from '../../src/models/diffusion/metrics';
import { testGpu } from '../support/gpu';

let lab: Lab;
before(async () => {
  lab = await openLab({ runtime: await testGpu() });
});
after(() => lab.dispose());

describe('lab: diffusion and flow matching through the public API', () => {
  it('flow matching trains with lab.train, then samples (EMA weights) close to the data', async () => {
    const data = lab.dataset({ name: '8gaussians', seed: 1 });
    const model = await lab.createModel({
      family: 'diffusion',
      kind: 'flow-matching',
      hidden: 32,
      layers: 2,
      seed: 3,
    });
    expect(model).to.be.instanceOf(LabDiffusion);
    const losses: number[] = [];
    await lab.train(model, data, {
      steps: 600,
      batch: 256,
      optimizer: { kind: 'adam', lr: 1e-2, emaDecay: 0.99 },
      onProgress: (p) => losses.push(...p.losses),
    }).done;
    const head = losses.slice(0, 20).reduce((a, b) => a + b) / 20;
    const tail = losses.slice(-50).reduce((a, b) => a + b) / 50;
    expect(tail, `loss ${head} → ${tail}`).to.be.below(head);
    const diffusion = model as LabDiffusion;
    const [samples, reference] = await Promise.all([
      diffusion.sample(1000, { sampler: 'rk4', steps: 10, seed: 5 }),
      data.sample(1000, { seed: 6 }),
    ]);
    expect(diffusion.lastNfe).to.equal(40);
    // N(0, I) through the normaliser scores ~0.09 here (helper measurement); a fitted model far less.
    expect(energyDistance(samples, reference)).to.be.below(0.03);
    const logP = await model.logProb(reference.subarray(0, 200));
    expect(logP.every(Number.isFinite)).to.equal(true);
    model.dispose();
    data.dispose();
  });

  it('samples with the trained weights when EMA is off, and with imported weights after an import', async () => {
    const data = lab.dataset({ name: 'moons', seed: 2 });
    const spec = { family: 'diffusion', kind: 'flow-matching', hidden: 16, layers: 1 } as const;
    const trained = (await lab.createModel({ ...spec, seed: 4 })) as LabDiffusion;
    await lab.train(trained, data, {
      steps: 40,
      batch: 128,
      optimizer: { kind: 'adam', lr: 1e-2 },
    }).done;
    const weights = await trained.exportParams();
    const twin = (await lab.createModel({ ...spec, seed: 9 })) as LabDiffusion;
    const untrained = (await lab.createModel({ ...spec, seed: 4 })) as LabDiffusion;
    twin.importParams(weights);
    twin.normalization = trained.normalization;
    untrained.normalization = trained.normalization;
    const options = { sampler: 'euler', steps: 4, seed: 7 } as const;
    const [a, b] = await Promise.all([trained.sample(64, options), twin.sample(64, options)]);
    // The same weights draw the same samples: the trained model samples with what it learned.
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    // An import replaces the sampling weights too (the trained model's EMA must not linger).
    trained.importParams(await untrained.exportParams());
    const [c, d] = await Promise.all([trained.sample(64, options), untrained.sample(64, options)]);
    expect(Array.from(c)).to.deep.equal(Array.from(d));
    expect(Array.from(c)).to.not.deep.equal(Array.from(a));
    for (const m of [trained, twin, untrained]) m.dispose();
    data.dispose();
  });

  it('rejects bad diffusion specs with the same ModelSpecError as flows', async () => {
    const error = await lab.createModel({ family: 'diffusion', kind: 'ddpm', timesteps: 5 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ModelSpecError);
    expect((error as ModelSpecError).field).to.equal('timesteps');
    const family = await lab.createModel({ family: 'gan' } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((family as ModelSpecError).field).to.equal('family');
  });
});
