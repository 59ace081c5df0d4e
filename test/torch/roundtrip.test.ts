/**
 * PyTorch → playground: models trained by python/flowfield_torch (150 Adam steps, written by
 * python/tests/make_parity_fixtures.py as the playground's .safetensors) open in Flowfield from
 * the file alone (settings and normalisation from its metadata), and their samples (same seed,
 * same sampler) and log-densities agree with PyTorch's.
 */
import { expect } from '@esm-bundle/chai';
import { readSafetensors } from '../../src/notebook/safetensors';
import { notebookFromFile } from '../../src/notebook/files';
import { defaultNotebook } from '../../src/notebook/cells';
import { weightsForNotebook } from '../../src/notebook/weights-file';
import type { ModelSettings, Notebook } from '../../src/notebook/schema';
import { modelSpec } from '../../src/specs';
import { FlowModel } from '../../src/models/flows/flow-model';
import type { FlowModelSpec } from '../../src/models/flows/flow-spec';
import { DiffusionModel } from '../../src/models/diffusion/model';
import type { DiffusionModelSpec } from '../../src/models/diffusion/spec';
import type { FlowSampler } from '../../src/models/diffusion/plan';
import { testGpu } from '../support/gpu';
import { normRelativeError } from '../models/flows/layer-checks';

interface Trip {
  settings: ModelSettings;
  z?: number[];
  inverse?: number[];
  points?: number[];
  logProb?: number[];
  logProbSteps?: number;
  seed?: number;
  sampler?: string;
  steps?: number;
  samples?: number[];
}

async function load(name: string) {
  const [trips, bytes] = await Promise.all([
    fetch('/test/torch/generated/roundtrip.json').then(
      (r) => r.json() as Promise<Record<string, Trip>>,
    ),
    fetch(`/test/torch/generated/${name}.safetensors`).then((r) => r.arrayBuffer()),
  ]);
  const file = readSafetensors(new Uint8Array(bytes));
  const settings = JSON.parse(file.metadata['flowfield.model']!) as ModelSettings;
  // Through Files → Open weights: a notebook whose Model cell has the trip's settings (another
  // seed: the seed does not change the layout) takes the file as the app would.
  const opened = weightsForNotebook(new Uint8Array(bytes), notebookWith({ ...settings, seed: 1 }));
  expect(opened.trainId).to.equal('train-1');
  return {
    trip: trips[name]!,
    file,
    settings,
    normalization: opened.normalization,
    params: opened.params,
  };
}

function notebookWith(model: ModelSettings): Notebook {
  const notebook = defaultNotebook();
  return {
    ...notebook,
    cells: notebook.cells.map((c) => (c.kind === 'model' ? { ...c, model } : c)),
  };
}

function worstAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('PyTorch-trained weights open in the playground', () => {
  it('the .flowfield.json PyTorch writes opens with its weights in place (Files → Open file…)', async () => {
    const trips = await fetch('/test/torch/generated/roundtrip.json').then((r) => r.json());
    const trip = trips.notebook as {
      trainId: string;
      start: number[];
      points: number[];
      logProb: number[];
    };
    const text = await fetch('/test/torch/generated/roundtrip-notebook.flowfield.json').then((r) =>
      r.text(),
    );
    const gallery = await fetch('/public/gallery/nice-moons.flowfield.json').then((r) => r.text());
    const { notebook, weights } = notebookFromFile(text);
    expect(notebook).to.deep.equal(notebookFromFile(gallery).notebook);
    const entry = weights.find((w) => w.trainId === trip.trainId)!;
    expect(entry.steps).to.equal(notebookFromFile(gallery).weights[0]!.steps + 30);
    expect(normRelativeError(entry.params, trip.start), 'trained further').to.be.above(1e-4);
    const model = notebook.cells.find((c) => c.kind === 'model')!;
    if (model.kind !== 'model') throw new Error('no Model cell');
    const gpu = await testGpu();
    const flow = await FlowModel.create(gpu, modelSpec(model.model) as FlowModelSpec);
    flow.importParams(entry.params);
    flow.normalization = entry.normalization;
    const logProb = await flow.logProb(trip.points);
    flow.dispose();
    expect(worstAbs(logProb, trip.logProb), 'log p (nats)').to.be.below(1e-4);
  });

  for (const kind of ['spline', 'glow']) {
    it(`${kind}: log p and the sampling map equal PyTorch's`, async () => {
      const { trip, settings, normalization, params, file } = await load(`roundtrip-${kind}`);
      expect(settings).to.deep.equal(trip.settings);
      expect(file.metadata['flowfield.steps']).to.equal('150');
      const gpu = await testGpu();
      const model = await FlowModel.create(gpu, modelSpec(settings) as FlowModelSpec);
      model.importParams(params);
      model.normalization = normalization;
      const [logProb, inverse] = await Promise.all([
        model.logProb(trip.points!),
        model.inverse(trip.z!),
      ]);
      model.dispose();
      const worst = worstAbs(logProb, trip.logProb!);
      console.log(`[torch round trip] ${kind}: max |Δ log p| ${worst.toExponential(2)} nats`);
      expect(worst, 'log p (nats)').to.be.below(1e-4);
      expect(normRelativeError(inverse, trip.inverse!), 'samples from the same z').to.be.below(
        1e-5,
      );
    });
  }

  for (const kind of ['flow-matching', 'ddpm']) {
    it(`${kind}: samples from the same seed${kind === 'flow-matching' ? ' and log p' : ''} equal PyTorch's`, async () => {
      const { trip, settings, normalization, params } = await load(`roundtrip-${kind}`);
      const gpu = await testGpu();
      const model = await DiffusionModel.create(gpu, modelSpec(settings) as DiffusionModelSpec);
      model.importParams(params);
      model.normalization = normalization;
      const samples = await model.sample(trip.samples!.length / 2, {
        sampler: trip.sampler as FlowSampler,
        steps: trip.steps!,
        seed: trip.seed!,
      });
      const logProb =
        trip.logProb &&
        (await model.logProb(trip.points!, { steps: trip.logProbSteps!, solver: 'rk4' }));
      model.dispose();
      const sampleError = normRelativeError(samples, trip.samples!);
      console.log(
        `[torch round trip] ${kind}: ‖Δ samples‖/‖samples‖ ${sampleError.toExponential(2)} (max |Δ| ${worstAbs(samples, trip.samples!).toExponential(2)})` +
          (logProb
            ? `, max |Δ log p| ${worstAbs(logProb, trip.logProb!).toExponential(2)} nats`
            : ''),
      );
      // The time features' float32 frequencies on the GPU (see parity.test.ts) limit agreement.
      expect(sampleError, 'samples').to.be.below(1e-3);
      if (logProb) expect(worstAbs(logProb, trip.logProb!), 'log p (nats)').to.be.below(1e-3);
    });
  }
});
