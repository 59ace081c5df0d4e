/**
 * RealNVP's and Glow's GPU kernels against the float64 twin: forward (z and every per-scale
 * latent), log p, inverse, parameter gradients, sampling with a seed and a temperature, and no
 * buffer leaks.
 */
import { expect } from '@esm-bundle/chai';
import { STORAGE_USAGE } from '../../../src/gpu';
import {
  multiscaleForwardCpu,
  multiscaleInverseCpu,
  multiscaleLogProbCpu,
  multiscaleLossGradCpu,
  multiscalePriorSampleCpu,
  splitLatents,
} from '../../../src/models/image-flows/multiscale-reference';
import { multiscaleDims } from '../../../src/models/image-flows/multiscale-spec';
import { NiceModel } from '../../../src/models/image-flows/nice-model';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, runPass, testValues, uploadFloats } from '../../support/gpu-helpers';
import { normRelativeError } from '../flows/layer-checks';
import { randomFlow } from './multiscale-fixtures';

/** The largest |a − b| relative to the largest |b|. */
function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

for (const kind of ['realnvp', 'glow'] as const) {
  describe(`${kind} on the GPU`, () => {
    it('forward (z, per-scale latents), log p and inverse match the twin', async () => {
      const gpu = await testGpu();
      const { spec, params } = randomFlow(kind, kind === 'glow' ? 'logistic' : 'gaussian', 5);
      const model = await NiceModel.createMultiscale(gpu, spec);
      try {
        model.importParams(Float32Array.from(params));
        const p32 = Float64Array.from(Float32Array.from(params));
        const n = 5;
        const dims = multiscaleDims(spec);
        const y = Float32Array.from(testValues(n * dims, 31, 1), (v) => 0.5 + 0.5 * v);
        const preLogDet = -3.25;
        const { z, logProb } = await model.forward(y, preLogDet);
        const twin = multiscaleForwardCpu(spec, p32, y, n);
        expect(maxRelativeError(z, twin.z), 'z').to.be.lessThan(1e-4);
        splitLatents(spec, z, n).forEach((latent, k) =>
          expect(maxRelativeError(latent, twin.latents[k]!), `latent ${k}`).to.be.lessThan(1e-4),
        );
        const twinLogProb = multiscaleLogProbCpu(spec, p32, y, n, new Array(n).fill(preLogDet));
        for (let b = 0; b < n; b++) {
          const relative = Math.abs(logProb[b]! - twinLogProb[b]!) / Math.abs(twinLogProb[b]!);
          expect(relative, `log p of image ${b}`).to.be.lessThan(1e-4);
        }
        const back = await model.inverse(z);
        expect(maxRelativeError(back, y), 'inverse(forward(y)) = y').to.be.lessThan(1e-4);
        const twinBack = multiscaleInverseCpu(spec, p32, twin.z, n);
        expect(maxRelativeError(back, twinBack)).to.be.lessThan(1e-4);
      } finally {
        model.dispose();
      }
    });

    it('parameter gradients match the twin', async () => {
      const gpu = await testGpu();
      const { spec, params } = randomFlow(kind, 'logistic', 9);
      const model = await NiceModel.createMultiscale(gpu, spec);
      const n = 4;
      const dims = multiscaleDims(spec);
      const y = Float32Array.from(testValues(n * dims, 41, 1), (v) => 0.5 + 0.5 * v);
      const preLogDet = Float32Array.from([-1, -2, 0.5, 3]);
      const rows = uploadFloats(gpu, y, 'test rows');
      const z = gpu.pool.acquire(n * dims * 4, STORAGE_USAGE, 'test z');
      const logDets = uploadFloats(gpu, preLogDet, 'test log-dets');
      const perRow = gpu.pool.acquire(2 * n * 4, STORAGE_USAGE, 'test per-row');
      const grads = uploadFloats(gpu, new Float32Array(model.parameterCount), 'test grads');
      model.importParams(Float32Array.from(params));
      const binding = model.network.bind(
        {
          batch: n,
          params: model.params.binding,
          rows: rows.binding,
          z: z.binding,
          preLogDet: { buffer: logDets.binding, stride: 1, offset: 0 },
          perRow: perRow.binding,
          grads: { buffer: grads.binding, stride: model.parameterCount },
        },
        `test ${kind}`,
      );
      try {
        runPass(gpu, (pass) => {
          binding.encodeForward(pass);
          binding.encodeBackward(pass);
        });
        const gpuGrads = await gpu.readback.readFloat32(grads.buffer, 0, model.parameterCount);
        const terms = await gpu.readback.readFloat32(perRow.buffer, 0, n);
        const p32 = Float64Array.from(Float32Array.from(params));
        const twin = multiscaleLossGradCpu(spec, p32, y, n, preLogDet);
        const loss = terms.reduce((a, b) => a + b, 0);
        expect(Math.abs(loss - twin.loss) / Math.abs(twin.loss), 'loss').to.be.lessThan(1e-4);
        expect(normRelativeError(gpuGrads, twin.grads), 'gradient norm error').to.be.lessThan(1e-4);
        expect(scaledError(gpuGrads, twin.grads), 'worst gradient').to.be.lessThan(1e-4);
      } finally {
        binding.dispose();
        for (const b of [rows, z, logDets, perRow, grads]) b.dispose();
        model.dispose();
      }
    });

    it('samples reproduce exactly from a seed; temperature 0 is the image of z = 0; nothing leaks', async () => {
      const gpu = await testGpu();
      const { spec, params } = randomFlow(kind, 'logistic', 13);
      const before = gpu.pool.stats().inUse;
      const model = await NiceModel.createMultiscale(gpu, spec);
      try {
        model.importParams(Float32Array.from(params));
        const p32 = Float64Array.from(Float32Array.from(params));
        const n = 4;
        const first = await model.sample(n, 17, 0.8);
        const again = await model.sample(n, 17, 0.8);
        expect(Array.from(again)).to.deep.equal(Array.from(first));
        const other = await model.sample(n, 18, 0.8);
        expect(maxRelativeError(other, first)).to.be.greaterThan(1e-2);
        // The samples are f⁻¹(0.8 ε) for the twin's draws ε: checked through the (contracting,
        // well-conditioned) forward map, as the inverse of a random flow amplifies the f32
        // f32 rounding of the draws to ~1e-3. (Logistic draws: f32 Box–Muller differs from the
        // float64 one by ~2e-4 near u = 0, the same for NICE.)
        const draws = multiscalePriorSampleCpu(spec, n, 17, 0.8);
        const { z } = multiscaleForwardCpu(spec, p32, first, n);
        expect(maxRelativeError(z, draws), 'f(sample) vs the twin draws').to.be.lessThan(1e-4);
        const zero = await model.sample(2, 17, 0);
        const image = multiscaleInverseCpu(
          spec,
          p32,
          new Float64Array(2 * multiscaleDims(spec)),
          2,
        );
        expect(maxRelativeError(zero, image)).to.be.lessThan(1e-5);
        await model.inverse(await model.sample(3, 2, 1));
        expect(gpu.pool.stats().inUse - before, 'buffers held by a live model').to.equal(1);
      } finally {
        model.dispose();
      }
      expect(gpu.pool.stats().inUse, 'buffers left after dispose').to.equal(before);
    });
  });
}
