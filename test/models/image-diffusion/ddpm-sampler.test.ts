/** Image DDPM samplers (ancestral DDPM, DDIM with η) on the GPU against their float64 twin. */
import { expect } from '@esm-bundle/chai';
import { ImageDdpmModel } from '../../../src/models/image-diffusion/ddpm-model';
import { ddpmNoiseCpu, ddpmSampleCpu } from '../../../src/models/image-diffusion/ddpm-reference';
import {
  imageDdpmUNetShape,
  resolveImageDdpmSpec,
} from '../../../src/models/image-diffusion/ddpm-spec';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';

describe('image DDPM: samplers', () => {
  it('DDPM and DDIM match the twin on a tiny U-Net, count their NFE and reproduce from a seed', async () => {
    const gpu = await testGpu();
    const spec = resolveImageDdpmSpec({
      family: 'image-diffusion',
      kind: 'ddpm',
      shape: [1, 4, 4],
      channels: 4,
      groups: 2,
      timeFeatures: 4,
      timeHidden: 8,
      schedule: 'cosine',
      timesteps: 10,
      seed: 3,
    });
    const model = await ImageDdpmModel.create(gpu, spec);
    try {
      // Random weights everywhere, γ near 1, so every path of the U-Net carries signal.
      const params = Float32Array.from(testValues(model.parameterCount, 23, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const shape = imageDdpmUNetShape(spec);
      const n = 2;
      const seed = 7;
      // The GPU's own draws of each step (f32 Box–Muller, ~1e-3 from the float64 twin's).
      const draws: Float32Array[] = [];
      for (let step = 0; step <= spec.timesteps; step++) {
        draws.push(await model.noise(n, seed, step));
      }
      expect(maxRelativeError(draws[0]!, ddpmNoiseCpu(draws[0]!.length, seed, 0))).to.be.lessThan(
        2e-3,
      );
      expect(maxRelativeError(draws[1]!, draws[0]!), 'steps draw anew').to.be.greaterThan(0.1);
      const cases = [
        [{ sampler: 'ddpm' }, 10],
        [{ sampler: 'ddim', steps: 4 }, 4],
        [{ sampler: 'ddim', steps: 5, eta: 0.5 }, 5],
      ] as const;
      const results: Float32Array[] = [];
      for (const [options, nfe] of cases) {
        const label = JSON.stringify(options);
        const gpuSamples = await model.sample(n, { seed, ...options });
        expect(model.lastNfe, `${label} NFE`).to.equal(nfe);
        expect(model.nfe(options), `${label} planned NFE`).to.equal(nfe);
        const twin = ddpmSampleCpu(params, model.offset, shape, model.schedule, n, {
          seed,
          ...options,
          noise: (step) => draws[step]!,
        });
        expect(maxRelativeError(gpuSamples, twin), `${label} vs twin`).to.be.lessThan(1e-4);
        const again = await model.sample(n, { seed, ...options });
        expect(Array.from(again), `${label} rerun`).to.deep.equal(Array.from(gpuSamples));
        const other = await model.sample(n, { seed: seed + 1, ...options });
        expect(maxRelativeError(other, gpuSamples), `${label} another seed`).to.be.greaterThan(
          1e-2,
        );
        results.push(gpuSamples);
      }
      expect(maxRelativeError(results[0]!, results[1]!), 'DDPM vs DDIM').to.be.greaterThan(1e-2);
      // DDIM η = 0 from the prior draws: sample(seed) is sampleFrom(noise(seed, 0)), bit for bit.
      const fromZ = await model.sampleFrom(draws[0]!, { steps: 4 });
      expect(Array.from(fromZ), 'sampleFrom(prior draws)').to.deep.equal(Array.from(results[1]!));
      expect(maxRelativeError(results[1]!, results[2]!), 'η 0 vs 0.5').to.be.greaterThan(1e-2);
      expect(() => model.sample(n, { seed, sampler: 'euler' as never })).to.throw(
        RangeError,
        /sampler must be 'ddpm' or 'ddim', got "euler"/,
      );
    } finally {
      model.dispose();
    }
  });
});
