/**
 * The Compare cell over image models: each model measured with its View cell's sampler (NFE by
 * hand: a flow 1, flow matching RK4 4 × steps), its held-out bits/dim (exact, or the ODE's ± SE),
 * its Fréchet figure and a sample grid, shown side by side.
 */
import { expect, fixture, html } from '@open-wc/testing';
import {
  createCell,
  defaultImageModel,
  defaultNotebook,
  type Cell,
  type ModelCell,
  type Notebook,
  type ViewCell,
} from '../../../src/notebook';
import '../../../src/ui/compare-cell/compare-cell';
import type { FfCompareCell } from '../../../src/ui/compare-cell/compare-cell';
import {
  comparePlan,
  compareCandidates,
  computeComparison,
  runKey,
  type TrainedRun,
} from '../../../src/ui/compare-cell/comparison';
import { imageNfe } from '../../../src/ui/compare-cell/image-comparison';
import { fmNfe } from '../../../src/models/image-diffusion/fm-model';
import type {
  FrechetFigure,
  HeldOutEstimate,
  ImageSampleRequest,
  ImageSamples,
} from '../../../src/ui/controllers/lab-client';
import { FakeLabClient } from '../support/fake-lab-client';

const SHAPE = [1, 14, 14] as const;

class ImageClient extends FakeLabClient {
  readonly imageRequests: [string, number, ImageSampleRequest][] = [];
  async sampleImages(
    runId: string,
    count: number,
    request: ImageSampleRequest,
  ): Promise<ImageSamples> {
    this.imageRequests.push([runId, count, request]);
    return {
      count,
      shape: SHAPE,
      values: new Float32Array(count * 196).fill(runId === 'train-1' ? 0.25 : 0.75),
    };
  }
  async heldOutBits(runId: string): Promise<HeldOutEstimate | undefined> {
    if (runId === 'train-1') return { bits: 1.2, standardError: 0.01, count: 256 };
    if (runId === 'train-2') {
      return {
        bits: 1.5,
        standardError: 0.05,
        count: 8,
        ode: { probes: 2, sampler: 'heun', steps: 3 },
      };
    }
    return undefined;
  }
  async frechet(runId: string, count: number): Promise<FrechetFigure> {
    return {
      distance: runId === 'train-1' ? 12.5 : 7.25,
      count,
      featureDims: 32,
      set: 'mnist',
      classifierAccuracy: 0.93,
    };
  }
  async parameterCount(runId: string): Promise<number> {
    return runId.length * 100;
  }
}

/** An MNIST 14×14 Data cell, then NICE, flow matching (RK4, 10 steps) and a DDPM, then Compare. */
function imageNotebook(): Notebook {
  const data = createCell('data', 'data-1') as Cell & { kind: 'data' };
  const cells: Cell[] = [{ ...data, source: { kind: 'images', name: 'mnist', size: 14, seed: 1 } }];
  (['nice', 'flow-matching', 'ddpm'] as const).forEach((kind, i) => {
    const model = createCell('model', `model-${i + 1}`) as ModelCell;
    cells.push({ ...model, model: { ...model.model, image: defaultImageModel(kind, SHAPE) } });
    cells.push(createCell('train', `train-${i + 1}`));
    const view = createCell('view', `view-${i + 1}`) as ViewCell;
    cells.push(kind === 'flow-matching' ? { ...view, sampler: 'rk4', samplerSteps: 10 } : view);
  });
  cells.push(createCell('compare', 'compare-1'));
  return { ...defaultNotebook(), cells };
}

describe('Compare cell over image models', () => {
  it('measures each model with its View cell’s sampler and shows bits/dim, Fréchet, NFE and a grid', async () => {
    const notebook = imageNotebook();
    const keys = new Map(
      compareCandidates(notebook, 'compare-1').map((c) => [c.trainId, runKey(c)]),
    );
    const runs = (id: string): TrainedRun => ({
      state: 'done',
      step: 300,
      stepsPerSecond: 5,
      key: keys.get(id),
    });
    const cell = notebook.cells.at(-1) as Parameters<typeof comparePlan>[1];
    const plan = comparePlan(notebook, cell, runs);
    if (!('targets' in plan)) throw new Error(plan.error);
    const client = new ImageClient();
    const result = await computeComparison(client, notebook, cell, plan.targets, runs);
    expect(result.rows).to.deep.equal([]);
    const [nice, fm, ddpm] = result.images!;
    expect(nice!.nfe).to.equal(1);
    expect(fm!.nfe, 'RK4, 10 steps').to.equal(40);
    // A DDPM's View cell default: DDIM with min(steps, T) steps.
    expect(ddpm!.nfe).to.equal(ddpm!.request.steps);
    // Its ancestral sampler: all T = 1000 steps.
    const ddpmModel = (notebook.cells[7] as ModelCell).model;
    expect(imageNfe(ddpmModel, { seed: 0, sampler: 'ddpm' })).to.equal(1000);
    // Every solver, and guidance (classes: conditional and unconditional net per stage), against
    // the library's own count.
    const fmModel = (notebook.cells[4] as ModelCell).model;
    for (const sampler of ['euler', 'heun', 'rk4'] as const) {
      expect(imageNfe(fmModel, { seed: 0, sampler, steps: 8 }), sampler).to.equal(
        fmNfe(sampler, 8),
      );
      expect(
        imageNfe(fmModel, { seed: 0, sampler, steps: 8, classes: 3, guidance: 2 }),
        `${sampler}, guided`,
      ).to.equal(fmNfe(sampler, 8, { classes: [3], scale: 2 }));
    }
    expect(
      imageNfe(ddpmModel, { seed: 0, sampler: 'ddpm', classes: [1, 2], guidance: 0 }),
    ).to.equal(2000);
    expect(client.imageRequests.map(([id, count, r]) => [id, count, r.sampler])).to.deep.equal([
      ['train-1', 16, undefined],
      ['train-2', 16, 'rk4'],
      ['train-3', 16, 'ddim'],
    ]);
    expect(ddpm!.heldOut, 'no likelihood for a DDPM').to.equal(undefined);
    expect(fm!.frechet!.count).to.equal(100);

    const el = await fixture<FfCompareCell>(
      html`<ff-compare-cell .cell=${cell} .comparison=${result}></ff-compare-cell>`,
    );
    const row = (id: string) => el.shadowRoot!.querySelector(`tr[data-train-id="${id}"]`)!;
    expect(row('train-1').querySelector('.bits')!.textContent!.trim()).to.equal('1.200 (exact)');
    expect(row('train-2').querySelector('.bits')!.textContent!.trim()).to.equal(
      '1.500 ± 0.050 (ODE)',
    );
    expect(row('train-3').querySelector('.bits')!.textContent!.trim()).to.equal('—');
    expect(row('train-1').querySelector('.frechet')!.textContent!.trim()).to.equal('12.50');
    expect(row('train-2').querySelector('.nfe')!.textContent!.trim()).to.equal('40');
    const grids = [...el.shadowRoot!.querySelectorAll('img.sample-grid')] as HTMLImageElement[];
    expect(grids).to.have.length(3);
    expect(grids[1]!.alt).to.equal('16 images sampled from ' + fm!.label);
    await expect(el).to.be.accessible();
  });
});
