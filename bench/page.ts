/**
 * The benchmark page. bench/run.mjs opens it headless as page.html?filter=…&quick=1&runs=3&
 * target=1 and listens on `window.__benchEmit`; opened by hand (node bench/run.mjs --serve), it
 * logs the same messages to the console and keeps them in `window.__benchMessages`.
 */
import { benchCsvParse } from '../src/data/csv-bench';
import { GpuRuntime } from '../src/gpu';
import { CASES } from './cases';
import { runDiffusionQuality } from './diffusion-quality';
import { runStraightness } from './straightness';
import { runNiceParity } from './nice-parity';
import { runQuality } from './quality';
import { installGpuCounters } from './harness/gpu-counters';
import { measureGroup } from './harness/measure';
import type { BenchOptions, PageEnvironment, PageMessage } from './harness/results';
import type { BenchCase, BenchContext } from './harness/types';

declare global {
  interface Window {
    __benchEmit?: (json: string) => Promise<void>;
    __benchMessages?: PageMessage[];
  }
}

async function emit(message: PageMessage): Promise<void> {
  (window.__benchMessages ??= []).push(message);
  if (window.__benchEmit) await window.__benchEmit(JSON.stringify(message));
  else console.log('[bench]', message);
}

function readOptions(): BenchOptions {
  const params = new URLSearchParams(location.search);
  const quick = params.get('quick') === '1';
  const filter = (params.get('filter') ?? '')
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean);
  const runs = Math.max(2, Number(params.get('runs') ?? 3) || 3);
  const fixedSteps = Math.max(0, Math.floor(Number(params.get('steps') ?? 0) || 0)) || null;
  const targetSeconds = Number(params.get('target') ?? (quick ? 0.3 : 1)) || 1;
  const qualitySteps = Math.max(0, Number(params.get('quality') ?? 0) || 0);
  const diffusionQualitySteps = Math.max(0, Number(params.get('diffusionQuality') ?? 0) || 0);
  const straightnessSteps = Math.max(0, Number(params.get('straightness') ?? 0) || 0);
  const niceParitySteps = Math.max(0, Number(params.get('niceParity') ?? 0) || 0);
  const diffusionQualityOnly = (params.get('diffusionQualityOnly') ?? '')
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean);
  return {
    filter,
    quick,
    runs,
    targetSeconds,
    fixedSteps,
    qualitySteps,
    diffusionQualitySteps,
    diffusionQualityOnly,
    straightnessSteps,
    niceParitySteps,
  };
}

/**
 * Quick mode keeps the `quick` workloads; a filter keeps ids containing any of its terms;
 * `explicit` workloads run only when a filter term matches them.
 */
export function selectCases(cases: readonly BenchCase[], options: BenchOptions): BenchCase[] {
  return cases.filter((c) => {
    const named = options.filter.some((term) => c.id.includes(term));
    if (c.workload.explicit) return named;
    return (!options.quick || c.workload.quick) && (options.filter.length === 0 || named);
  });
}

/** Runs `use` on a GPU runtime of its own (the quality tables), disposed afterwards. */
async function withRuntime(use: (runtime: GpuRuntime) => Promise<void>): Promise<void> {
  const runtime = await GpuRuntime.open();
  try {
    await use(runtime);
  } finally {
    runtime.dispose();
  }
}

/** Consecutive cases of one workload group (the registry lists a group's cases together). */
function groupsOf(cases: readonly BenchCase[]): BenchCase[][] {
  const groups: BenchCase[][] = [];
  for (const benchCase of cases) {
    const last = groups.at(-1);
    if (last && last[0]!.workload.group === benchCase.workload.group) last.push(benchCase);
    else groups.push([benchCase]);
  }
  return groups;
}

async function describeEnvironment(): Promise<PageEnvironment> {
  const environment: PageEnvironment = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
    adapter: null,
  };
  try {
    if (!('gpu' in navigator)) throw new Error('no navigator.gpu');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null');
    const info = adapter.info;
    const limits: Record<string, number> = {};
    for (const key of [
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupStorageSize',
      'maxStorageBufferBindingSize',
      'maxBufferSize',
    ] as const) {
      limits[key] = adapter.limits[key];
    }
    const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
    environment.adapter = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: typeof fallback === 'boolean' ? fallback : null,
      features: [...adapter.features].sort(),
      limits,
    };
  } catch (error) {
    environment.adapterError = String(error);
  }
  return environment;
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = readOptions();
  installGpuCounters();
  await emit({ type: 'environment', environment: await describeEnvironment(), options });
  const selected = selectCases(CASES, options);
  await emit({ type: 'plan', cases: selected.map((c) => c.id) });

  const shared = new Map<string, { value: Promise<unknown>; release?: (value: never) => void }>();
  const context: BenchContext = {
    quick: options.quick,
    shared<T>(key: string, create: () => Promise<T>, release?: (value: T) => void) {
      let entry = shared.get(key);
      if (!entry) {
        entry = { value: create(), release: release as ((value: never) => void) | undefined };
        shared.set(key, entry);
      }
      return entry.value as Promise<T>;
    },
    log: (message) => void emit({ type: 'log', id: 'bench', message }),
  };
  for (const group of groupsOf(selected)) {
    const impls = group.map((c) => c.implementation.impl).join(', ');
    const id = group.length > 1 ? `${group[0]!.workload.group} (paired: ${impls})` : group[0]!.id;
    await emit({ type: 'start', id });
    for (const result of await measureGroup(group, options, context)) {
      await emit({ type: 'case', result });
    }
  }
  for (const [key, { value, release }] of shared) {
    try {
      if (release) release((await value) as never);
    } catch (error) {
      await emit({ type: 'log', id: `shared:${key}`, message: `release failed: ${String(error)}` });
    }
  }
  // The data issue's parsing benchmark: 1e6 CSV points, in the same page, every run.
  await emit({ type: 'csv', result: benchCsvParse(1_000_000, 3) });
  if (options.qualitySteps > 0) {
    await withRuntime((runtime) =>
      runQuality(runtime, options.qualitySteps, (result) => emit({ type: 'quality', result })),
    );
  }
  if (options.diffusionQualitySteps > 0) {
    await withRuntime((runtime) =>
      runDiffusionQuality(
        runtime,
        options.diffusionQualitySteps,
        (result) => emit({ type: 'diffusion-quality', result }),
        options.diffusionQualityOnly,
      ),
    );
  }
  if (options.straightnessSteps > 0) {
    await withRuntime((runtime) =>
      runStraightness(runtime, options.straightnessSteps, (result) =>
        emit({ type: 'straightness', result }),
      ),
    );
  }
  const niceParitySteps = options.niceParitySteps ?? 0;
  if (niceParitySteps > 0) {
    await withRuntime((runtime) =>
      runNiceParity(runtime, niceParitySteps, (result) => emit({ type: 'nice-parity', result })),
    );
  }
  await emit({ type: 'done', seconds: (performance.now() - started) / 1000 });
}

void main();
