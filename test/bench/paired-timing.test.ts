/**
 * The benchmark's paired timing (bench/harness/measure.ts) and its ratios (bench/report.mjs),
 * with fake implementations whose speed is known: no GPU, no TF.js.
 */
import { expect } from '@esm-bundle/chai';
import { measureGroup } from '../../bench/harness/measure';
import type { BenchOptions, CaseResult } from '../../bench/harness/results';
import type { BenchCase, BenchContext, Impl, Workload } from '../../bench/harness/types';
import { computeRatios, formatTable, pairedRatios } from '../../bench/report.mjs';

const OPTIONS: BenchOptions = {
  filter: [],
  quick: true,
  runs: 3,
  targetSeconds: 0.02,
  qualitySteps: 0,
  diffusionQualitySteps: 0,
  diffusionQualityOnly: [],
  straightnessSteps: 0,
};

const CONTEXT: BenchContext = {
  quick: true,
  shared: (_key, create) => create(),
  log: () => {},
};

const WORKLOAD: Workload = {
  family: 'mlp',
  group: 'fake/train',
  kind: 'train',
  config: {},
  itemsPerStep: 1,
  quick: true,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fake implementation taking `msPerStep` per step that logs what the harness asks of it. */
function fakeCase(impl: Impl, msPerStep: number, events: string[]): BenchCase {
  return {
    id: `fake/train@${impl}`,
    workload: WORKLOAD,
    implementation: {
      impl,
      async setup() {
        events.push(`setup ${impl}`);
        let loss = 1;
        return {
          async run(steps: number) {
            events.push(`run ${impl}`);
            events.push(`steps ${impl} ${steps}`);
            await sleep(msPerStep * steps);
            loss /= 2;
            return loss;
          },
          evalLoss: async () => loss,
          dispose: () => void events.push(`dispose ${impl}`),
        };
      },
    },
  };
}

function ok(result: CaseResult | undefined): CaseResult {
  expect(result?.status, result?.reason).to.equal('ok');
  return result!;
}

describe('bench: paired timing', function () {
  this.timeout(60_000);

  it('pairs Flowfield with each peer in turn, one peer alive at a time', async () => {
    const events: string[] = [];
    const cases = [
      fakeCase('flowfield', 2, events),
      fakeCase('tfjs-webgpu', 8, events),
      fakeCase('tfjs-wasm', 4, events),
    ];
    const [ours, webgpu, wasm] = (await measureGroup(cases, OPTIONS, CONTEXT)).map(ok);
    // Flowfield times runs × peers runs; each peer its runs, with Flowfield's runs of its rounds.
    expect(ours!.runs).to.have.length(6);
    for (const peer of [webgpu!, wasm!]) {
      expect(peer.paired).to.equal(true);
      expect(peer.runs).to.have.length(3);
      expect(peer.paired_runs).to.have.length(3);
    }
    expect(webgpu!.paired_runs).to.deep.equal(ours!.runs!.slice(0, 3));
    expect(wasm!.paired_runs).to.deep.equal(ours!.runs!.slice(3, 6));
    // A peer is disposed before the next one is set up (TF.js has one global backend).
    const order = events.filter((e) => !e.startsWith('run') && !e.startsWith('steps'));
    expect(order).to.deep.equal([
      'setup flowfield',
      'setup tfjs-webgpu',
      'dispose tfjs-webgpu',
      'setup tfjs-wasm',
      'dispose tfjs-wasm',
      'dispose flowfield',
    ]);
    // The timed runs alternate who goes first: ours, peer | peer, ours | ours, peer.
    const webgpuPhase = events.slice(
      events.indexOf('setup tfjs-webgpu'),
      events.indexOf('dispose tfjs-webgpu'),
    );
    const timed = webgpuPhase.filter((e) => e.startsWith('run ')).slice(-6);
    expect(timed).to.deep.equal([
      'run flowfield',
      'run tfjs-webgpu',
      'run tfjs-webgpu',
      'run flowfield',
      'run flowfield',
      'run tfjs-webgpu',
    ]);
    // The fake speeds come through: ~4× and ~2× (setTimeout granularity makes this loose).
    const ratios = computeRatios([ours!, webgpu!, wasm!]);
    expect(ratios.map((r) => r.peer)).to.deep.equal(['tfjs-webgpu', 'tfjs-wasm']);
    expect(ratios[0]!.ratio).to.be.within(2, 6);
    expect(ratios[1]!.ratio).to.be.within(1.2, 3);
  });

  it('--steps N: no calibration, one warm-up step, then every timed run N steps, paired', async () => {
    const events: string[] = [];
    const cases = [fakeCase('flowfield', 1, events), fakeCase('tfjs-wasm', 1, events)];
    const options = { ...OPTIONS, runs: 2, fixedSteps: 3 };
    const [ours, wasm] = (await measureGroup(cases, options, CONTEXT)).map(ok);
    // The fakes last 1 ms a step: calibration to the 20 ms target would ask for more steps.
    for (const impl of ['flowfield', 'tfjs-wasm']) {
      const asked = events
        .filter((e) => e.startsWith(`steps ${impl} `))
        .map((e) => e.split(' ')[2]);
      expect(asked, impl).to.deep.equal(['1', '3', '3']);
    }
    expect(ours!.steps_per_run).to.equal(3);
    expect(wasm!.steps_per_run).to.equal(3);
    expect(wasm!.paired_runs).to.have.length(2);
    expect(ours!.warmup_steps).to.equal(1);
  });

  it('a group without Flowfield is timed case by case, unpaired', async () => {
    const events: string[] = [];
    const results = await measureGroup([fakeCase('tfjs-wasm', 2, events)], OPTIONS, CONTEXT);
    expect(ok(results[0]).paired).to.equal(false);
    expect(results[0]!.paired_runs).to.equal(undefined);
  });

  it('a peer that fails to set up is reported and the group goes on', async () => {
    const events: string[] = [];
    const broken: BenchCase = {
      ...fakeCase('tfjs-webgpu', 1, events),
      implementation: {
        impl: 'tfjs-webgpu',
        setup: () => Promise.reject(new Error('no adapter')),
      },
    };
    const results = await measureGroup(
      [fakeCase('flowfield', 1, events), broken, fakeCase('tfjs-wasm', 1, events)],
      OPTIONS,
      CONTEXT,
    );
    expect(results[1]!.status).to.equal('error');
    expect(results[1]!.reason).to.equal('no adapter');
    expect(ok(results[2]).paired_runs).to.have.length(3);
    expect(ok(results[0]).runs).to.have.length(3);
  });
});

describe('bench: paired timing when Flowfield fails', function () {
  this.timeout(60_000);

  it('reports the failure and times the peers alone', async () => {
    const events: string[] = [];
    const flaky = fakeCase('flowfield', 1, events);
    const setup = flaky.implementation.setup;
    flaky.implementation.setup = async (workload, context) => {
      const session = await setup(workload, context);
      // The harness asks for the first evaluation loss after calibration, before the timed
      // runs: from then on, the second run throws.
      let timedRuns: number | undefined;
      return {
        ...session,
        evalLoss: () => {
          timedRuns ??= 0;
          return session.evalLoss!();
        },
        run: (steps: number) => {
          if (timedRuns !== undefined && ++timedRuns === 2) {
            events.push('fail flowfield');
            return Promise.reject(new Error('device lost'));
          }
          return session.run(steps);
        },
      };
    };
    const results = await measureGroup(
      [flaky, fakeCase('tfjs-webgpu', 1, events), fakeCase('tfjs-wasm', 1, events)],
      OPTIONS,
      CONTEXT,
    );
    expect(results[0]!.status).to.equal('error');
    expect(results[0]!.reason).to.equal('device lost');
    for (const peer of [ok(results[1]), ok(results[2])]) {
      expect(peer.paired).to.equal(false);
      expect(peer.runs).to.have.length(3);
      expect(peer.paired_runs).to.equal(undefined);
    }
    // It failed in the first peer's rounds; the second peer was timed alone, then all disposed.
    expect(events.filter((e) => !e.startsWith('run') && !e.startsWith('steps'))).to.deep.equal([
      'setup flowfield',
      'setup tfjs-webgpu',
      'fail flowfield',
      'dispose tfjs-webgpu',
      'setup tfjs-wasm',
      'dispose tfjs-wasm',
      'dispose flowfield',
    ]);
  });
});

describe('bench: ratios', () => {
  const run = (stepsPerSecond: number) => ({
    steps: 1,
    seconds: 1 / stepsPerSecond,
    steps_per_s: stepsPerSecond,
  });
  const result = (impl: Impl, rates: number[], extra: Partial<CaseResult> = {}): CaseResult => ({
    id: `g@${impl}`,
    group: 'g',
    family: 'mlp',
    kind: 'train',
    impl,
    config: {},
    items_per_step: 1,
    status: 'ok',
    runs: rates.map(run),
    steps_per_s: [...rates].sort((a, b) => a - b)[rates.length >> 1],
    case_s: 0,
    ...extra,
  });

  it('paired: the median of the per-round ratios, with their range', () => {
    // Rounds: 10/1 = 10, 12/4 = 3, 30/2 = 15 → median 10; the ratio of the medians is 12/2 = 6.
    const ours = result('flowfield', [10, 12, 30], { paired: true });
    const peer = result('tfjs-webgpu', [1, 4, 2], { paired: true, paired_runs: ours.runs! });
    expect(pairedRatios(peer)).to.deep.equal([10, 3, 15]);
    const [ratio] = computeRatios([ours, peer]);
    expect(ratio!.ratio).to.equal(10);
    expect(ratio!.ratio_of_medians).to.equal(6);
    expect([ratio!.ratio_min, ratio!.ratio_max]).to.deep.equal([3, 15]);
    expect(formatTable([ours, peer], [ratio!])).to.contain('10.0× (3.00–15.0)');
  });

  it('unpaired: the ratio of the medians', () => {
    const ours = result('flowfield', [10, 12, 30]);
    const peer = result('tfjs-wasm', [1, 4, 2]);
    expect(pairedRatios(peer)).to.equal(null);
    const [ratio] = computeRatios([ours, peer]);
    expect(ratio!.ratio).to.equal(6);
    expect(ratio!.paired_ratios).to.equal(null);
  });
});
