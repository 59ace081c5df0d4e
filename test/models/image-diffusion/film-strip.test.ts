/**
 * The denoising film strip (issue #16's views): the GPU samplers' intermediate states against
 * the float64 twins' states after the same steps, the last column against sample() bit for bit,
 * and the lab's rows of intensities against the model's columns.
 */
import { expect } from '@esm-bundle/chai';
import { ImageDdpmModel } from '../../../src/models/image-diffusion/ddpm-model';
import { ddpmSampleCpu } from '../../../src/models/image-diffusion/ddpm-reference';
import {
  imageDdpmUNetShape,
  resolveImageDdpmSpec,
} from '../../../src/models/image-diffusion/ddpm-spec';
import { evenColumns, ImageFlowMatchingModel } from '../../../src/models/image-diffusion/fm-model';
import { fmSampleCpu } from '../../../src/models/image-diffusion/fm-reference';
import {
  imageFmUNetShape,
  resolveImageFlowMatchingSpec,
} from '../../../src/models/image-diffusion/fm-spec';
import { LabImageDdpm, LabImageFlowMatching } from '../../../src/lab/image-diffusion';
import { testGpu } from '../../support/gpu';
import { maxRelativeError, testValues } from '../../support/gpu-helpers';

const tiny = { channels: 4, groups: 2, timeFeatures: 4, timeHidden: 8, seed: 3 } as const;

/** The twin's states after each step count of `columns`, column-major like the GPU's strip. */
function twinColumns(
  columns: readonly number[],
  run: (onStep: (k: number, x: Float64Array) => void) => void,
): Float64Array[] {
  const states = new Map<number, Float64Array>();
  run((k, x) => states.set(k, x.slice()));
  return columns.map((c) => states.get(c)!);
}

function column(values: Float32Array, c: number, size: number): Float32Array {
  return values.subarray(c * size, (c + 1) * size);
}

