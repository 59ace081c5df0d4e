import { expect } from '@esm-bundle/chai';
import datasetsWgsl from '../../shaders/data/datasets.wgsl';
import { BUILTINS, BUILTIN_NAMES, DATASET_IDS } from '../../src/data/builtins';
import { Dataset } from '../../src/data/dataset';
import { DatasetSpecError } from '../../src/data/errors';
import { AffineNormalizer } from '../../src/data/normalize';
import { checkParam } from '../../src/data/params';
import { resolveSpec, specToJSON, type DatasetSpec } from '../../src/data/spec';

const cpuOnly = {} as ConstructorParameters<typeof Dataset>[0];

function specError(spec: unknown): DatasetSpecError {
  try {
    new Dataset(cpuOnly, spec as DatasetSpec);
  } catch (error) {
    expect(error).to.be.instanceOf(DatasetSpecError);
    return error as DatasetSpecError;
  }
  throw new Error(`expected a DatasetSpecError for ${JSON.stringify(spec)}`);
}

describe('dataset specs', () => {
  it('fill defaults: seed 0, per-axis normalisation, every parameter', () => {
    expect(resolveSpec({ name: 'moons' })).to.deep.equal({
      kind: 'builtin',
      name: 'moons',
      params: { noise: 0.1 },
      seed: 0,
      normalize: 'per-axis',
    });
    const pinwheel = resolveSpec({ name: 'pinwheel', params: { arms: 7 }, seed: 3 });
    expect(pinwheel).to.deep.include({ seed: 3 });
    expect((pinwheel as { params: unknown }).params).to.deep.equal({
      arms: 7,
      radialStd: 0.3,
      tangentialStd: 0.1,
      rate: 0.25,
    });
  });

  it('survive JSON (typed arrays included) and give the same dataset back', () => {
    const specs: DatasetSpec[] = [
      { name: 'circles', params: { noise: 0.05, factor: 0.3 }, seed: 2 ** 40 },
      {
        name: 'gaussian',
        params: {
          mean: [1, 2],
          cov: [
            [1, 0.5],
            [0.5, 2],
          ],
        },
        normalize: 'isotropic',
      },
      { points: new Float32Array([0.1, 0.2, 0.3, 0.4]), jitter: 0.01, seed: 5 },
      {
        grid: {
          width: 2,
          height: 2,
          weights: new Float32Array([0.1, 0, 0.3, 0.7]),
          bounds: [-1, -1, 1, 1],
        },
        normalize: 'none',
      },
    ];
    for (const spec of specs) {
      const json = JSON.stringify(specToJSON(spec));
      const back = JSON.parse(json) as DatasetSpec;
      const a = new Dataset(cpuOnly, spec);
      const b = new Dataset(cpuOnly, back);
      expect(b.source.q).to.deep.equal(a.source.q);
      // Typed arrays and their JSON copies hold the same numbers.
      expect(JSON.stringify(specToJSON(b.resolved as DatasetSpec))).to.equal(
        JSON.stringify(specToJSON(a.resolved as DatasetSpec)),
      );
      expect(Array.from(b.sampleCpu(64))).to.deep.equal(Array.from(a.sampleCpu(64)));
      expect(b.normalizer.toJSON()).to.deep.equal(a.normalizer.toJSON());
    }
  });

  it('name the field and the allowed values in every error', () => {
    const cases: [unknown, string, RegExp][] = [
      [
        { name: 'moon' },
        'name',
        /Unknown dataset name "moon"; the built-in datasets are gaussian, moons, .*smiley/,
      ],
      [
        { name: 'moons', params: { noise: 3 } },
        'params.noise',
        /^params\.noise of dataset 'moons' must be a number in \[0, 2\], got 3\.$/,
      ],
      [{ name: 'moons', params: { nosie: 0.1 } }, 'params.nosie', /its parameters are noise\./],
      [{ name: 'checkerboard', params: { noise: 0.1 } }, 'params.noise', /it has none/],
      [{ name: 'pinwheel', params: { arms: 2.5 } }, 'params.arms', /an integer in \[1, 16\]/],
      [{ name: '8gaussians', params: { std: 0 } }, 'params.std', /a number in \[0\.001, 10\]/],
      [{ name: 'moons', params: [1] }, 'params', /must be an object/],
      [{ name: 'gaussian', params: { mean: [1] } }, 'params.mean', /a pair \[x, y\]/],
      [
        {
          name: 'gaussian',
          params: {
            cov: [
              [1, 0.5],
              [0.4, 1],
            ],
          },
        },
        'params.cov',
        /must be symmetric/,
      ],
      [
        {
          name: 'gaussian',
          params: {
            cov: [
              [1, 2],
              [2, 1],
            ],
          },
        },
        'params.cov',
        /positive definite/,
      ],
      [{ name: 'gaussian', params: { cov: [1, 0, 0, 1] } }, 'params.cov', /\[\[a, b\], \[b, c\]\]/],
      [{ name: 'moons', seed: -1 }, 'seed', /^seed must be an integer in \[0, 2\^53\), got -1\.$/],
      [{ name: 'moons', seed: 1.5 }, 'seed', /integer/],
      [{ name: 'moons', seed: '3' }, 'seed', /got "3"/],
      [
        { name: 'moons', sed: 1 },
        'sed',
        /Unknown field 'sed'.*allowed fields: name, params, seed, normalize/,
      ],
      [{ name: 'moons', points: [1, 2] }, 'name+points', /exactly one of/],
      [{}, 'name', /needs one of 'name'/],
      [null, 'spec', /must be an object/],
      [{ name: 'moons', normalize: 'zscore' }, 'normalize', /'per-axis', 'isotropic', 'none'/],
      [{ points: [0, 0], params: {} }, 'params', /allowed fields: points, jitter, seed, normalize/],
    ];
    for (const [spec, field, pattern] of cases) {
      const error = specError(spec);
      expect(error.field, JSON.stringify(spec)).to.equal(field);
      expect(error.message, JSON.stringify(spec)).to.match(pattern);
    }
  });

  it('every built-in documents its formula and has valid defaults and a view that holds its data', () => {
    for (const name of BUILTIN_NAMES) {
      const dataset = BUILTINS[name];
      expect(dataset.name).to.equal(name);
      expect(dataset.formula.length, name).to.be.greaterThan(40);
      for (const [field, schema] of Object.entries(dataset.params)) {
        expect(() => checkParam(name, field, schema, schema.default)).not.to.throw();
      }
      const d = new Dataset(cpuOnly, { name });
      const [x0, y0, x1, y1] = d.view;
      const points = d.sampleCpu(10_000, { seed: 1 });
      let inside = 0;
      for (let i = 0; i < points.length; i += 2) {
        if (points[i]! >= x0 && points[i]! <= x1 && points[i + 1]! >= y0 && points[i + 1]! <= y1)
          inside++;
      }
      expect(inside / 10_000, name).to.be.greaterThan(0.99);
    }
  });

  it('use the dataset ids of shaders/data/datasets.wgsl', () => {
    const ids: Record<string, number> = {};
    for (const match of datasetsWgsl.matchAll(/const DATASET_(\w+): u32 = (\d+)u;/g)) {
      ids[match[1]!] = Number(match[2]);
    }
    const expected = Object.fromEntries(
      Object.entries(DATASET_IDS).map(([name, id]) => [name.toUpperCase(), id]),
    );
    expect(ids).to.deep.equal(expected);
  });
});

