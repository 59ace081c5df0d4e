import { expect } from '@esm-bundle/chai';
import {
  IMAGE_TRANSFORMS,
  bitsPerDim,
  preprocessForward,
  preprocessInverse,
  preprocessLogDet,
  resolvePreprocess,
} from '../../../src/data/images/preprocess';
import { DatasetSpecError } from '../../../src/data/errors';

/** Every value u takes: (k + ½)/2^15; a few of them, the extremes included. */
const NOISE = [0.5 / 32768, 1.5 / 32768, 0.25, 0.5, 0.75, 1 - 1.5 / 32768, 1 - 0.5 / 32768];

describe('image pre-processing (float64 twin)', () => {
  for (const transform of IMAGE_TRANSFORMS) {
    it(`${transform}: log|dz/dv| matches central finite differences`, () => {
      const p = resolvePreprocess({ transform, alpha: 0.05 });
      let worst = 0;
      for (let x = 0; x < 256; x += 17) {
        for (const u of NOISE) {
          const v = x + u;
          const h = 1e-4;
          const fd = (preprocessForward(v + h, p) - preprocessForward(v - h, p)) / (2 * h);
          const exact = Math.exp(preprocessLogDet(v, p));
          worst = Math.max(worst, Math.abs(fd - exact) / exact);
        }
      }
      expect(worst, 'largest relative error of the derivative').to.be.below(1e-6);
    });

    it(`${transform}: the inverse recovers every 8-bit pixel for every noise value`, () => {
      const p = resolvePreprocess({ transform });
      const wrong: string[] = [];
      for (let x = 0; x < 256; x++) {
        for (const u of [...NOISE, 0.5]) {
          const back = preprocessInverse(preprocessForward(x + u, p), p);
          if (back !== x) wrong.push(`${x}+${u} → ${back}`);
        }
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  it('bits/dim of a model uniform on the pixel bins is 8 (unit, logit, scale)', () => {
    // If y = v/256 is uniform on (0, 1)^D, then p_Z(z) = Π |dy/dz| and log p(v) = −D ln 256.
    const dims = 196;
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const transform of ['unit', 'logit', 'scale'] as const) {
      const p = resolvePreprocess({ transform, alpha: 0.05 });
      let logDet = 0;
      let logPz = 0;
      for (let d = 0; d < dims; d++) {
        const v = Math.floor(256 * next()) + next();
        const pixel = preprocessLogDet(v, p);
        logDet += pixel;
        // log|dy/dz| = −log|dz/dy| = −(log|dz/dv| + ln 256): the density of z under y ~ U(0, 1).
        logPz += -(pixel + Math.log(256));
      }
      expect(bitsPerDim(logPz, logDet, dims)).to.be.closeTo(8, 1e-12);
    }
    // The closed form of the logit case from z alone, independent of the log-det code.
    const p = resolvePreprocess({ transform: 'logit', alpha: 0.05 });
    const v = 100.25;
    const z = preprocessForward(v, p);
    const s = 1 / (1 + Math.exp(-z));
    const logPzOne = Math.log(s) + Math.log(1 - s) - Math.log(0.9);
    expect(bitsPerDim(logPzOne, preprocessLogDet(v, p), 1)).to.be.closeTo(8, 1e-12);
  });

  it('refuses bad pre-processing specs with the field named', () => {
    const cases: [unknown, string, RegExp][] = [
      [
        { transform: 'sigmoid' },
        'preprocess.transform',
        /one of 'pixels', 'unit', 'logit', 'scale'/,
      ],
      [{ alpha: 0.5 }, 'preprocess.alpha', /\(0, 0\.5\).*0\.5/],
      [{ dequantize: 'yes' }, 'preprocess.dequantize', /true or false/],
    ];
    for (const [spec, field, message] of cases) {
      let error: unknown;
      try {
        resolvePreprocess(spec as never);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(DatasetSpecError);
      expect((error as DatasetSpecError).field).to.equal(field);
      expect((error as Error).message).to.match(message);
    }
    expect(() => bitsPerDim(0, 0, 0)).to.throw(/values per image/);
  });
});
