import { expect } from '@esm-bundle/chai';
import { proxy, type Remote } from 'comlink';
import type { LabApi, RunProgress } from '../../src/worker/api';
import type { WorkerHandle } from '../../src/worker/client';
import { openLab, type Lab } from '../../src/lab/lab';
import type { LabImageFlowMatching } from '../../src/lab/image-diffusion';
import { imageFrechetDistance } from '../../src/lab/image-frechet';
import type { ImageSet } from '../../src/data/images/image-set';
import { rejection, startLabWorker } from './helpers';

/**
 * 24 grey 4×4 images: a bright 2×2 block in one of four corners on a dark ground, with a little
 * deterministic texture: structure a tiny model learns within tens of steps.
 */
function tinySet(): ImageSet {
  const count = 24;
  const pixels = new Uint8Array(count * 16);
  for (let n = 0; n < count; n++) {
    const corner = n % 4;
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const top = corner < 2;
        const left = corner % 2 === 0;
        const inBlock = y < 2 === top && x < 2 === left;
        pixels[n * 16 + y * 4 + x] = (inBlock ? 200 : 30) + ((n * 7 + y * 5 + x * 3) % 17);
      }
    }
  }
  // Labelled by corner (4 classes), for the class-conditional models.
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 4);
  return { count, channels: 1, height: 4, width: 4, pixels, labels };
}

const NICE = {
  family: 'image-flow',
  kind: 'nice',
  shape: [1, 4, 4],
  layers: 2,
  hidden: 16,
  hiddenLayers: 1,
  seed: 3,
} as const;
const FM = {
  family: 'image-diffusion',
  kind: 'flow-matching',
  shape: [1, 4, 4],
  channels: 4,
  seed: 3,
} as const;
/** The multi-scale flows at their smallest: one squeeze of the 4×4 images, width 4. */
const REALNVP = {
  family: 'image-flow',
  kind: 'realnvp',
  shape: [1, 4, 4],
  scales: 2,
  couplingsPerScale: 1,
  channels: 4,
  seed: 3,
} as const;
const GLOW = {
  family: 'image-flow',
  kind: 'glow',
  shape: [1, 4, 4],
  levels: 1,
  stepsPerLevel: 2,
  channels: 4,
  prior: 'logistic',
  seed: 3,
} as const;
/** A DDPM with T = 50 (cosine), so that the ancestral sampler is cheap on SwiftShader. */
const DDPM = {
  family: 'image-diffusion',
  kind: 'ddpm',
  shape: [1, 4, 4],
  channels: 4,
  schedule: 'cosine',
  timesteps: 50,
  seed: 3,
} as const;
/** Class-conditional (the corners), trained with the null class a quarter of the time. */
const FM_CONDITIONAL = { ...FM, classes: 4, pUncond: 0.25 } as const;
const DDPM_CONDITIONAL = { ...DDPM, classes: 4, pUncond: 0.25 } as const;
type TinySpec =
  | typeof NICE
  | typeof FM
  | typeof REALNVP
  | typeof GLOW
  | typeof DDPM
  | typeof FM_CONDITIONAL
  | typeof DDPM_CONDITIONAL;
