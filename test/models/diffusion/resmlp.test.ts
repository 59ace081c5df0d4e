import { expect } from '@esm-bundle/chai';
import { Dataset } from '../../../src/data/dataset';
import { DiffusionModel } from '../../../src/models/diffusion/model';
import { diffusionLikelihoodPlan, diffusionSamplePlan } from '../../../src/models/diffusion/plan';
import {
  initialNoise,
  mlpDenoiser,
  runPlan,
} from '../../../src/models/diffusion/reference/plan-runner';
import type { DiffusionModelSpec } from '../../../src/models/diffusion/spec';
import { linearLayers, type MlpShape } from '../../../src/nn/mlp-shape';
import {
  denseBackward,
  denseForward,
  residualBackward,
  residualForward,
} from '../../../src/nn/reference/dense';
import { embedConcatForward } from '../../../src/nn/reference/embedding';
import { Trainer } from '../../../src/nn/trainer';
import { testGpu } from '../../support/gpu';
import { readFloats, testValues } from '../../support/gpu-helpers';

const RESMLP: DiffusionModelSpec = {
  family: 'diffusion',
  kind: 'ddpm',
  timesteps: 50,
  prediction: 'v',
  architecture: 'resmlp',
  hidden: 16,
  layers: 2,
  timeEmbedding: 8,
  seed: 4,
};

/** max |a − b| / max(1, |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return w;
}

/**
 * The resmlp's float64 twin built from the engine's layer twins (dense in, residual blocks,
 * dense out) — independent of the chain view that mlpDenoiser and the JVP kernel use.
 * Returns the output and dL/dθ of L = mean over batch and coordinates of (y − target)².
 */
function resmlpTwin(
  params: ArrayLike<number>,
  chain: MlpShape,
  blocks: number,
  input: Float64Array,
  batch: number,
  targets: ArrayLike<number>,
) {
  const layers = linearLayers(chain);
  const h = chain.hidden;
  const block: MlpShape = { ...chain, inputs: h, hiddenLayers: 1, outputs: h };
  const first = layers[0]!;
  const last = layers.at(-1)!;
  const inLayer = denseForward(
    params,
    first.weightOffset,
    first.biasOffset,
    chain.inputs,
    h,
    'identity',
    input,
    batch,
  );
  let x = inLayer.y;
  const caches = [];
  for (let k = 0; k < blocks; k++) {
    const r = residualForward(params, layers[1 + 2 * k]!.weightOffset, block, x, batch);
    caches.push(r.cache);
    x = r.y;
  }
  const out = denseForward(params, last.weightOffset, last.biasOffset, h, 2, 'identity', x, batch);
  const dy = out.y.map((v, i) => (2 * (v - targets[i]!)) / (2 * batch));
  const grads = new Float64Array(params.length);
  let g = denseBackward(
    params,
    last.weightOffset,
    last.biasOffset,
    h,
    2,
    'identity',
    out.cache,
    dy,
    batch,
    grads,
  );
  for (let k = blocks - 1; k >= 0; k--) {
    g = residualBackward(
      params,
      layers[1 + 2 * k]!.weightOffset,
      block,
      caches[k]!,
      g,
      batch,
      grads,
    );
  }
  denseBackward(
    params,
    first.weightOffset,
    first.biasOffset,
    chain.inputs,
    h,
    'identity',
    inLayer.cache,
    g,
    batch,
    grads,
  );
  return { y: out.y, grads };
}

