import { expect } from '@esm-bundle/chai';
import { benchCsvParse, generatePointCsv } from '../../src/data/csv-bench';
import { Dataset } from '../../src/data/dataset';
import { DatasetSpecError, PointParseError } from '../../src/data/errors';
import { MAX_POINTS, parsePoints, readNumber } from '../../src/data/points';
import { testGpu } from '../support/gpu';
import { estimateMoments } from './helpers';

function parseError(text: string, options = {}): PointParseError {
  try {
    parsePoints(text, options);
  } catch (error) {
    expect(error).to.be.instanceOf(PointParseError);
    return error as PointParseError;
  }
  throw new Error(`expected a PointParseError for ${JSON.stringify(text.slice(0, 60))}`);
}

const cpuOnly = {} as ConstructorParameters<typeof Dataset>[0];

describe('point text parsing', () => {
  it('reads CSV, TSV, semicolons and whitespace, with a header, comments, blank lines and CRLF', () => {
    const text = [
      'x,y',
      '1,2',
      '# a comment',
      '',
      '-3.5 , +4e-1',
      '\t.5\t-6.\t',
      '7;8',
      '// another comment',
      '  9   10  ',
      '1.5E2,-0',
    ].join('\r\n');
    expect(Array.from(parsePoints(text))).to.deep.equal(
      [1, 2, -3.5, 0.4, 0.5, -6, 7, 8, 9, 10, 150, -0].map(Math.fround),
    );
    expect(Array.from(parsePoints('1 2\n3 4'))).to.deep.equal([1, 2, 3, 4]);
    expect(Array.from(parsePoints('a,b,c\n1,2,3\n4,5,6', { columns: [2, 0] }))).to.deep.equal([
      3, 1, 6, 4,
    ]);
  });

  it('reads decimal numbers exactly as Number() does (fast path included)', () => {
    let seed = 99;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    for (let k = 0; k < 20_000; k++) {
      const digits =
        String(next()).slice(0, 1 + (next() % 10)) + String(next()).slice(0, next() % 10);
      const point = next() % (digits.length + 1);
      let text = `${next() % 2 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
      if (next() % 3 === 0) text += `e${(next() % 60) - 30}`;
      if (text === '.' || text === '-.') continue;
      expect(readNumber(text, 0, text.length), text).to.equal(Number(text));
    }
    for (const bad of [
      '',
      '-',
      '.',
      'e5',
      '1e',
      '1e+',
      '0x10',
      '1_000',
      'NaN',
      'Infinity',
      '1e999',
    ]) {
      expect(Number.isNaN(readNumber(bad, 0, bad.length)), bad).to.equal(true);
    }
  });

  it('reports malformed lines with their line numbers', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `${i},${i * 2}`);
    lines[16] = 'abc';
    expect(parseError(lines.join('\n')).message).to.equal(
      "line 17: expected two numbers, got 'abc'",
    );
    const cases: [string, RegExp][] = [
      ['1,2\n3,4,5', /^line 2: expected two numbers, got '3,4,5' \(3 fields; pass columns/],
      ['1,2\n3', /^line 2: expected two numbers, got '3'$/],
      ['1,2\n\n3,,4', /^line 3: .*\(an empty field\)/],
      ['1,2\n3,4,', /^line 2: .*\(an empty field\)/],
      ['1,2\n,3,4', /^line 2: .*\(an empty field\)/],
      ['1,2\n3,NaN', /^line 2: expected two numbers, got '3,NaN' \('NaN' is not a finite number\)/],
      ['1,2\n3,Infinity', /^line 2: .*'Infinity' is not a finite number/],
      ['1,2\n0x10,1', /^line 2: .*'0x10' is not a finite number/],
      ['1,2\n1e39,1', /^line 2: .*'1e39' is not a finite number/], // beyond f32
      ['1,2\n3,4\r\n5;x', /^line 3: .*'x' is not a finite number/],
      ['x,y\n', /^line 2: no points found/],
      ['', /^line 1: no points found/],
    ];
    for (const [text, pattern] of cases) {
      const error = parseError(text);
      expect(error.message, JSON.stringify(text)).to.match(pattern);
      expect(error.issues.length).to.equal(1);
    }
  });

  it('lists every bad line (the first 20 in detail) and enforces the point limit', () => {
    const lines = Array.from({ length: 100 }, (_, i) => (i % 4 === 3 ? `bad${i}` : `${i} ${i}`));
    const error = parseError(lines.join('\n'));
    expect(error.badLines).to.equal(25);
    expect(error.issues.map((issue) => issue.line)).to.deep.equal(
      Array.from({ length: 20 }, (_, k) => 4 + 4 * k),
    );
    expect(error.message).to.match(/\(and 5 more\)$/);
    const limit = parseError('1,1\n2,2\n3,3\n4,4', { maxPoints: 3 });
    expect(limit.message).to.equal(
      'line 4: more than 3 points; Flowfield keeps at most 3 (subsample the file).',
    );
    expect(MAX_POINTS).to.equal(1_000_000);
  });

  it('reads a JSON array of pairs, naming the line of each bad element or syntax error', () => {
    expect(Array.from(parsePoints(' [[1, 2], [-3.5, 4e1]] '))).to.deep.equal([1, 2, -3.5, 40]);
    const bad = '[\n  [1, 2],\n  [3, "a"],\n  [4],\n  [5, 6]\n]';
    const error = parseError(bad);
    expect(error.issues).to.deep.equal([
      { line: 3, message: `expected a pair of two numbers [x, y], got '[3, "a"]'` },
      { line: 4, message: "expected a pair of two numbers [x, y], got '[4]'" },
    ]);
    expect(parseError('[\n[1, 2],\n[3, 4]\n[5, 6]]').message).to.match(
      /^line 4: invalid JSON: expected ',' or ']' after a point, got '\[5, 6\]\]'/,
    );
    expect(parseError('[[1, 2]] x').message).to.match(/^line 1: invalid JSON: expected the end/);
    expect(parseError('[[1, 2], [3, 4]').message).to.match(/got the end of the input/);
    expect(parseError('[]').message).to.match(/holds no points/);
  });

  it('never fails with anything but a PointParseError on random garbage', () => {
    const alphabet = '0123456789.,;-+eE \t\n\r[]{}"x#/:nul';
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let parsed = 0;
    for (let k = 0; k < 2000; k++) {
      let text = '';
      const length = Math.floor(next() * 60);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      if (next() < 0.3) text = `[${text}`;
      try {
        const points = parsePoints(text);
        expect(points.length % 2).to.equal(0);
        expect(points.every(Number.isFinite)).to.equal(true);
        parsed++;
      } catch (error) {
        expect(error, JSON.stringify(text)).to.be.instanceOf(PointParseError);
        const lines = text.split('\n').length;
        for (const issue of (error as PointParseError).issues) {
          expect(issue.line).to.be.within(1, lines);
        }
      }
    }
    expect(parsed).to.be.greaterThan(0);
  });

  it('parses 1e6 points (the benchmark)', () => {
    const text = generatePointCsv(10);
    expect(text.split('\n')[0]).to.equal('x,y');
    expect(parsePoints(text).length).to.equal(20);
    const result = benchCsvParse(1_000_000, 1);
    expect(result.points).to.equal(1_000_000);
    console.log(
      `csv-bench: 1e6 points (${result.characters} chars) parsed in ${result.parseMs.toFixed(0)} ms`,
    );
  });
});

describe('point sets', () => {
  it('sample with replacement on the GPU: only the given points, duplicates weighted', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { points: [1.5, -2, 1.5, -2, 1.5, -2, 0.25, 3] });
    const n = 20_000;
    const points = await dataset.sample(n, { seed: 6 });
    let first = 0;
    for (let i = 0; i < points.length; i += 2) {
      const isFirst = points[i] === 1.5 && points[i + 1] === -2;
      const isSecond = points[i] === 0.25 && points[i + 1] === 3;
      expect(isFirst || isSecond, `point ${i / 2}`).to.equal(true);
      if (isFirst) first++;
    }
    // Binomial(n, 3/4): 5 standard deviations.
    expect(Math.abs(first / n - 0.75)).to.be.lessThan(5 * Math.sqrt((0.75 * 0.25) / n));
    dataset.dispose();
  });

  it('add Gaussian jitter of the given standard deviation', async () => {
    const gpu = await testGpu();
    const dataset = new Dataset(gpu, { points: [2, -1], jitter: 0.3 });
    const points = await dataset.sample(20_000, { seed: 2 });
    const { mean, cov, meanSe, covSe } = estimateMoments(points);
    expect(Math.abs(mean[0] - 2)).to.be.lessThan(5 * meanSe[0]);
    expect(Math.abs(mean[1] + 1)).to.be.lessThan(5 * meanSe[1]);
    expect(Math.abs(cov[0] - 0.09)).to.be.lessThan(5 * covSe[0]);
    expect(Math.abs(cov[1])).to.be.lessThan(5 * covSe[1]);
    expect(Math.abs(cov[2] - 0.09)).to.be.lessThan(5 * covSe[2]);
    dataset.dispose();
  });

  it('normalise with their exact moments', () => {
    const dataset = new Dataset(cpuOnly, { points: [0, 0, 4, 2, 8, 4, 0, 6], jitter: 1 });
    expect(dataset.normalizer.shift).to.deep.equal([3, 3]);
    // Variance of x: (9 + 1 + 25 + 9)/4 = 11, plus jitter² 1.
    expect(dataset.normalizer.scale[0]).to.be.closeTo(Math.sqrt(12), 1e-12);
    expect(dataset.normalizer.scale[1]).to.be.closeTo(Math.sqrt(5 + 1), 1e-12);
    const z = dataset.sampleCpu(100_000, { seed: 1, space: 'model' });
    const { mean, cov, meanSe, covSe } = estimateMoments(z);
    for (const k of [0, 1]) expect(Math.abs(mean[k]!)).to.be.lessThan(5 * meanSe[k]!);
    expect(Math.abs(cov[0] - 1)).to.be.lessThan(5 * covSe[0]);
    expect(Math.abs(cov[2] - 1)).to.be.lessThan(5 * covSe[2]);
  });

  it('validate their payload with the field and the limit', () => {
    const field = (spec: unknown) => {
      try {
        new Dataset(cpuOnly, spec as never);
      } catch (error) {
        expect(error).to.be.instanceOf(DatasetSpecError);
        return [(error as DatasetSpecError).field, (error as Error).message];
      }
      throw new Error('expected a DatasetSpecError');
    };
    expect(field({ points: [1, 2, 3] })[0]).to.equal('points');
    expect(field({ points: [] })[1]).to.match(/even, non-zero/);
    expect(field({ points: [1, NaN] })[1]).to.match(/coordinate 1 \(point 0\) must be a finite/);
    expect(field({ points: [[1, 2], [3]] })[0]).to.equal('points[1]');
    expect(field({ points: 'x,y\n1,2' })[1]).to.match(/parsePoints\(\)/);
    expect(field({ points: [0, 0], jitter: -1 })).to.deep.equal([
      'jitter',
      'jitter must be a number in [0, 100] (the std of the Gaussian noise added to each draw), got -1.',
    ]);
    expect(field({ points: new Float32Array(2 * MAX_POINTS + 2) })[1]).to.match(
      /1000001 points; at most 1000000/,
    );
    expect(
      new Dataset(cpuOnly, {
        points: [
          [1, 2],
          [3, 4],
        ],
      }).source.auxCount,
    ).to.equal(2);
  });
});
