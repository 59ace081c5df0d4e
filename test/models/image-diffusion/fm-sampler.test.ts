/** Image flow-matching samplers (Euler, Heun, RK4) on the GPU against their float64 twin. */
import { expect } from '@esm-bundle/chai';
import { ImageFlowMatchingModel } from '../../../src/models/image-diffusion/fm-model';
import { fmPriorNoiseCpu, fmSampleCpu } from '../../../src/models/image-diffusion/fm-reference';
import {
  imageFmUNetShape,
  resolveImageFlowMatchingSpec,
} from '../../../src/models/image-diffusion/fm-spec';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';

describe('image flow matching: samplers', () => {
  it('Euler, Heun and RK4 match the twin sampler on a tiny U-Net and reproduce from a seed', async () => {
    const gpu = await testGpu();
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
    const model = await ImageFlowMatchingModel.create(gpu, spec);
    try {
      // Random weights everywhere, γ near 1, so every path of the U-Net carries signal.
      const params = Float32Array.from(testValues(model.parameterCount, 19, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const shape = imageFmUNetShape(spec);
      const n = 3;
      // The prior draws: Box–Muller in f32, whose cos and sin WGSL guarantees only to 2^-11
      // absolute, so the twin's float64 draws agree to ~1e-3; the solvers are then compared
      // from the GPU's own draws.
      const z = await model.priorNoise(n, 7);
      expect(maxRelativeError(z, fmPriorNoiseCpu(z.length, 7)), 'prior draws').to.be.lessThan(2e-3);
      for (const [sampler, steps] of [
        ['euler', 3],
        ['heun', 2],
        ['rk4', 2],
      ] as const) {
        const gpuSamples = await model.sample(n, { seed: 7, sampler, steps });
        // Network evaluations per image: 1, 2 and 4 a step.
        expect(model.lastNfe, `${sampler} NFE`).to.equal(
          { euler: 1, heun: 2, rk4: 4 }[sampler] * steps,
        );
        const fromZ = await model.sampleFrom(z, { sampler, steps });
        expect(Array.from(fromZ), 'sample(seed) = sampleFrom(priorNoise(seed))').to.deep.equal(
          Array.from(gpuSamples),
        );
        const twin = fmSampleCpu(params, model.offset, shape, n, {
          seed: 7,
          sampler,
          steps,
          noise: z,
        });
        expect(maxRelativeError(gpuSamples, twin), `${sampler} vs twin`).to.be.lessThan(1e-4);
        const again = await model.sample(n, { seed: 7, sampler, steps });
        expect(Array.from(again), `${sampler} rerun`).to.deep.equal(Array.from(gpuSamples));
        const other = await model.sample(n, { seed: 8, sampler, steps });
        expect(maxRelativeError(other, gpuSamples), 'another seed').to.be.greaterThan(1e-2);
      }
      // The solvers differ: RK4's slopes are not Euler's.
      const euler = fmSampleCpu(params, model.offset, shape, n, {
        seed: 7,
        sampler: 'euler',
        steps: 2,
      });
      const rk4 = fmSampleCpu(params, model.offset, shape, n, {
        seed: 7,
        sampler: 'rk4',
        steps: 2,
      });
      expect(maxRelativeError(euler, rk4)).to.be.greaterThan(1e-3);
      const heun = fmSampleCpu(params, model.offset, shape, n, {
        seed: 7,
        sampler: 'heun',
        steps: 2,
      });
      expect(maxRelativeError(heun, rk4), 'Heun vs RK4').to.be.greaterThan(1e-3);
      expect(maxRelativeError(heun, euler), 'Heun vs Euler').to.be.greaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });
});