describe('image diffusion: film strip', () => {
  it('evenColumns spaces step counts from 0 to the last step', () => {
    expect(evenColumns(20, 8)).to.deep.equal([0, 3, 6, 9, 11, 14, 17, 20]);
    expect(evenColumns(3, 8)).to.deep.equal([0, 1, 2, 3]);
  });

  it('flow matching: columns are the twin ODE states, the last is sample() bit for bit', async () => {
    const gpu = await testGpu();
    const spec = resolveImageFlowMatchingSpec({
      family: 'image-diffusion',
      kind: 'flow-matching',
      shape: [1, 4, 4],
      ...tiny,
    });
    const model = await ImageFlowMatchingModel.create(gpu, spec);
    try {
      const params = Float32Array.from(testValues(model.parameterCount, 19, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const n = 2;
      const size = n * model.dims;
      const z = await model.priorNoise(n, 7);
      for (const [sampler, steps] of [
        ['euler', 4],
        ['rk4', 3],
      ] as const) {
        const columns = evenColumns(steps, 3);
        const strip = await model.filmStrip(n, { seed: 7, sampler, steps }, columns);
        expect(strip.values.length).to.equal(columns.length * size);
        const sample = await model.sample(n, { seed: 7, sampler, steps });
        expect(
          Array.from(column(strip.values, columns.length - 1, size)),
          'last = sample',
        ).to.deep.equal(Array.from(sample));
        expect(Array.from(column(strip.values, 0, size)), 'first = prior').to.deep.equal(
          Array.from(z),
        );
        const twin = twinColumns(columns, (onStep) =>
          fmSampleCpu(params, model.offset, imageFmUNetShape(spec), n, {
            seed: 7,
            sampler,
            steps,
            noise: z,
            onStep,
          }),
        );
        columns.forEach((c, i) => {
          const gpuState = column(strip.values, i, size);
          expect(
            maxRelativeError(gpuState, twin[i]!),
            `${sampler} after ${c} steps`,
          ).to.be.lessThan(1e-4);
        });
        // The middle column is neither end (the ODE moves x).
        expect(maxRelativeError(column(strip.values, 1, size), z)).to.be.greaterThan(1e-2);
        expect(maxRelativeError(column(strip.values, 1, size), sample)).to.be.greaterThan(1e-2);
      }
      expect(() => model.filmStrip(n, { seed: 7, sampler: 'euler', steps: 2 }, [0, 3])).to.throw(
        RangeError,
        /step counts in \[0, 2\]/,
      );
    } finally {
      model.dispose();
    }
  });

  it('DDPM and DDIM: columns are the twin stages, the last is sample() bit for bit', async () => {
    const gpu = await testGpu();
    const spec = resolveImageDdpmSpec({
      family: 'image-diffusion',
      kind: 'ddpm',
      shape: [1, 4, 4],
      ...tiny,
      schedule: 'cosine',
      timesteps: 10,
    });
    const model = await ImageDdpmModel.create(gpu, spec);
    try {
      const params = Float32Array.from(testValues(model.parameterCount, 23, 0.3), (v) => v + 0.1);
      model.importParams(params);
      const n = 2;
      const size = n * model.dims;
      const seed = 7;
      const draws: Float32Array[] = [];
      for (let step = 0; step <= spec.timesteps; step++)
        draws.push(await model.noise(n, seed, step));
      for (const options of [{ sampler: 'ddpm' }, { sampler: 'ddim', steps: 4 }] as const) {
        const stages = model.stageCount(options);
        const columns = evenColumns(stages, 4);
        const strip = await model.filmStrip(n, { seed, ...options }, columns);
        const sample = await model.sample(n, { seed, ...options });
        expect(
          Array.from(column(strip.values, columns.length - 1, size)),
          'last = sample',
        ).to.deep.equal(Array.from(sample));
        const twin = twinColumns(columns, (onStep) =>
          ddpmSampleCpu(params, model.offset, imageDdpmUNetShape(spec), model.schedule, n, {
            seed,
            ...options,
            noise: (step) => draws[step]!,
            onStep,
          }),
        );
        columns.forEach((c, i) => {
          const gpuState = column(strip.values, i, size);
          expect(
            maxRelativeError(gpuState, twin[i]!),
            `${options.sampler} after ${c}`,
          ).to.be.lessThan(1e-4);
        });
      }
    } finally {
      model.dispose();
    }
  });

  it("the lab's strip: rows of samples, x_T … x₀, the last column sample()'s intensities", async () => {
    const gpu = await testGpu();
    const fm = await LabImageFlowMatching.create(gpu, {
      family: 'image-diffusion',
      kind: 'flow-matching',
      shape: [1, 4, 4],
      ...tiny,
    });
    const ddpm = await LabImageDdpm.create(gpu, {
      family: 'image-diffusion',
      kind: 'ddpm',
      shape: [1, 4, 4],
      ...tiny,
      timesteps: 10,
    });
    try {
      for (const model of [fm, ddpm]) {
        model.importParams(
          Float32Array.from(testValues(model.parameterCount, 5, 0.3), (v) => v + 0.1),
        );
        const options = { seed: 4, sampler: model === fm ? 'euler' : 'ddim', steps: 5 } as const;
        const n = 3;
        const strip = await model.filmStrip(n, { ...options, columns: 4 });
        expect(strip.total).to.equal(5);
        expect(strip.columns).to.deep.equal([0, 2, 3, 5]);
        const sample = await model.sample(n, options);
        const dims = 16;
        for (let i = 0; i < n; i++) {
          const last = strip.images.subarray((i * 4 + 3) * dims, (i * 4 + 4) * dims);
          expect(Array.from(last), `${model.spec.kind} row ${i}`).to.deep.equal(
            Array.from(sample.subarray(i * dims, (i + 1) * dims)),
          );
        }
        let refused: unknown;
        await model.filmStrip(n, { ...options, columns: 1 }).catch((e: unknown) => (refused = e));
        expect(refused, 'one column').to.be.instanceOf(RangeError);
      }
    } finally {
      fm.dispose();
      ddpm.dispose();
    }
  });
});
