/**
 * The one-dispatch flow generator (shaders/flows/fused-inverse.wgsl) against the layer-by-layer
 * path and the float64 twin (FlowModel.inverseTwin on the same Philox base noise): NICE (additive
 * couplings + scaling) and RealNVP (affine couplings), non-trivial weights and normalisation,
 * a count that is not a multiple of the samples per invocation, and a second chunk (the
 * Philox index continues at 65 536).
 */
import { expect } from '@esm-bundle/chai';
import { FlowModel } from '../../../src/models/flows/flow-model';
import { CpuFlowModel } from '../../../src/models/flows/cpu-flow';
import { fusedInversePlan, fusedInverseTuning } from '../../../src/models/flows/fused-inverse';
import type { FlowModelSpec } from '../../../src/models/flows/flow-spec';
import { testGpu } from '../../support/gpu';
import { testValues } from '../../support/gpu-helpers';

/** max |a − b| / max(1, |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return w;
}

async function model(spec: FlowModelSpec) {
  const gpu = await testGpu();
  const flow = await FlowModel.create(gpu, spec);
  const initial = await flow.exportParams();
  const jitter = testValues(initial.length, 23, 0.2);
  const params = Float32Array.from(initial, (v, i) => v + jitter[i]!);
  flow.importParams(params);
  flow.normalization = { shift: [0.4, -0.3], scale: [1.3, 0.7] };
  return { flow, params };
}

describe('fused flow generator: every layer inverted in one dispatch', () => {
  for (const kind of ['nice', 'realnvp'] as const) {
    it(`${kind}: the same samples as the layer-by-layer path and the twin`, async () => {
      const { flow, params } = await model({
        family: 'flow',
        kind,
        layers: 4,
        hidden: 16,
        seed: 3,
      });
      const gpu = await testGpu();
      const subgroups = gpu.device.features.has('subgroups');
      const plan = fusedInversePlan(flow.layers, gpu.context.adapterInfo, subgroups);
      // On a CPU adapter with 'subgroups' (SwiftShader) the default is the subgroup kernel.
      expect(plan?.kernel.name).to.equal(
        gpu.context.adapterInfo.isFallback && subgroups
          ? 'flows/fused-inverse-subgroup'
          : 'flows/fused-inverse',
      );
      const n = 301;
      const fused = await flow.sample(n, { seed: 7 }); // the default path
      const staged = await flow.sample(n, { seed: 7, fused: false });
      const z = new CpuFlowModel({ family: 'flow', kind, layers: 4, hidden: 16, seed: 3 }).latent(
        n,
        7,
      );
      const twin = flow.inverseTwin(params, z);
      expect(worst(fused, staged), 'fused vs layer by layer').to.be.below(1e-4);
      expect(worst(fused, twin), 'fused vs twin').to.be.below(1e-3);
      flow.dispose();
    });
  }

  it('realnvp, 3 hidden layers of width 10, relu: the same samples (odd tile ping-pong, partial row blocks)', async () => {
    const spec: FlowModelSpec = {
      family: 'flow',
      kind: 'realnvp',
      layers: 3,
      hidden: 10,
      hiddenLayers: 3,
      activation: 'relu',
      seed: 4,
    };
    const { flow, params } = await model(spec);
    const n = 37;
    const fused = await flow.sample(n, { seed: 5, fused: true });
    const staged = await flow.sample(n, { seed: 5, fused: false });
    const twin = flow.inverseTwin(params, new CpuFlowModel(spec).latent(n, 5));
    expect(worst(fused, staged), 'fused vs layer by layer').to.be.below(1e-4);
    expect(worst(fused, twin), 'fused vs twin').to.be.below(1e-3);
    flow.dispose();
  });

  // The plain kernel (shaders/flows/fused-inverse-rows4.wgsl), which devices without 'subgroups'
  // and real GPUs run, on this adapter: the same samples.
  it('realnvp with the subgroup kernel turned off: the same samples (plain four-row kernel)', async () => {
    const spec: FlowModelSpec = {
      family: 'flow',
      kind: 'realnvp',
      layers: 3,
      hidden: 10,
      hiddenLayers: 2,
      seed: 6,
    };
    fusedInverseTuning.cpuSubgroups = false;
    try {
      const { flow, params } = await model(spec);
      const n = 37;
      const fused = await flow.sample(n, { seed: 5, fused: true });
      const staged = await flow.sample(n, { seed: 5, fused: false });
      const twin = flow.inverseTwin(params, new CpuFlowModel(spec).latent(n, 5));
      expect(worst(fused, staged), 'fused vs layer by layer').to.be.below(1e-4);
      expect(worst(fused, twin), 'fused vs twin').to.be.below(1e-3);
      flow.dispose();
    } finally {
      fusedInverseTuning.cpuSubgroups = true;
    }
  });

  it('continues the Philox sequence in a second chunk of 65 536 points', async () => {
    const spec: FlowModelSpec = { family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 5 };
    const { flow, params } = await model(spec);
    const n = 65_536 + 6;
    const fused = await flow.sample(n, { seed: 2, fused: true });
    const tail = new CpuFlowModel(spec).latent(6, 2, 65_536);
    expect(worst(fused.subarray(2 * 65_536), flow.inverseTwin(params, tail))).to.be.below(1e-3);
    flow.dispose();
  });

  it('dispose() gives every buffer back at once, the generator table too (a device loss disposes the pool next)', async () => {
    const gpu = await testGpu();
    const before = gpu.pool.stats().inUse;
    const flow = await FlowModel.create(gpu, {
      family: 'flow',
      kind: 'realnvp',
      layers: 2,
      hidden: 8,
      seed: 3,
    });
    await flow.sample(64, { seed: 1, fused: true });
    flow.dispose();
    // Synchronously, before any microtask: the device-loss path disposes the pool right after.
    expect(gpu.pool.stats().inUse).to.equal(before);
  });

  it('glow (LU layers) and spline flows keep the layer-by-layer path', async () => {
    const gpu = await testGpu();
    for (const kind of ['glow', 'spline'] as const) {
      const flow = await FlowModel.create(gpu, {
        family: 'flow',
        kind,
        layers: 2,
        hidden: 8,
        seed: 1,
      });
      expect(fusedInversePlan(flow.layers, gpu.context.adapterInfo), kind).to.equal(undefined);
      flow.dispose();
    }
  });
});
