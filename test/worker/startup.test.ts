import { expect } from '@esm-bundle/chai';
import { ParameterLayout } from '../../src/nn/parameters';
import { buildFlowLayers, resolveFlowSpec } from '../../src/models/flows/flow-spec';
import { pixelsDifferentFrom } from '../render/pixels';
import { testValues } from '../support/gpu-helpers';
import { createTestView, startLabWorker } from './helpers';

const SPEC = { family: 'flow', kind: 'realnvp', layers: 4, hidden: 16, seed: 7 } as const;

/** Parameters as a saved notebook would hold them (made on the page, without a GPU). */
function pretrainedParams(): ArrayBuffer {
  const layout = new ParameterLayout();
  buildFlowLayers(resolveFlowSpec(SPEC), layout);
  const params = Float32Array.from(layout.initialize(SPEC.seed));
  const noise = testValues(params.length, 11, 0.2);
  return params.map((v, i) => v + noise[i]!).buffer;
}

describe('start-up time', () => {
  it('a new worker draws samples of a pretrained small model within the SwiftShader budget (15 s)', async () => {
    const params = pretrainedParams();
    const started = performance.now();
    const worker = startLabWorker();
    try {
      const api = worker.api;
      const model = (await api.createModel(SPEC)).id;
      await api.importParams(model, params, { shift: [0.5, 0.25], scale: [0.87, 0.5] });
      const view = await createTestView(api);
      await api.setViewLayers(view, [
        { kind: 'points', source: { model }, count: 4096, color: [1, 1, 1], alpha: 1 },
      ]);
      await api.render(view);
      const submitted = performance.now() - started;
      const image = await api.readPixels(view);
      const drawn = performance.now() - started;
      expect(pixelsDifferentFrom(image, [0, 0, 0])).to.be.greaterThan(200);
      console.log(
        `[measured] start-up, new worker → first samples drawn (realnvp 4×16, 4096 points): ` +
          `${submitted.toFixed(0)} ms to the frame's submit, ${drawn.toFixed(0)} ms to its pixels ` +
          'read back (shader caches of this browser session may be warm from earlier test files)',
      );
      expect(drawn, 'SwiftShader budget').to.be.below(15_000);
    } finally {
      worker.terminate();
    }
  });

  it('gpuStatus shows compile progress as compiledKernels / expectedKernels while createModel runs', async () => {
    const worker = startLabWorker();
    try {
      const api = worker.api;
      const idle = await api.gpuStatus();
      expect(idle.expectedKernels, 'no model being created').to.equal(null);
      const seen: { compiled: number; expected: number }[] = [];
      let creating = true;
      const created = api.createModel(SPEC).finally(() => (creating = false));
      while (creating) {
        const status = await api.gpuStatus();
        if (status.expectedKernels !== null) {
          seen.push({ compiled: status.compiledKernels, expected: status.expectedKernels });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await created;
      const after = await api.gpuStatus();
      expect(after.expectedKernels).to.equal(null);
      expect(seen.length, 'polled while compiling').to.be.greaterThan(0);
      for (const { compiled, expected } of seen) expect(compiled).to.be.at.most(expected);
      expect(
        seen.some((s) => s.compiled < s.expected),
        'a fraction below 1 was shown',
      ).to.equal(true);
      // Every kernel it announced was compiled by the end, and no other.
      const announced = Math.max(...seen.map((s) => s.expected));
      expect(after.compiledKernels).to.equal(announced);
      console.log(
        `[measured] createModel realnvp 4×16 on a new worker: ${after.compiledKernels} kernels; ` +
          `progress polled ${seen.length}× (${[...new Set(seen.map((s) => `${s.compiled}/${s.expected}`))].join(' ')})`,
      );
    } finally {
      worker.terminate();
    }
  });
});
