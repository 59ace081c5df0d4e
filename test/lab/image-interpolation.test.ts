/**
 * Latent interpolation between two images: flow matching's backwards ODE (encode) against its
 * float64 twin, the round trip's error shrinking with the steps, the interpolation path against
 * the twin's; image flows' exact ends and path; the spherical path's closed form.
 */
import { expect } from '@esm-bundle/chai';
import { LabImageFlowMatching } from '../../src/lab/image-diffusion';
import { LabNice } from '../../src/lab/image-models';
import { interpolateImages, interpolateLatent } from '../../src/lab/image-interpolation';
import { fmSampleCpu } from '../../src/models/image-diffusion/fm-reference';
import { imageFmUNetShape } from '../../src/models/image-diffusion/fm-spec';
import { testGpu } from '../support/gpu';
import { maxRelativeError, testValues } from '../support/gpu-helpers';

const FM = {
  family: 'image-diffusion',
  kind: 'flow-matching',
  shape: [1, 4, 4],
  channels: 4,
  groups: 2,
  timeFeatures: 4,
  timeHidden: 8,
  seed: 3,
} as const;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** Two 4×4 test images: intensities inside (0, 1). */
function images() {
  const a = Float32Array.from(testValues(16, 11, 0.4), (v) => v + 0.5);
  const b = Float32Array.from(testValues(16, 12, 0.4), (v) => v + 0.5);
  return { a, b };
}

describe('latent interpolation between two images', () => {
  it('the spherical path keeps the norm of equal-norm latents and ends at both', () => {
    const a = [3, 0, 0, 4];
    const b = [0, 5, 0, 0];
    for (const t of [0, 0.25, 0.5, 1]) {
      const z = interpolateLatent(a, b, t, 'spherical');
      expect(Math.hypot(...z), `t ${t}`).to.be.closeTo(5, 1e-12);
      // The angle from a grows linearly: cos(tπ/2) (a ⊥ b).
      expect((z[0]! * 3 + z[3]! * 4) / 25).to.be.closeTo(Math.cos((t * Math.PI) / 2), 1e-12);
    }
    expect(Array.from(interpolateLatent(a, b, 0.5, 'linear'))).to.deep.equal([1.5, 2.5, 0, 2]);
  });

  it('flow matching: encode is the twin ODE backwards; the path is the twin path; ends return', async () => {
    const gpu = await testGpu();
    const fm = await LabImageFlowMatching.create(gpu, FM);
    try {
      const params = Float32Array.from(testValues(fm.parameterCount, 19, 0.3), (v) => v + 0.1);
      fm.importParams(params);
      const { a, b } = images();
      const both = new Float32Array(32);
      both.set(a);
      both.set(b, 16);
      const shape = imageFmUNetShape(fm.spec);
      // Where the U-Net's parameters start in the exported vector (the lab hides its model).
      const offset = (fm as unknown as { model: { offset: number } }).model.offset;
      const x = Float64Array.from(both, (y) => 2 * Math.fround(y) - 1);
      for (const [sampler, steps] of [
        ['euler', 3],
        ['heun', 2],
        ['rk4', 2],
      ] as const) {
        const z = await fm.encode(both, { sampler, steps });
        const twin = fmSampleCpu(params, offset, shape, 2, {
          seed: 0,
          sampler,
          steps,
          noise: x,
          backwards: true,
        });
        expect(maxRelativeError(z, twin), `${sampler} encode vs twin`).to.be.lessThan(1e-4);
        expect(maxAbs(z, x), `${sampler} moved`).to.be.greaterThan(1e-2);
      }
      // The round trip's error: the solver's, shrinking with the steps (RK4).
      const errors: number[] = [];
      for (const steps of [2, 4, 8, 16]) {
        const z = await fm.encode(both, { sampler: 'rk4', steps });
        errors.push(maxAbs(await fm.sampleFrom(z, { sampler: 'rk4', steps }), both));
      }
      console.log(
        `flow-matching round-trip max error, RK4 2/4/8/16 steps: ${errors.map((e) => e.toExponential(2)).join(', ')}`,
      );
      // 2 → 4 → 8 steps: RK4's h⁴ (about 16× each), then float32's round-off floor.
      for (let i = 1; i < 3; i++) expect(errors[i]).to.be.lessThan(errors[i - 1]! / 4);
      expect(errors[3]).to.be.lessThan(1e-5);
      expect(errors.at(-1)).to.be.lessThan(1e-3);
      // The path (linear, 4 frames, RK4 8 steps) against the twin's encode → lerp → sample.
      const options = { sampler: 'rk4', steps: 8 } as const;
      const frames = await interpolateImages(fm, a, b, { ...options, frames: 4 });
      const zTwin = fmSampleCpu(params, offset, shape, 2, {
        seed: 0,
        ...options,
        noise: x,
        backwards: true,
      });
      const path = new Float64Array(64);
      for (let f = 0; f < 4; f++) {
        path.set(
          interpolateLatent(zTwin.subarray(0, 16), zTwin.subarray(16), f / 3, 'linear'),
          f * 16,
        );
      }
      const imagesTwin = Float64Array.from(
        fmSampleCpu(params, offset, shape, 4, { seed: 0, ...options, noise: path }),
        (v) => Math.min(1, Math.max(0, 0.5 * (v + 1))),
      );
      expect(maxAbs(frames, imagesTwin), 'path vs twin').to.be.lessThan(1e-4);
      expect(maxAbs(frames.subarray(0, 16), a), 'first frame = a').to.be.lessThan(1e-3);
      expect(maxAbs(frames.subarray(48), b), 'last frame = b').to.be.lessThan(1e-3);
      expect(maxAbs(frames.subarray(16, 32), a), 'a middle frame is not a').to.be.greaterThan(1e-2);
    } finally {
      fm.dispose();
    }
  });

  it('image flows: the ends are the images within 1e-4, the path the images of the lerped z', async () => {
    const gpu = await testGpu();
    const nice = await LabNice.create(gpu, {
      family: 'image-flow',
      kind: 'nice',
      shape: [1, 4, 4],
      layers: 2,
      hidden: 8,
      hiddenLayers: 1,
      seed: 3,
    });
    try {
      nice.importParams(Float32Array.from(testValues(nice.parameterCount, 5, 0.3)));
      const { a, b } = images();
      for (const path of ['linear', 'spherical'] as const) {
        const frames = await interpolateImages(nice, a, b, { frames: 5, path });
        expect(maxAbs(frames.subarray(0, 16), a), `${path} first`).to.be.lessThan(1e-4);
        expect(maxAbs(frames.subarray(64), b), `${path} last`).to.be.lessThan(1e-4);
        const za = await nice.forward(a);
        const zb = await nice.forward(b);
        const mid = await nice.inverse(Float32Array.from(interpolateLatent(za, zb, 0.5, path)));
        const clamped = mid.map((v) => Math.min(1, Math.max(0, v)));
        expect(maxAbs(frames.subarray(32, 48), clamped), `${path} middle`).to.be.lessThan(1e-6);
      }
      let refused: unknown;
      await interpolateImages(nice, a, b.subarray(1)).catch((e: unknown) => (refused = e));
      expect(String(refused)).to.match(/two images of 1×4×4 = 16 values, got 16 and 15/);
    } finally {
      nice.dispose();
    }
  });
});
