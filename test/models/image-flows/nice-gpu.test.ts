/** NICE's GPU kernels against the float64 twin: forward, log p, inverse, gradients, sampling. */
import { expect } from '@esm-bundle/chai';
import { NiceModel } from '../../../src/models/image-flows/nice-model';
import {
  niceForwardCpu,
  niceInverseCpu,
  niceLogProbCpu,
  niceLossGradCpu,
  nicePriorSampleCpu,
} from '../../../src/models/image-flows/nice-reference';
import { niceDims } from '../../../src/models/image-flows/nice-spec';
import { STORAGE_USAGE } from '../../../src/gpu';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, runPass, testValues, uploadFloats } from '../../support/gpu-helpers';
import { normRelativeError } from '../flows/layer-checks';
import { randomNice } from './nice-fixtures';

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

describe('NICE on the GPU', () => {
  for (const prior of ['logistic', 'gaussian'] as const) {
    it(`forward, log p and inverse match the twin (${prior} prior)`, async () => {
      const gpu = await testGpu();
      const { spec, params } = randomNice(prior, 5);
      const model = await NiceModel.create(gpu, spec);
      try {
        model.importParams(Float32Array.from(params));
        const p32 = Float64Array.from(Float32Array.from(params));
        const n = 9;
        const y = Float32Array.from(testValues(n * niceDims(spec), 31, 1), (v) => 0.5 + 0.5 * v);
        const preLogDet = -3.25;
        const { z, logProb } = await model.forward(y, preLogDet);
        const twin = niceForwardCpu(spec, p32, y, n);
        expect(maxRelativeError(z, twin.z), 'z').to.be.lessThan(1e-4);
        const twinLogProb = niceLogProbCpu(spec, p32, y, n, new Array<number>(n).fill(preLogDet));
        for (let b = 0; b < n; b++) {
          const relative = Math.abs(logProb[b]! - twinLogProb[b]!) / Math.abs(twinLogProb[b]!);
          expect(relative, `log p of row ${b}`).to.be.lessThan(1e-4);
        }
        const back = await model.inverse(z);
        expect(maxRelativeError(back, y), 'inverse(forward(y)) = y').to.be.lessThan(1e-4);
        expect(maxRelativeError(back, niceInverseCpu(spec, p32, z, n))).to.be.lessThan(1e-4);
      } finally {
        model.dispose();
      }
    });
  }

  // Width 8: the fused-MLP conditioners; width 128: the same with subgroup weight sharing on CPU
  // adapters that have 'subgroups' (SwiftShader; kernelTuning); width 300 (> MAX_MLP_WIDTH): one
  // dense layer each.
  for (const hidden of [8, 128, 300]) {
    it(`parameter gradients match the twin (conditioners of width ${hidden})`, async () => {
      const gpu = await testGpu();
      const { spec, params } = randomNice('logistic', 9, hidden);
      const model = await NiceModel.create(gpu, spec);
      const n = 7;
      const dims = niceDims(spec);
      const y = Float32Array.from(testValues(n * dims, 41, 1), (v) => 0.5 + 0.5 * v);
      const preLogDet = Float32Array.from([-1, -2, 0.5, 3, 1, -0.25, 2]);
      const rows = uploadFloats(gpu, y, 'test rows');
      const z = gpu.pool.acquire(n * dims * 4, STORAGE_USAGE, 'test z');
      const logDets = uploadFloats(gpu, preLogDet, 'test log-dets');
      const perRow = gpu.pool.acquire(
        2 * n * 4,
        STORAGE_USAGE | GPUBufferUsage.COPY_SRC,
        'test per-row',
      );
      const chunks = model.network.gradientChunks(n);
      const grads = uploadFloats(
        gpu,
        new Float32Array(chunks * model.parameterCount),
        'test grads',
      );
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
        'test nice',
      );
      try {
        runPass(gpu, (pass) => {
          binding.encodeForward(pass);
          binding.encodeBackward(pass);
        });
        const gpuGrads = await gpu.readback.readFloat32(
          grads.buffer,
          0,
          chunks * model.parameterCount,
        );
        const summed = new Float64Array(model.parameterCount);
        for (let c = 0; c < chunks; c++)
          for (let i = 0; i < summed.length; i++) summed[i]! += gpuGrads[c * summed.length + i]!;
        const terms = await gpu.readback.readFloat32(perRow.buffer, 0, n);
        const p32 = Float64Array.from(Float32Array.from(params));
        const twin = niceLossGradCpu(spec, p32, y, n, preLogDet);
        const loss = terms.reduce((a, b) => a + b, 0);
        expect(Math.abs(loss - twin.loss) / Math.abs(twin.loss), 'loss').to.be.lessThan(1e-4);
        expect(normRelativeError(summed, twin.grads), 'gradient norm error').to.be.lessThan(1e-4);
        expect(scaledError(summed, twin.grads), 'worst gradient').to.be.lessThan(1e-4);
      } finally {
        binding.dispose();
        for (const b of [rows, z, logDets, perRow, grads]) b.dispose();
        model.dispose();
      }
    });
  }

  it('samples reproduce exactly from a seed; temperature scales the prior; nothing leaks', async () => {
    const gpu = await testGpu();
    const { spec, params } = randomNice('logistic', 13);
    const before = gpu.pool.stats().inUse;
    const model = await NiceModel.create(gpu, spec);
    try {
      model.importParams(Float32Array.from(params));
      const p32 = Float64Array.from(Float32Array.from(params));
      const n = 6;
      const first = await model.sample(n, 17, 0.8);
      const again = await model.sample(n, 17, 0.8);
      expect(Array.from(again)).to.deep.equal(Array.from(first));
      const other = await model.sample(n, 18, 0.8);
      expect(maxRelativeError(other, first)).to.be.greaterThan(1e-2);
      const twin = niceInverseCpu(spec, p32, nicePriorSampleCpu(spec, n, 17, 0.8), n);
      expect(maxRelativeError(first, twin), 'sample vs twin').to.be.lessThan(1e-4);
      // Temperature 0: every sample is the image of z = 0.
      const zero = await model.sample(2, 17, 0);
      const image = niceInverseCpu(spec, p32, new Float64Array(2 * niceDims(spec)), 2);
      expect(maxRelativeError(zero, image)).to.be.lessThan(1e-5);
      // Every call released what it took: only the parameters stay.
      await model.inverse(await model.sample(300, 2, 1));
      expect(gpu.pool.stats().inUse - before, 'buffers held by a live model').to.equal(1);
    } finally {
      model.dispose();
    }
    expect(gpu.pool.stats().inUse, 'buffers left after dispose').to.equal(before);
  });
});
