/**
 * A GPU-free LabClient with weights: each run's "parameters" are a deterministic function of
 * the model seed and the steps trained, so exports, imports and replays can be checked exactly.
 */
import type { ModelRequest, RunProgress } from '../../../src/ui/controllers/lab-client';
import type { RunWeights, ShareableClient } from '../../../src/ui/app/weights-client';
import { FakeLabClient, workerProgress } from './fake-lab-client';

export const FAKE_PARAMS = 64;

/** The parameters a fake model of `seed` has after `steps` steps (values not float16-exact). */
export function fakeParams(seed: number, steps: number): Float32Array {
  return Float32Array.from(
    { length: FAKE_PARAMS },
    (_, i) => Math.sin(seed * 7.1 + i * 0.37) * (1 + steps / 1000) + 1e-4 * i,
  );
}

export class FakeWeightsClient extends FakeLabClient implements ShareableClient {
  readonly weights = new Map<string, RunWeights & { seed: number; steps: number }>();
  readonly imports: { runId: string; params: Float32Array }[] = [];
  trainCalls = 0;

  override async createRun(runId: string, request: ModelRequest): Promise<void> {
    await super.createRun(runId, request);
    this.weights.set(runId, {
      seed: request.model.seed,
      steps: 0,
      params: fakeParams(request.model.seed, 0),
      normalization: { shift: [0.5, 0.25], scale: [0.9, 0.5] },
    });
  }

  override async train(
    runId: string,
    steps: number,
    onProgress: (p: RunProgress) => void,
  ): Promise<RunProgress> {
    this.trainCalls++;
    const end = await super.train(runId, steps, onProgress);
    const w = this.weights.get(runId)!;
    w.steps = end.step;
    w.params = fakeParams(w.seed, w.steps);
    return end;
  }

  async exportWeights(runId: string): Promise<RunWeights> {
    const w = this.weights.get(runId);
    if (!w) throw new Error(`no run ${runId}`);
    return { params: w.params.slice(), normalization: structuredClone(w.normalization) };
  }

  /** As the worker does: the run is 'done' at the weights' step, and reports so. */
  async importWeights(runId: string, weights: RunWeights, steps: number): Promise<RunProgress> {
    const w = this.weights.get(runId);
    if (!w) throw new Error(`no run ${runId}`);
    this.imports.push({ runId, params: weights.params.slice() });
    w.params = weights.params.slice();
    w.normalization = structuredClone(weights.normalization);
    w.steps = steps;
    this.steps.set(runId, steps);
    return workerProgress({
      state: 'done',
      step: steps,
      totalSteps: steps,
      losses: new Float32Array(0),
    });
  }
}

let dbCounter = 0;
/** A fresh IndexedDB name per test, so autosaves never leak between tests. */
export function freshDb(): string {
  return `flowfield-test-${Date.now()}-${++dbCounter}`;
}

export async function settle(el: { updateComplete: Promise<unknown> }, rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
  }
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 10_000,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
