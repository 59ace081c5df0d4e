/**
 * lab flow matching's bitsPerDim through the probability-flow ODE: the closed form of a zero
 * velocity field on dequantized 8-bit pixels (the image flows' scale), the summary's standard
 * errors against their definitions, and a short training run lowering held-out bits/dim.
 */
import { expect } from '@esm-bundle/chai';
import { Lab } from '../../src/lab/lab';
import { dequantize } from '../../src/lab/image-models';
import { summarize } from '../../src/lab/ode-likelihood';
import type { LabImageFlowMatching } from '../../src/lab/image-diffusion';
import { imageFmUNetShape } from '../../src/models/image-diffusion/fm-spec';
import { convParameterCount } from '../../src/nn/reference/conv';
import { unetParts } from '../../src/nn/reference/unet';
import { testGpu } from '../support/gpu';

const tiny = {
  family: 'image-diffusion',
  kind: 'flow-matching',
  channels: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  seed: 1,
} as const;

describe('image flow matching: held-out bits/dim through the ODE', () => {
  it('a zero velocity field scores the closed form −(log N(2y − 1) + D ln(2/256)) / (D ln 2)', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const model = (await lab.createModel({ ...tiny, shape: [1, 4, 4] })) as LabImageFlowMatching;
      const params = await model.exportParams();
      const parts = unetParts(imageFmUNetShape(model.spec));
      params.fill(
        0,
        parts.offsets.convOut,
        parts.offsets.convOut + convParameterCount(parts.convOut),
      );
      model.importParams(params);
      const dims = 16;
      const pixels = Uint8Array.from({ length: 3 * dims }, (_, i) => (i * 37 + 11) % 256);
      const estimate = await model.bitsPerDim(pixels, { seed: 5, probes: 2, steps: 2 });
      const y = dequantize(pixels, 5);
      const bits = [0, 1, 2].map((i) => {
        let squares = 0;
        for (let d = 0; d < dims; d++) squares += (2 * y[i * dims + d]! - 1) ** 2;
        const logNormal = -0.5 * squares - 0.5 * dims * Math.log(2 * Math.PI);
        return -(logNormal + dims * Math.log(2 / 256)) / (dims * Math.LN2);
      });
      const mean = bits.reduce((a, b) => a + b, 0) / 3;
      expect(estimate.mean).to.be.closeTo(mean, 1e-5);
      const sd = Math.sqrt(bits.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
      expect(estimate.standardError).to.be.closeTo(sd / Math.sqrt(3), 1e-5);
      expect(estimate.traceStandardError, 'v = 0: no probe noise').to.equal(0);
      expect(estimate).to.include({ count: 3, probes: 2, nfe: 4 });
      const refused = await model.bitsPerDim(new Uint8Array(17)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(refused)).to.match(/whole 1×4×4 images/);
    } finally {
      lab.dispose();
    }
  });

  it('summarize: per-image means, the standard error over images and the probes’ share', () => {
    // Two images, two probes: image means 2 and 5; probe variances 2 and 0.5 (sample).
    const s = summarize(Float64Array.from([1, 3, 4.5, 5.5]), 2, 2);
    expect(s.mean).to.equal(3.5);
    expect(s.standardError).to.be.closeTo(Math.sqrt(4.5 / 2), 1e-12);
    expect(s.traceStandardError).to.be.closeTo(Math.sqrt(2 / 2 + 0.5 / 2) / 2, 1e-12);
    // One image: the probes' standard error stands for it.
    const one = summarize(Float64Array.from([1, 3]), 1, 2);
    expect(one.standardError).to.equal(one.traceStandardError);
    expect(one.standardError).to.be.closeTo(1, 1e-12);
  });

  it('a short training run on MNIST crops lowers held-out bits/dim', async () => {
    const lab = await Lab.open({ runtime: await testGpu() });
    try {
      const crop = async (split: 'train' | 'test', count: number) => {
        const set = await lab.dataset({ name: 'mnist', size: 14, split }).load();
        const pixels = new Uint8Array(count * 64);
        for (let i = 0; i < count; i++)
          for (let r = 0; r < 8; r++)
            for (let c = 0; c < 8; c++)
              pixels[i * 64 + r * 8 + c] = set.pixels[i * 7 * 196 + (r + 3) * 14 + c + 3]!;
        return { count, channels: 1 as const, height: 8, width: 8, pixels };
      };
      const train = lab.dataset({ images: await crop('train', 256) });
      const heldOut = (await crop('test', 8)).pixels;
      const model = (await lab.createModel({ ...tiny, shape: [1, 8, 8] })) as LabImageFlowMatching;
      const options = { probes: 2, steps: 3, seed: 1 };
      const before = await model.bitsPerDim(heldOut, options);
      await lab.train(model, train, {
        steps: 60,
        batch: 16,
        seed: 2,
        optimizer: { kind: 'adam', lr: 0.01 },
      }).done;
      const after = await model.bitsPerDim(heldOut, options);
      console.log(
        `ODE bits/dim on 8 held-out 8×8 crops: ${before.mean} ± ${before.standardError} → ${after.mean} ± ${after.standardError} (probe SE ${after.traceStandardError})`,
      );
      expect(after.mean, `${before.mean} → ${after.mean} ± ${after.standardError}`).to.be.lessThan(
        before.mean - 3 * after.standardError,
      );
    } finally {
      lab.dispose();
    }
  });
});
