import { expect } from '@esm-bundle/chai';
import { FlowModel } from '../../../src/models/flows/flow-model';
import type { FlowKind } from '../../../src/models/flows/flow-spec';
import { ModelSpecError } from '../../../src/models/flows/flow-spec';
import { testGpu } from '../../support/gpu';
import { testValues } from '../../support/gpu-helpers';

const KINDS: FlowKind[] = ['nice', 'realnvp', 'glow', 'spline'];

/** A model whose parameters are all perturbed, so no layer is the identity. */
async function perturbedModel(kind: FlowKind, scale = 0.3) {
  const gpu = await testGpu();
  const model = await FlowModel.create(gpu, {
    family: 'flow',
    kind,
    layers: 4,
    hidden: 16,
    seed: 3,
  });
  model.normalization = { shift: [0.5, -0.25], scale: [1.5, 0.8] };
  const params = await model.exportParams();
  const noise = testValues(params.length, 41, scale);
  model.importParams(params.map((v, i) => v + noise[i]!));
  return model;
}

describe('flow models: GPU against the float64 twin', () => {
  for (const kind of KINDS) {
    it(`${kind}: inverse(forward(x)) = x and forward(inverse(z)) = z on the GPU (1e4 points)`, async () => {
      const model = await perturbedModel(kind);
      const x = Float32Array.from(testValues(2e4, 42, 3));
      const { z } = await model.forward(x);
      const back = await model.inverse(z);
      const zBack = (await model.forward(await model.inverse(x))).z;
      model.dispose();
      let worst = 0;
      let worstZ = 0;
      for (let i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(back[i]! - x[i]!));
        worstZ = Math.max(worstZ, Math.abs(zBack[i]! - x[i]!));
      }
      expect(worst, 'max |f⁻¹(f(x)) − x|').to.be.lessThan(1e-4);
      expect(worstZ, 'max |f(f⁻¹(z)) − z|').to.be.lessThan(1e-4);
    });

    it(`${kind}: logProb, forward and samples equal the twin; model log|det| equals a finite-difference Jacobian`, async () => {
      const model = await perturbedModel(kind);
      const params = Float64Array.from(await model.exportParams());
      const n = 300;
      const x = Float32Array.from(testValues(2 * n, 43, 2.5));
      const [logP, fwd, samples] = await Promise.all([
        model.logProb(x),
        model.forward(x),
        model.sample(200, { seed: 9 }),
      ]);
      const twinLogP = model.logProbTwin(params, x);
      const twin = model.forwardTwin(params, x);
      for (let b = 0; b < n; b++) {
        expect(logP[b]).to.be.closeTo(twinLogP[b]!, 2e-4 * Math.max(1, Math.abs(twinLogP[b]!)));
        expect(fwd.logDet[b]).to.be.closeTo(
          twin.logDet[b]!,
          2e-4 * Math.max(1, Math.abs(twin.logDet[b]!)),
        );
      }
      // Samples are f⁻¹(z) with z ~ N(0, I): mapping them forward gives back standard-normal-looking z.
      const zOfSamples = model.forwardTwin(params, samples).z;
      const meanSq = zOfSamples.reduce((s, v) => s + v * v, 0) / zOfSamples.length;
      expect(meanSq).to.be.within(0.7, 1.3);
      // Whole-model log|det ∂z/∂x| vs the determinant of a central-difference Jacobian (float64).
      const h = 1e-6;
      for (let b = 0; b < 5; b++) {
        const point = [x[2 * b]!, x[2 * b + 1]!];
        const column = (d: number) => {
          const plus = [...point];
          const minus = [...point];
          plus[d] = plus[d]! + h;
          minus[d] = minus[d]! - h;
          const zp = model.forwardTwin(params, plus).z;
          const zm = model.forwardTwin(params, minus).z;
          return [(zp[0]! - zm[0]!) / (2 * h), (zp[1]! - zm[1]!) / (2 * h)];
        };
        const [a, c] = [column(0), column(1)];
        const det = Math.log(Math.abs(a[0]! * c[1]! - c[0]! * a[1]!));
        expect(Math.abs(Math.expm1(twin.logDet[b]! - det))).to.be.lessThan(1e-6);
      }
      model.dispose();
    });

    it(`${kind}: exp(logProb) integrates to 1 over a box holding the mass (untrained and perturbed)`, async () => {
      for (const scale of [0, 0.15]) {
        const model = await perturbedModel(kind, scale);
        const side = 240;
        const [lo, hi] = [-9, 9];
        const step = (hi - lo) / side;
        const grid = new Float32Array(2 * side * side);
        for (let i = 0; i < side; i++) {
          for (let j = 0; j < side; j++) {
            grid[2 * (i * side + j)] = lo + (j + 0.5) * step;
            grid[2 * (i * side + j) + 1] = lo + (i + 0.5) * step;
          }
        }
        const logP = await model.logProb(grid);
        model.dispose();
        const mass = logP.reduce((s, v) => s + Math.exp(v), 0) * step * step;
        expect(mass, `scale ${scale}`).to.be.closeTo(1, 1e-2);
      }
    });
  }

  it('GPU-buffer outputs equal the read-back ones; per-layer log|det| sums to the total', async () => {
    const gpu = await testGpu();
    const model = await perturbedModel('glow');
    const x = Float32Array.from(testValues(2 * 500, 44, 2));
    const samplesBuffer = await model.sampleToBuffer(300, { seed: 12 });
    const logPBuffer = await model.logProbToBuffer(x);
    const [samples, logP, fromBuffer, logPFromBuffer, perLayer, fwd] = await Promise.all([
      model.sample(300, { seed: 12 }),
      model.logProb(x),
      gpu.readback.readFloat32(samplesBuffer.buffer, 0, 600),
      gpu.readback.readFloat32(logPBuffer.buffer, 0, 500),
      model.layerLogDets(x),
      model.forward(x),
    ]);
    samplesBuffer.dispose();
    logPBuffer.dispose();
    model.dispose();
    expect(Array.from(fromBuffer)).to.deep.equal(Array.from(samples));
    expect(Array.from(logPFromBuffer)).to.deep.equal(Array.from(logP));
    expect(perLayer.length).to.equal(model.layers.length);
    const normalization = -Math.log(1.5 * 0.8);
    for (let b = 0; b < 500; b++) {
      const sum = perLayer.reduce((s, layer) => s + layer[b]!, normalization);
      expect(sum).to.be.closeTo(fwd.logDet[b]!, 1e-4);
    }
  });

  it('rejects bad specs before any GPU work, naming the field and range', async () => {
    const gpu = await testGpu();
    const attempt = (spec: object) =>
      FlowModel.create(gpu, {
        family: 'flow',
        kind: 'realnvp',
        layers: 4,
        hidden: 16,
        seed: 1,
        ...spec,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
    const wide = await attempt({ hidden: 10_000_000 });
    expect(wide).to.be.instanceOf(ModelSpecError);
    expect((wide as ModelSpecError).field).to.equal('hidden');
    expect((wide as Error).message).to.contain('[1, 256]');
    expect(((await attempt({ kind: 'maf' })) as ModelSpecError).field).to.equal('kind');
    expect(((await attempt({ layers: 0 })) as ModelSpecError).field).to.equal('layers');
  });
});
