/**
 * PyTorch parity of the exported image flow (python/flowfield_torch/image_flows.py, NICE): the
 * numbers python/tests/make_image_fixtures.py wrote before this run (test/torch/run via
 * test/support/python-tests.mjs) against the playground's float64 twin
 * (src/models/image-flows/nice-reference.ts) on the same weights and images: the parameter
 * layout and initial weights, z and log p / bits/dim, the training loss and its gradient, one
 * Adam step (the lab's optimizer twin), and PyTorch's weights read back from a notebook file
 * (through the twin and the page's GPU model).
 */
import { expect } from '@esm-bundle/chai';
import {
  niceForwardCpu,
  niceLogProbCpu,
  niceLossGradCpu,
} from '../../src/models/image-flows/nice-reference';
import {
  niceDims,
  niceLayout,
  resolveNiceSpec,
  type NiceModelSpec,
} from '../../src/models/image-flows/nice-spec';
import { NiceModel } from '../../src/models/image-flows/nice-model';
import { createOptimizerTwin, optimizerStepTwin } from '../../src/nn/reference/optimizer';
import { resolveOptimizer } from '../../src/nn/optimizer-config';
import { notebookFromFile } from '../../src/notebook';
import { imageModelSpec } from '../../src/specs';
import { normRelativeError } from '../models/flows/layer-checks';
import { testGpu } from '../support/gpu';

interface ImageCase {
  spec: NiceModelSpec;
  layout: { name: string; shape: number[] }[];
  init: number[];
  params: number[];
  y: number[];
  batch: number;
  z: number[];
  logDet: number;
  logProb: number[];
  bitsPerDim: number[];
  loss: number;
  grads: number[];
  adam: { lr: number; loss: number; after: number[] };
}

interface Fixtures {
  torch: string;
  cases: Record<string, ImageCase>;
  notebook: { y: number[]; logProb: number[] };
}

let fixtures: Promise<Fixtures> | undefined;
function load(): Promise<Fixtures> {
  fixtures ??= fetch('/test/torch/generated/image-flows.json').then((r) => {
    if (!r.ok) {
      throw new Error(
        `test/torch/generated/image-flows.json is missing (HTTP ${r.status}): run the tests with ` +
          '`npm run test:browser`, which writes it with /usr/bin/python3 and PyTorch first.',
      );
    }
    return r.json() as Promise<Fixtures>;
  });
  return fixtures;
}

function worstAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const PRE_LOG_DET = (dims: number) => -dims * Math.log(256);

describe('PyTorch export: image flows (NICE) against the float64 twin', () => {
  for (const name of ['nice-logistic', 'nice-gaussian']) {
    it(`${name}: same parameter names, shapes, order and initial weights`, async () => {
      const c = (await load()).cases[name]!;
      const { layout } = niceLayout(resolveNiceSpec(c.spec));
      expect(layout.views.map((v) => ({ name: v.name, shape: [...v.shape] }))).to.deep.equal(
        c.layout,
      );
      expect(worstAbs(layout.initialize(c.spec.seed ?? 0), c.init), 'initial weights').to.equal(0);
    });

    it(`${name}: z, log|det|, log p and bits/dim within 1e-5 of the twin`, async () => {
      const c = (await load()).cases[name]!;
      const spec = resolveNiceSpec(c.spec);
      const dims = niceDims(spec);
      const forward = niceForwardCpu(spec, c.params, c.y, c.batch);
      expect(worstAbs(forward.z, c.z), 'z').to.be.below(1e-9);
      expect(Math.abs(forward.logDet - c.logDet), 'log|det|').to.be.below(1e-9);
      const logProb = niceLogProbCpu(
        spec,
        c.params,
        c.y,
        c.batch,
        new Float64Array(c.batch).fill(PRE_LOG_DET(dims)),
      );
      expect(worstAbs(logProb, c.logProb), 'log p (nats)').to.be.below(1e-5);
      const bits = Array.from(logProb, (lp) => -lp / (dims * Math.LN2));
      expect(worstAbs(bits, c.bitsPerDim), 'bits/dim').to.be.below(1e-5);
    });

    it(`${name}: the training loss and its gradient equal PyTorch autograd's (float32)`, async () => {
      const c = (await load()).cases[name]!;
      const spec = resolveNiceSpec(c.spec);
      const { loss, grads } = niceLossGradCpu(
        spec,
        c.params,
        c.y,
        c.batch,
        new Float64Array(c.batch).fill(PRE_LOG_DET(niceDims(spec))),
      );
      expect(Math.abs(loss - c.loss) / Math.abs(loss), 'loss (bits/dim)').to.be.below(1e-6);
      expect(normRelativeError(c.grads, grads), 'gradient').to.be.below(1e-4);
    });

    it(`${name}: one Adam step from the same weights and batch lands on PyTorch's weights`, async () => {
      const c = (await load()).cases[name]!;
      const spec = resolveNiceSpec(c.spec);
      const { loss, grads } = niceLossGradCpu(
        spec,
        c.params,
        c.y,
        c.batch,
        new Float64Array(c.batch).fill(PRE_LOG_DET(niceDims(spec))),
      );
      expect(Math.abs(loss - c.adam.loss), 'loss before the step').to.be.below(1e-9);
      const params = Float64Array.from(c.params);
      optimizerStepTwin(
        resolveOptimizer({ kind: 'adam', lr: c.adam.lr }),
        createOptimizerTwin(params),
        params,
        grads,
      );
      expect(worstAbs(params, c.adam.after), 'weights after the step').to.be.below(1e-9);
      // The step moved every weight with a gradient by about lr (Adam's first step).
      expect(worstAbs(params, c.params)).to.be.above(0.5 * c.adam.lr);
    });
  }

  it("PyTorch's weights written into the notebook file give the twin PyTorch's log p", async () => {
    const { notebook: trip } = await load();
    const text = await fetch('/test/torch/generated/image-notebook.flowfield.json').then((r) =>
      r.text(),
    );
    const { notebook, weights } = notebookFromFile(text);
    const model = notebook.cells.find((c) => c.kind === 'model');
    if (model?.kind !== 'model' || !model.model.image) throw new Error('no image Model cell');
    const entry = weights.find((w) => w.trainId === 'train-1')!;
    expect(entry.steps).to.equal(7);
    const spec = resolveNiceSpec(
      imageModelSpec(model.model.image, [1, 14, 14], model.model.seed) as NiceModelSpec,
    );
    expect(entry.params.length).to.equal(niceLayout(spec).layout.total);
    const batch = trip.logProb.length;
    const logProb = niceLogProbCpu(
      spec,
      entry.params,
      trip.y,
      batch,
      new Float64Array(batch).fill(PRE_LOG_DET(niceDims(spec))),
    );
    expect(worstAbs(logProb, trip.logProb), 'log p (nats)').to.be.below(1e-5);
    // The page's GPU model with those weights: the same log p in float32.
    const gpu = await NiceModel.create(await testGpu(), spec);
    try {
      gpu.importParams(entry.params);
      const onGpu = await gpu.forward(Float32Array.from(trip.y), PRE_LOG_DET(niceDims(spec)));
      // float32 sums of 196 terms of a log p near −1 440 nats: 10⁻⁵ relative (measured 3·10⁻⁷).
      const scale = Math.max(...trip.logProb.map(Math.abs));
      expect(worstAbs(onGpu.logProb, trip.logProb) / scale, 'GPU log p, relative').to.be.below(
        1e-5,
      );
    } finally {
      gpu.dispose();
    }
  });
});