describe('normalisation', () => {
  it('maps data to model coordinates and back, with the Jacobian in log-densities', () => {
    const n = new AffineNormalizer([1, -2], [2, 0.5]);
    const x = [3, 1, -1, -2.5];
    expect(Array.from(n.toModel(x))).to.deep.equal([1, 6, -1, -1]);
    expect(Array.from(n.toData(n.toModel(x)))).to.deep.equal(x);
    expect(n.logDetToData).to.be.closeTo(Math.log(1), 1e-15);
    const m = new AffineNormalizer([0, 0], [2, 3]);
    expect(m.logDensityToModel(-1)).to.be.closeTo(-1 + Math.log(6), 1e-15);
    expect(m.logDensityToData(m.logDensityToModel(-1))).to.be.closeTo(-1, 1e-15);
  });

  it('standardises per axis, isotropically or not at all; constant axes keep scale 1', () => {
    const moments = { mean: [1, 2] as [number, number], variance: [4, 16] as [number, number] };
    expect(AffineNormalizer.fromMoments(moments, 'per-axis').toJSON()).to.deep.equal({
      shift: [1, 2],
      scale: [2, 4],
    });
    const iso = AffineNormalizer.fromMoments(moments, 'isotropic').toJSON();
    expect(iso.scale).to.deep.equal([Math.sqrt(10), Math.sqrt(10)]);
    expect(AffineNormalizer.fromMoments(moments, 'none').toJSON()).to.deep.equal({
      shift: [0, 0],
      scale: [1, 1],
    });
    const vertical = new Dataset(cpuOnly, { points: [2, 0, 2, 1, 2, 5] });
    expect(vertical.normalizer.scale[0]).to.equal(1);
    expect(vertical.normalizer.shift[0]).to.equal(2);
  });

  it('gives built-ins zero mean and unit variance in model space (1e5 twin points)', () => {
    for (const name of ['moons', 'swissroll', 'pinwheel', 'gaussian'] as const) {
      const d = new Dataset(cpuOnly, { name });
      const z = d.sampleCpu(100_000, { seed: 77, space: 'model' });
      let mx = 0;
      let my = 0;
      let vx = 0;
      let vy = 0;
      for (let i = 0; i < z.length; i += 2) {
        mx += z[i]!;
        my += z[i + 1]!;
        vx += z[i]! ** 2;
        vy += z[i + 1]! ** 2;
      }
      // The map comes from a fixed 2^14-point estimate: its mean is off by ~1/128 of a standard
      // deviation, its scale by ~1%; the 1e5-point check adds ~0.3%.
      expect(Math.abs(mx / 1e5), `${name} mean x`).to.be.lessThan(0.05);
      expect(Math.abs(my / 1e5), `${name} mean y`).to.be.lessThan(0.05);
      expect(Math.abs(vx / 1e5 - 1), `${name} var x`).to.be.lessThan(0.05);
      expect(Math.abs(vy / 1e5 - 1), `${name} var y`).to.be.lessThan(0.05);
    }
  });
});
