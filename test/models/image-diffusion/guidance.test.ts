/**
 * Classifier-free guidance on the GPU against the float64 twin, for flow matching and DDPM:
 * guided samplers from the same draws, w = 0 equal to the unconditional model bit for bit,
 * classes change samples, label errors.
 */
import { expect } from '@esm-bundle/chai';
import { ImageDdpmModel } from '../../../src/models/image-diffusion/ddpm-model';
import { ddpmSampleCpu } from '../../../src/models/image-diffusion/ddpm-reference';
import {
  imageDdpmUNetShape,
  resolveImageDdpmSpec,
} from '../../../src/models/image-diffusion/ddpm-spec';
import { ImageFlowMatchingModel } from '../../../src/models/image-diffusion/fm-model';
import { fmSampleCpu } from '../../../src/models/image-diffusion/fm-reference';
import {
  imageFmUNetShape,
  resolveImageFlowMatchingSpec,
} from '../../../src/models/image-diffusion/fm-spec';
import { checkGuidance } from '../../../src/models/image-diffusion/guidance-reference';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';

const NET = {
  family: 'image-diffusion',
  shape: [1, 4, 4],
  channels: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  classes: 3,
  seed: 3,
} as const;

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('image diffusion: classifier-free guidance', () => {
  it('flow matching: guided Euler and Heun match the twin; w = 0 is the unconditional model', async () => {
    const gpu = await testGpu();
    const spec = resolveImageFlowMatchingSpec({ ...NET, kind: 'flow-matching' });
    const model = await ImageFlowMatchingModel.create(gpu, spec);
    try {
      const params = Float32Array.from(testValues(model.parameterCount, 29, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const shape = imageFmUNetShape(spec);
      const n = 2;
      const z = await model.priorNoise(n, 7);
      const guidance = { classes: [0, 2], scale: 2.5 };
      for (const [sampler, steps] of [
        ['euler', 2],
        ['heun', 2],
      ] as const) {
        const guided = await model.sample(n, { seed: 7, sampler, steps, guidance });
        expect(model.lastNfe, `${sampler} NFE`).to.equal(
          { euler: 1, heun: 2 }[sampler] * steps * 2,
        );
        const twin = fmSampleCpu(params, model.offset, shape, n, {
          seed: 7,
          sampler,
          steps,
          noise: z,
          guidance,
        });
        expect(maxRelativeError(guided, twin), `${sampler} guided vs twin`).to.be.lessThan(1e-4);
        const again = await model.sample(n, { seed: 7, sampler, steps, guidance });
        expect(bits(again), 'rerun').to.deep.equal(bits(guided));
      }
      const options = { seed: 7, sampler: 'euler', steps: 3 } as const;
      const unconditional = await model.sample(n, options);
      expect(model.lastNfe).to.equal(3);
      const zero = await model.sample(n, { ...options, guidance: { classes: [1, 2], scale: 0 } });
      expect(bits(zero), 'w = 0 is the unconditional model').to.deep.equal(bits(unconditional));
      const twinUnconditional = fmSampleCpu(params, model.offset, shape, n, {
        ...options,
        noise: z,
      });
      expect(maxRelativeError(unconditional, twinUnconditional)).to.be.lessThan(1e-4);
      const classA = await model.sample(n, { ...options, guidance: { classes: [0, 0], scale: 1 } });
      const classB = await model.sample(n, { ...options, guidance: { classes: [1, 1], scale: 1 } });
      expect(maxRelativeError(classA, classB), 'classes change samples').to.be.greaterThan(1e-3);
      expect(maxRelativeError(classA, unconditional), 'w = 1 is conditional').to.be.greaterThan(
        1e-3,
      );
    } finally {
      model.dispose();
    }
  });

  it('DDPM: guided DDIM (η 0.5) matches the twin; w = 0 is the unconditional model', async () => {
    const gpu = await testGpu();
    const spec = resolveImageDdpmSpec({ ...NET, kind: 'ddpm', timesteps: 10 });
    const model = await ImageDdpmModel.create(gpu, spec);
    try {
      const params = Float32Array.from(testValues(model.parameterCount, 31, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const n = 2;
      const seed = 5;
      const sampler = { sampler: 'ddim', steps: 4, eta: 0.5 } as const;
      const draws: Float32Array[] = [];
      for (let step = 0; step <= 4; step++) draws.push(await model.noise(n, seed, step));
      const guidance = { classes: [2, 1], scale: 3 };
      const guided = await model.sample(n, { seed, ...sampler, guidance });
      expect(model.lastNfe).to.equal(8);
      expect(model.nfe(sampler, guidance)).to.equal(8);
      const twin = ddpmSampleCpu(
        params,
        model.offset,
        imageDdpmUNetShape(spec),
        model.schedule,
        n,
        {
          seed,
          ...sampler,
          guidance,
          noise: (step) => draws[step]!,
        },
      );
      expect(maxRelativeError(guided, twin), 'guided vs twin').to.be.lessThan(1e-4);
      const unconditional = await model.sample(n, { seed, ...sampler });
      const zero = await model.sample(n, { seed, ...sampler, guidance: { ...guidance, scale: 0 } });
      expect(bits(zero), 'w = 0 is the unconditional model').to.deep.equal(bits(unconditional));
      expect(maxRelativeError(guided, unconditional)).to.be.greaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });

  it('checkGuidance: labels per image in [0, K − 1], one label for all, errors that say so', () => {
    const shape = imageFmUNetShape(resolveImageFlowMatchingSpec({ ...NET, kind: 'flow-matching' }));
    expect(checkGuidance(shape, 3, 2, undefined)).to.deep.equal({ classes: [2, 2, 2], scale: 1 });
    expect(checkGuidance(shape, 2, [0, 1], 4)).to.deep.equal({ classes: [0, 1], scale: 4 });
    expect(checkGuidance(shape, 2, undefined, undefined)).to.equal(undefined);
    expect(() => checkGuidance(shape, 2, [0, 3], 1)).to.throw(
      RangeError,
      /classes must be integers in \[0, 2\] \(the model's 3 classes\), got 3/,
    );
    expect(() => checkGuidance(shape, 2, [0], 1)).to.throw(RangeError, /one label per image \(2\)/);
    expect(() => checkGuidance(shape, 2, undefined, 2)).to.throw(
      RangeError,
      /guidance needs classes/,
    );
    const plain = imageFmUNetShape(
      resolveImageFlowMatchingSpec({ ...NET, kind: 'flow-matching', classes: 0 }),
    );
    expect(() => checkGuidance(plain, 2, [0, 1], 1)).to.throw(RangeError, /unconditional/);
  });
});