describe("denoiser architecture 'resmlp' (residual blocks of the engine's fused MLP)", () => {
  it('one training step: prediction and dL/dθ on the GPU equal the float64 layer twins', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { name: 'moons', seed: 2 });
    const model = await DiffusionModel.create(gpu, RESMLP);
    const params = await model.exportParams();
    const batch = 48;
    const sampler = await dataset.sampler();
    const trainer = await Trainer.create(
      gpu,
      (state) => model.createTrainingTask(state, sampler, { batch, seed: 5, maxStepsPerSubmit: 2 }),
      { optimizer: { kind: 'sgd', lr: 0.01 } },
    );
    expect(trainer.task.gradientChunks, 'one gradient chunk at this batch').to.equal(1);
    trainer.submit(1);
    const { noised, netTime, targets, output } = trainer.task.buffers;
    const [xt, time, target, prediction, grads] = await Promise.all([
      readFloats(gpu, noised, 2 * batch),
      readFloats(gpu, netTime, batch),
      readFloats(gpu, targets, 2 * batch),
      readFloats(gpu, output, 2 * batch),
      gpu.readback.readFloat32(trainer.task.grads, 0, model.parameterCount),
    ]);
    const input = embedConcatForward(model.embedding, xt, time, batch);
    const twin = resmlpTwin(params, model.shape, RESMLP.layers!, input, batch, target);
    trainer.dispose();
    model.dispose();
    dataset.dispose();
    // The GPU embeds t with f32 sin/cos of arguments up to 10³ (≈1e-4 absolute), the twin in
    // float64; a dropped skip or a wrong offset changes outputs and a layer's gradients by O(1).
    expect(worst(prediction, twin.y)).to.be.below(1e-3);
    // Per linear layer, relative to that layer's largest gradient.
    for (const [l, layer] of linearLayers(model.shape).entries()) {
      const range = [layer.weightOffset, layer.biasOffset + layer.outputs] as const;
      const gpuPart = grads.subarray(...range);
      const twinPart = twin.grads.subarray(...range);
      const scale = Math.max(...twinPart.map(Math.abs));
      let error = 0;
      gpuPart.forEach((v, i) => (error = Math.max(error, Math.abs(v - twinPart[i]!) / scale)));
      expect(scale, `layer ${l} gradient scale`).to.be.above(1e-4);
      expect(error, `layer ${l}`).to.be.below(1e-3);
    }
  });

  it('the twin’s exact Jacobian equals central finite differences of its output', () => {
    const chain: MlpShape = {
      inputs: 6,
      hidden: 8,
      hiddenLayers: 5,
      outputs: 2,
      activation: 'silu',
    };
    const embedding = { dims: 2, features: 4, scale: 10, maxPeriod: 1e4 };
    const count = linearLayers(chain).reduce((s, l) => s + (l.inputs + 1) * l.outputs, 0);
    const params = testValues(count, 21, 0.6);
    const net = mlpDenoiser(params, 0, chain, embedding, true);
    const time = { net: 7, alphaBar: 0.5, t: 0.3 };
    const point = Float64Array.from([0.4, -0.7]);
    const { jacobian } = net.evaluate(point, 1, time, true);
    const h = 1e-6;
    for (let k = 0; k < 2; k++) {
      const at = (sign: number) => {
        const p = Float64Array.from(point);
        p[k] = p[k]! + sign * h;
        return net.evaluate(p, 1, time, false).out;
      };
      const [plus, minus] = [at(1), at(-1)];
      for (let i = 0; i < 2; i++) {
        expect(jacobian![2 * i + k]).to.be.closeTo((plus[i]! - minus[i]!) / (2 * h), 1e-6);
      }
    }
  });

  it('samples (DDIM) and log p (exact divergence through the blocks) equal the twin', async () => {
    const gpu = await testGpu();
    const model = await DiffusionModel.create(gpu, RESMLP);
    const params = await model.exportParams();
    const twin = mlpDenoiser(params, 0, model.shape, model.embedding, true);
    const n = 30;
    const samples = await model.sample(n, { sampler: 'ddim', steps: 8, eta: 0.5, seed: 3 });
    const points = testValues(2 * 20, 8, 2);
    const logProb = await model.logProb(points, { steps: 5 });
    model.dispose();
    const samplePlan = diffusionSamplePlan(model.schedule!, 'v', {
      sampler: 'ddim',
      steps: 8,
      eta: 0.5,
    });
    const likelihood = diffusionLikelihoodPlan(model.schedule!, 'v', { steps: 5 });
    expect(worst(samples, runPlan(samplePlan, twin, initialNoise(3, n), n, 3).x)).to.be.below(5e-4);
    expect(worst(logProb, runPlan(likelihood, twin, points, 20).logProb!)).to.be.below(5e-4);
  });

  it('learns: flow matching on moons lowers its loss within 300 steps', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { name: 'moons', seed: 3 });
    const model = await DiffusionModel.create(gpu, {
      family: 'diffusion',
      kind: 'flow-matching',
      architecture: 'resmlp',
      hidden: 32,
      layers: 2,
      seed: 1,
    });
    const sampler = await dataset.sampler();
    const trainer = await Trainer.create(
      gpu,
      (state) =>
        model.createTrainingTask(state, sampler, { batch: 256, seed: 2, maxStepsPerSubmit: 100 }),
      { optimizer: { kind: 'adam', lr: 3e-3 }, maxStepsPerSubmit: 100 },
    );
    const chunks = await trainer.train(300);
    const losses = chunks.flatMap((c) => Array.from(c.losses));
    trainer.dispose();
    model.dispose();
    dataset.dispose();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const head = mean(losses.slice(0, 20));
    const tail = mean(losses.slice(-50));
    // The flow-matching loss cannot fall below the conditional variance (~1 for moons) —
    // a drop from the random start (~2–3) to well under 1.5 means the blocks learn.
    expect(losses.length).to.equal(300);
    expect(tail, `loss ${head} → ${tail}`).to.be.below(0.75 * head);
  });
});
