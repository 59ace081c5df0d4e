/**
 * Flow matching's likelihood through the probability-flow ODE on the GPU: against its float64
 * twin (same probes), Hutchinson's estimate against the exact trace of the Jacobian, and the
 * closed form of a zero velocity field (log p = log N(x)).
 */
import { expect } from '@esm-bundle/chai';
import { ImageFlowMatchingModel } from '../../../src/models/image-diffusion/fm-model';
import {
  fmLogLikelihoodCpu,
  fmProbeSignsCpu,
} from '../../../src/models/image-diffusion/fm-likelihood-reference';
import {
  imageFmUNetShape,
  resolveImageFlowMatchingSpec,
} from '../../../src/models/image-diffusion/fm-spec';
import { convParameterCount } from '../../../src/nn/reference/conv';
import { unetParts } from '../../../src/nn/reference/unet';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';

const spec = resolveImageFlowMatchingSpec({
  family: 'image-diffusion',
  kind: 'flow-matching',
  shape: [1, 4, 4],
  channels: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  seed: 3,
});
const shape = imageFmUNetShape(spec);
const dims = 16;

async function randomModel() {
  const model = await ImageFlowMatchingModel.create(await testGpu(), spec);
  // Random weights everywhere, γ near 1, so every path of the U-Net carries signal.
  const params = Float32Array.from(testValues(model.parameterCount, 19, 0.3), (v) => v + 0.1);
  model.importParams(params);
  return { model, params };
}

const images = (n: number, seed: number) => Float32Array.from(testValues(n * dims, seed, 0.9));

function meanAndStandardError(values: ArrayLike<number>) {
  const n = values.length;
  const mean = Array.from(values).reduce((a, b) => a + b, 0) / n;
  const variance = Array.from(values).reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, standardError: Math.sqrt(variance / n) };
}

describe('image flow matching: likelihood through the probability-flow ODE', () => {
  it('matches the float64 twin row for row (Euler, Heun, RK4; same Rademacher probes)', async () => {
    const { model, params } = await randomModel();
    try {
      const x0 = images(2, 5);
      for (const [sampler, steps] of [
        ['euler', 3],
        ['heun', 2],
        ['rk4', 2],
      ] as const) {
        const options = { sampler, steps, probes: 3, seed: 11 };
        const gpu = await model.logLikelihood(x0, options);
        const twin = fmLogLikelihoodCpu(params, model.offset, shape, x0, 2, options);
        expect(gpu.logProb.length).to.equal(6);
        expect(
          maxRelativeError(gpu.logPrior, twin.logPrior),
          `${sampler} log N(x₁)`,
        ).to.be.lessThan(1e-4);
        expect(
          maxRelativeError(gpu.divergence, twin.divergence),
          `${sampler} ∫ div`,
        ).to.be.lessThan(1e-4);
        // The probes differ per row: the estimates of one image differ.
        expect(
          Math.abs(twin.divergence[0]! - twin.divergence[1]!),
          'probes differ',
        ).to.be.greaterThan(1e-3);
        const again = await model.logLikelihood(x0, options);
        expect(Array.from(again.logProb), 'rerun').to.deep.equal(Array.from(gpu.logProb));
      }
      // The probes are ±1, about half each.
      const signs = fmProbeSignsCpu(4096, 11);
      expect(signs.every((s) => s === 1 || s === -1)).to.equal(true);
      expect(Math.abs(signs.reduce((a, b) => a + b, 0))).to.be.lessThan(200);
    } finally {
      model.dispose();
    }
  });

  it("Hutchinson's estimate with many probes agrees with the exact trace of the twin's Jacobian", async () => {
    const { model, params } = await randomModel();
    try {
      const x0 = images(1, 8);
      const options = { sampler: 'heun' as const, steps: 2 };
      const probes = 256;
      const gpu = await model.logLikelihood(x0, { ...options, probes, seed: 4 });
      const exact = fmLogLikelihoodCpu(params, model.offset, shape, x0, 1, {
        ...options,
        probes: 1,
        seed: 0,
        exactTrace: true,
      });
      const { mean, standardError } = meanAndStandardError(gpu.divergence);
      // The estimator is noisy (so the check has teeth) and unbiased within 4 standard errors.
      expect(standardError, 'SE').to.be.greaterThan(1e-3);
      expect(
        Math.abs(mean - exact.divergence[0]!),
        `${mean} vs exact ${exact.divergence[0]} ± ${standardError}`,
      ).to.be.lessThan(4 * standardError);
      // x₁ does not depend on the probe: log N(x₁) is the exact run's.
      expect(maxRelativeError(gpu.logPrior.subarray(0, 1), exact.logPrior)).to.be.lessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  it('a zero velocity field (last convolution zero) gives log p = log N(x) exactly', async () => {
    const { model, params } = await randomModel();
    try {
      const parts = unetParts(shape);
      const start = model.offset + parts.offsets.convOut;
      params.fill(0, start, start + convParameterCount(parts.convOut));
      model.importParams(params);
      const x0 = images(3, 9);
      const rows = await model.logLikelihood(x0, { sampler: 'rk4', steps: 2, probes: 2, seed: 1 });
      for (let i = 0; i < 3; i++) {
        let squares = 0;
        for (let d = 0; d < dims; d++) squares += x0[i * dims + d]! ** 2;
        const closedForm = -0.5 * squares - 0.5 * dims * Math.log(2 * Math.PI);
        for (let j = 0; j < 2; j++) {
          expect(rows.divergence[i * 2 + j], 'div 0').to.equal(0);
          expect(rows.logProb[i * 2 + j]).to.be.closeTo(closedForm, 1e-5 * Math.abs(closedForm));
        }
      }
    } finally {
      model.dispose();
    }
  });
});