const OPTIONS = { steps: 60, batch: 8, optimizer: { kind: 'adam' as const, lr: 1e-2 } };

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('image models through the worker API (createRun, step, sample)', () => {
  let worker: WorkerHandle;
  let api: Remote<LabApi>;
  let lab: Lab;
  before(async () => {
    worker = startLabWorker();
    api = worker.api;
    lab = await openLab();
  });
  after(() => {
    worker.terminate();
    lab.dispose();
  });

  /** Trains `spec` on the tiny set through the worker; the losses in the order reported. */
  async function trainThroughWorker(spec: TinySpec, steps: number) {
    const set = await api.openImageSet({ images: tinySet(), seed: 1 });
    const model = await api.createModel(spec);
    const losses: number[] = [];
    const run = await api.createRun(
      model.id,
      set.id,
      { ...OPTIONS, steps, progressIntervalMs: 0 },
      proxy((p: RunProgress) => void losses.push(...p.losses)),
    );
    const end = await api.step(run, steps);
    // Progress crosses its own port: wait until every loss arrived.
    for (let i = 0; i < 100 && losses.length < steps; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return { set, model, run, end, losses };
  }

  it('NICE trains on an image set: every step’s loss (bits/dim) arrives and falls', async () => {
    const { model, end, losses } = await trainThroughWorker(NICE, 60);
    expect(model.spec).to.deep.include({ family: 'image-flow', kind: 'nice', shape: [1, 4, 4] });
    expect(model.parameterCount).to.equal(2 * (9 * 16 + 17 * 8) + 16);
    expect(end).to.deep.include({ state: 'done', step: 60 });
    expect(losses).to.have.length(60);
    // An untrained NICE is the identity z = y = (v + u) / 256: the first step's loss is the
    // closed form 8 − log2 p_logistic(y) per pixel (u ≈ ½ on average; all images cost alike).
    const { pixels } = tinySet();
    const closedForm = mean(
      Array.from(pixels, (v) => {
        const y = (v + 0.5) / 256;
        return 8 + (y + 2 * Math.log1p(Math.exp(-y))) / Math.LN2;
      }),
    );
    expect(losses[0]).to.be.closeTo(closedForm, 0.05);
    const last = mean(losses.slice(-5));
    expect(last).to.be.below(closedForm - 0.3);
  });

  it('the worker’s samples are the lab’s samples of the same weights and seed', async () => {
    for (const [spec, options] of [
      [NICE, { seed: 5, temperature: 0.7 }],
      [FM, { seed: 5, sampler: 'euler', steps: 3 }],
      [REALNVP, { seed: 5, temperature: 0.7 }],
      [GLOW, { seed: 5, temperature: 0.7 }],
      [DDPM, { seed: 6, sampler: 'ddim', steps: 4 }],
      [DDPM, { seed: 5, sampler: 'ddpm' }],
    ] as const) {
      // A DDPM's ε-net needs more steps than 10 before its samples leave the clip at 0 and 1.
      const trained = await trainThroughWorker(spec, 10);
      const fromWorker = await api.sample(trained.model.id, 3, options);
      expect(fromWorker.length).to.equal(3 * 16);
      const twin = await lab.createModel(spec as never);
      twin.importParams(new Float32Array(await api.exportParams(trained.model.id)));
      const fromLab = await (
        twin as { sample(n: number, o: object): Promise<Float32Array> }
      ).sample(3, options);
      expect(Array.from(fromWorker), `${spec.kind} ${JSON.stringify(options)}`).to.deep.equal(
        Array.from(fromLab),
      );
      // The ancestral sampler of a barely trained ε-net divides by √α_t at each of its T steps:
      // its pixels leave [0, 1] and are clipped to 0 or 1, so only a not-constant image is asked.
      const ancestral = 'sampler' in options && options.sampler === 'ddpm';
      expect(
        new Set(fromWorker).size,
        `${spec.kind} ${JSON.stringify(options)}: not a constant image`,
      ).to.be.above(ancestral ? 1 : 10);
      twin.dispose();
    }
  });

  it('class-conditional samples with guidance (and Heun) are the lab’s, bit for bit', async () => {
    for (const [spec, options] of [
      [FM_CONDITIONAL, { seed: 5, sampler: 'heun', steps: 3, classes: [0, 3, 1], guidance: 2.5 }],
      [FM_CONDITIONAL, { seed: 5, sampler: 'heun', steps: 3, classes: 2, guidance: 0 }],
      [DDPM_CONDITIONAL, { seed: 6, sampler: 'ddim', steps: 4, classes: [1, 1, 2], guidance: 3 }],
    ] as const) {
      const trained = await trainThroughWorker(spec, 10);
      const fromWorker = await api.sample(trained.model.id, 3, options);
      const twin = await lab.createModel(spec as never);
      twin.importParams(new Float32Array(await api.exportParams(trained.model.id)));
      const sample = (o: object) =>
        (twin as { sample(n: number, o: object): Promise<Float32Array> }).sample(3, o);
      const what = `${spec.kind} ${JSON.stringify(options)}`;
      expect(Array.from(fromWorker), what).to.deep.equal(Array.from(await sample(options)));
      expect(new Set(fromWorker).size, `${what}: not a constant image`).to.be.above(10);
      // The guidance reaches the sampler: another scale gives other images.
      const other = await api.sample(trained.model.id, 3, { ...options, guidance: 1.5 });
      expect(Array.from(other), what).to.not.deep.equal(Array.from(fromWorker));
      twin.dispose();
    }
  });

  it('held-out bits/dim of a trained RealNVP equal the lab’s, and fall below the untrained one’s', async () => {
    const { model } = await trainThroughWorker(REALNVP, 20);
    const held = await api.openImageSet({ images: tinySet(), seed: 2 });
    const fromWorker = await api.imageBitsPerDim(model.id, held.id, { count: 12, seed: 4 });
    const twin = await lab.createModel(REALNVP);
    twin.importParams(new Float32Array(await api.exportParams(model.id)));
    const fromLab = await twin.bitsPerDim(lab.dataset({ images: tinySet(), seed: 2 }), {
      count: 12,
      seed: 4,
    });
    expect(fromWorker).to.deep.equal(fromLab);
    const untrained = await api.createModel(REALNVP);
    const before = await api.imageBitsPerDim(untrained.id, held.id, { count: 12, seed: 4 });
    expect(fromWorker.mean).to.be.below(before.mean);
    twin.dispose();
  });

  it('held-out bits/dim of a trained NICE equal the lab’s on the same weights and images', async () => {
    const { set, model } = await trainThroughWorker(NICE, 20);
    const held = await api.openImageSet({ images: tinySet(), seed: 2 });
    const fromWorker = await api.imageBitsPerDim(model.id, held.id, { count: 12, seed: 4 });
    const twin = await lab.createModel(NICE);
    twin.importParams(new Float32Array(await api.exportParams(model.id)));
    const images = lab.dataset({ images: tinySet(), seed: 2 });
    const fromLab = await twin.bitsPerDim(images, { count: 12, seed: 4 });
    expect(fromWorker).to.deep.equal(fromLab);
    expect(fromWorker.count).to.equal(12);
    // Trained for 20 steps: below the untrained identity's cost (the first loss, ≈ 10 bits/dim).
    const untrained = await api.createModel(NICE);
    const before = await api.imageBitsPerDim(untrained.id, held.id, { count: 12, seed: 4 });
    expect(fromWorker.mean).to.be.below(before.mean);
    const ddpm = await api.createModel(DDPM);
    expect((await rejection(api.imageBitsPerDim(ddpm.id, set.id))).message).to.match(
      /neither an image flow nor a flow-matching model/,
    );
    twin.dispose();
  });

  it('flow matching’s held-out bits/dim through the ODE equal the lab’s on the same weights', async () => {
    const { model } = await trainThroughWorker(FM, 10);
    const held = await api.openImageSet({ images: tinySet(), seed: 2 });
    const options = { count: 6, seed: 4, probes: 2, sampler: 'euler' as const, steps: 3 };
    const fromWorker = await api.imageBitsPerDim(model.id, held.id, options);
    const twin = (await lab.createModel(FM)) as LabImageFlowMatching;
    twin.importParams(new Float32Array(await api.exportParams(model.id)));
    const fromLab = await twin.bitsPerDim(lab.dataset({ images: tinySet(), seed: 2 }), options);
    expect(fromWorker).to.deep.equal(fromLab);
    expect(fromWorker).to.deep.include({ count: 6, probes: 2, nfe: 3 });
    expect(fromWorker.traceStandardError).to.be.above(0);
    twin.dispose();
  });

  it('the Fréchet distance of a model’s samples equals the lab’s of the same samples and test images', async () => {
    const spec = { ...NICE, shape: [1, 14, 14] } as const;
    const model = await api.createModel(spec);
    const held = await api.openImageSet({ name: 'mnist', size: 14, split: 'test' });
    const fromWorker = await api.imageFrechet(model.id, held.id, {
      count: 40,
      sample: { seed: 3 },
    });
    const twin = await lab.createModel(spec);
    twin.importParams(new Float32Array(await api.exportParams(model.id)));
    const samples = await twin.sample(40, { seed: 3 });
    const fromLab = await imageFrechetDistance(
      samples,
      lab.dataset({ name: 'mnist', size: 14, split: 'test' }),
    );
    expect(fromWorker).to.deep.equal(fromLab);
    expect(fromWorker).to.deep.include({ count: 40, featureDims: 32, set: 'mnist' });
    expect(fromWorker.distance).to.be.above(0);
    const custom = await api.openImageSet({ images: tinySet(), seed: 2 });
    const tiny = await api.createModel(NICE);
    expect((await rejection(api.imageFrechet(tiny.id, custom.id, { count: 4 }))).message).to.match(
      /needs a shipped set's classifier/,
    );
    twin.dispose();
  });

  it('imported weights (a link, a file, the gallery) make a done run that samples the same images', async () => {
    const trained = await trainThroughWorker(NICE, 10);
    const params = await api.exportParams(trained.model.id);
    const before = await api.sample(trained.model.id, 2, { seed: 8, temperature: 0.5 });
    const fresh = await api.createModel(NICE);
    const run = await api.createRun(fresh.id, trained.set.id, OPTIONS);
    const report = await api.importRunWeights(run, params, {
      step: 10,
      normalization: { shift: [0, 0], scale: [1, 1] },
    });
    expect(report).to.deep.include({ state: 'done', step: 10 });
    expect(Array.from(await api.sample(fresh.id, 2, { seed: 8, temperature: 0.5 }))).to.deep.equal(
      Array.from(before),
    );
    // Training on from the import continues at step 10.
    expect(await api.step(run, 3)).to.deep.include({ step: 13 });
  });

  it('a misfit model and data are refused before any GPU work, saying what fits', async () => {
    const set = await api.openImageSet({ images: tinySet(), seed: 1 });
    const points = await api.createDataset({ name: 'moons', seed: 0 });
    const nice = await api.createModel(NICE);
    const flow = await api.createModel({
      family: 'flow',
      kind: 'nice',
      layers: 2,
      hidden: 8,
      seed: 0,
    });
    const wide = await api.createModel({ ...NICE, shape: [1, 6, 6] });
    expect((await rejection(api.createRun(nice.id, points.id, OPTIONS))).message).to.match(
      /learns 1×4×4 images, so it trains on an image set \(openImageSet\), not on dataset:/,
    );
    expect((await rejection(api.createRun(flow.id, set.id, OPTIONS))).message).to.match(
      /is an image set, and this is a 2-D 'nice' model; image sets train image models/,
    );
    expect((await rejection(api.createRun(wide.id, set.id, OPTIONS))).message).to.match(
      /shape \[1, 6, 6\].*does not match the dataset .* of shape \[1, 4, 4\]/,
    );
    // 2-D views refuse an image model readably.
    expect((await rejection(api.logProb(nice.id, new Float32Array(2)))).message).to.match(
      /is an image model of 1×4×4 images: it has no logProb of 2-D points/,
    );
  });
});
