/**
 * The page's loss history over long runs (#17 item 6): exact up to MAX_BUCKETS steps, then
 * downsampled in bounded memory with each bucket's min, max and mean equal to those of the steps
 * it covers (checked against the raw losses, kept here in a plain array), rollbacks replacing
 * the steps a run redoes, and the smoothed curve equal to the per-step EMA while exact.
 */
import { expect } from '@open-wc/testing';
import {
  EMPTY_LOSSES,
  MAX_BUCKETS,
  lossHistoryOf,
  type LossHistory,
} from '../../../src/ui/controllers/loss-history';
import { smooth, smoothBuckets } from '../../../src/ui/loss-plot/loss-plot';

/** A loss curve with noise, a spike and a NaN (a step the worker reported as non-finite). */
function curve(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => 2 + Math.exp(-i / 2e5) + 0.1 * Math.sin(i * 0.7));
  out[Math.floor(n * 0.6543)] = 40;
  out[17] = Number.NaN;
  return out;
}

/** Feeds `losses` as the controller does: reports of `chunk` losses each. */
function fed(losses: readonly number[], chunk = 997): LossHistory {
  let history = EMPTY_LOSSES;
  for (let first = 0; first < losses.length; first += chunk) {
    history = history.record(first, losses.slice(first, first + chunk));
  }
  return history;
}

/** Each bucket's statistics against the raw steps it covers. */
function expectBucketsMatch(history: LossHistory, raw: readonly number[]): void {
  const b = history.bucketsView();
  expect(b.count).to.equal(Math.ceil(raw.length / b.size));
  for (let i = 0; i < b.count; i++) {
    const steps = raw.slice(i * b.size, (i + 1) * b.size).filter(Number.isFinite);
    if (!steps.length) {
      expect(Number.isNaN(b.mean[i]!), `bucket ${i} mean`).to.equal(true);
      continue;
    }
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of steps) [min, max, sum] = [Math.min(min, v), Math.max(max, v), sum + v];
    expect(b.min[i], `bucket ${i} min`).to.equal(Math.fround(min));
    expect(b.max[i], `bucket ${i} max`).to.equal(Math.fround(max));
    expect(b.mean[i]!, `bucket ${i} mean`).to.be.closeTo(sum / steps.length, 1e-5 * Math.abs(max));
  }
}

describe('loss history', () => {
  it('is exact up to MAX_BUCKETS steps and replaces redone steps', () => {
    const raw = curve(5_000).map(Math.fround);
    const history = fed(raw);
    expect(history.isExact).to.equal(true);
    expect(history.length).to.equal(5_000);
    expect(history.exact()).to.deep.equal(raw);
    // A rollback to step 4 990: the run redoes ten steps with other losses.
    history.record(4_990, [1, 2, 3]);
    expect(history.length).to.equal(4_993);
    expect(history.exact()).to.deep.equal([...raw.slice(0, 4_990), 1, 2, 3]);
    expect(history.last).to.equal(3);
    // The shared empty history stays empty.
    expect(EMPTY_LOSSES.length).to.equal(0);
  });

  it('downsamples a million steps in bounded memory; every bucket is true to its steps', () => {
    const n = 1_000_000;
    const raw = curve(n);
    const history = fed(raw);
    expect(history.length).to.equal(n);
    expect(history.isExact).to.equal(false);
    const b = history.bucketsView();
    expect(b.count).to.be.at.most(MAX_BUCKETS);
    expect(b.size).to.equal(16);
    expectBucketsMatch(history, raw);
    expect(() => history.exact()).to.throw(/downsampled/);
    // A rollback after downsampling: steps from the checkpoint are replaced exactly.
    const checkpoint = n - 1_000;
    const redo = Array.from({ length: 1_500 }, (_, i) => 1 + i * 1e-3);
    history.record(checkpoint, redo);
    const expected = [...raw.slice(0, checkpoint), ...redo];
    expect(history.length).to.equal(expected.length);
    expectBucketsMatch(history, expected);
    expect(history.last).to.equal(Math.fround(redo.at(-1)!));
  });

  it('a step beyond the last recorded one leaves a gap, not invented losses', () => {
    const history = lossHistoryOf([1, 2]);
    history.record(4, [5]);
    const values = history.exact();
    expect(values.slice(0, 2)).to.deep.equal([1, 2]);
    expect(values.slice(2, 4).every(Number.isNaN)).to.equal(true);
    expect(values[4]).to.equal(5);
  });

  it('smoothing over buckets of one step is the per-step EMA', () => {
    const raw = curve(3_000).filter(Number.isFinite);
    const expected = smooth(raw, 0.9);
    const got = smoothBuckets(Float32Array.from(raw), 0.9, 1);
    got.forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-5));
  });
});
