/**
 * fast-check arbitraries of valid notebooks, built from the schema and limits (not from the
 * validator), so a round trip through the codec tests both.
 */
import fc from 'fast-check';
import {
  ACTIVATIONS,
  COMPARE_LIMITS,
  PAIRINGS,
  DATASET_NAMES,
  DDPM_SAMPLERS,
  DIFFUSION_KINDS,
  FLOW_KINDS,
  FLOW_MATCHING_SAMPLERS,
  LR_SCHEDULES,
  MODEL_LIMITS,
  NOISE_SCHEDULES,
  NOTEBOOK_VERSION,
  OPTIMIZERS,
  PREDICTIONS,
  REFLOW_LIMITS,
  SMOOTHING_LIMITS,
  TRAIN_LIMITS,
  VIEW_LIMITS,
  VIEW_OVERLAYS,
  familyOf,
  type Cell,
  type CellKind,
  type ModelWeights,
  type Notebook,
  type Range,
} from '../../src/notebook';

/** A number in `range`; never −0 (JSON cannot carry it). */
export function inRange(range: Range): fc.Arbitrary<number> {
  const arb = range.integer
    ? fc.integer({ min: range.min, max: range.max })
    : fc.double({ min: range.min, max: range.max, noNaN: true, noDefaultInfinity: true });
  return arb.map((x) => x + 0);
}

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const text = (maxLength: number) =>
  fc.oneof(fc.string({ maxLength, unit: 'binary' }), fc.string({ maxLength }));
const hex64 = fc
  .array(fc.integer({ min: 0, max: 15 }), { minLength: 64, maxLength: 64 })
  .map((ds) => ds.map((d) => d.toString(16)).join(''));

const modelKind = fc.constantFrom(...FLOW_KINDS, ...DIFFUSION_KINDS);

const source = fc.oneof(
  fc.record({
    kind: fc.constant('builtin' as const),
    name: fc.constantFrom(...DATASET_NAMES),
    seed,
  }),
  fc.record({
    kind: fc.constant('points' as const),
    text: text(300),
    jitter: inRange({ min: 0, max: 1, integer: false, label: '' }),
    seed,
  }),
  fc
    .record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }) })
    .chain(({ width, height }) =>
      fc.record({
        kind: fc.constant('grid' as const),
        width: fc.constant(width),
        height: fc.constant(height),
        weights: fc.array(
          fc.oneof(
            fc.constant(0),
            fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => x + 0),
          ),
          { minLength: width * height, maxLength: width * height },
        ),
        seed,
      }),
    ),
);

const reflow = fc.record({
  teacher: fc.string({ minLength: 1, maxLength: 64 }),
  pairs: inRange(REFLOW_LIMITS.pairs),
  teacherSteps: inRange(REFLOW_LIMITS.teacherSteps),
});

/**
 * Flow-matching settings with no pairing (as made before pairings existed), or one of them
 * (reflow with its teacher settings; a teacher id need not exist: that is reported, not refused).
 */
function withPairing<T extends object>(settings: T): fc.Arbitrary<T> {
  const coupled = fc
    .constantFrom(...PAIRINGS)
    .chain((pairing): fc.Arbitrary<T> =>
      pairing === 'reflow'
        ? reflow.map((r) => ({ ...settings, pairing, reflow: r }))
        : fc.constant({ ...settings, pairing }),
    );
  return fc.oneof(fc.constant(settings), coupled);
}

/** A cell of `kind` (id filled in later). */
function cellBody(kind: CellKind): fc.Arbitrary<Omit<Cell, 'id'>> {
  const collapsed = fc.boolean();
  switch (kind) {
    case 'note':
      return fc.record({ kind: fc.constant(kind), collapsed, markdown: text(500) });
    case 'data':
      return fc.record({ kind: fc.constant(kind), collapsed, title: text(60), source });
    case 'model':
      return fc.record({
        kind: fc.constant(kind),
        collapsed,
        title: text(60),
        model: modelKind.chain((k) =>
          fc
            .record({
              family: fc.constant(familyOf(k)),
              kind: fc.constant(k),
              layers: inRange(MODEL_LIMITS.layers),
              hidden: inRange(MODEL_LIMITS.hidden),
              hiddenLayers: inRange(MODEL_LIMITS.hiddenLayers),
              activation: fc.constantFrom(...ACTIVATIONS),
              seed: inRange(MODEL_LIMITS.seed),
              timesteps: inRange(MODEL_LIMITS.timesteps),
              noiseSchedule: fc.constantFrom(...NOISE_SCHEDULES),
              prediction: fc.constantFrom(...PREDICTIONS),
            })
            .chain((settings) =>
              k === 'flow-matching' ? withPairing(settings) : fc.constant(settings),
            ),
        ),
        train: fc.record({
          optimizer: fc.constantFrom(...OPTIMIZERS),
          learningRate: inRange(TRAIN_LIMITS.learningRate),
          schedule: fc.constantFrom(...LR_SCHEDULES),
          batch: inRange(TRAIN_LIMITS.batch),
          steps: inRange(TRAIN_LIMITS.steps),
        }),
      });
    case 'train':
      return fc.record(
        {
          kind: fc.constant(kind),
          collapsed,
          smoothing: inRange(SMOOTHING_LIMITS),
          logScale: fc.boolean(),
          expected: fc.record({ steps: inRange(TRAIN_LIMITS.steps), paramsHash: hex64 }),
        },
        { requiredKeys: ['kind', 'collapsed', 'smoothing', 'logScale'] },
      );
    case 'view':
      return fc.record({
        kind: fc.constant(kind),
        collapsed,
        showData: fc.boolean(),
        showSamples: fc.boolean(),
        sampleCount: inRange(VIEW_LIMITS.sampleCount),
        sampleSeed: inRange(VIEW_LIMITS.sampleSeed),
        overlay: fc.constantFrom(...VIEW_OVERLAYS),
        sampler: fc.constantFrom(...DDPM_SAMPLERS, ...FLOW_MATCHING_SAMPLERS),
        samplerSteps: inRange(VIEW_LIMITS.samplerSteps),
        position: inRange(VIEW_LIMITS.position),
      });
    case 'compare':
      return fc.record({
        kind: fc.constant(kind),
        collapsed,
        trainIds: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 8 }),
        sampleCount: inRange(COMPARE_LIMITS.sampleCount),
        seed: inRange(COMPARE_LIMITS.seed),
      });
  }
}

const CELL_KIND_LIST: CellKind[] = ['note', 'data', 'model', 'train', 'view', 'compare'];

/** Valid current-version notebooks: up to `maxCells` cells of every kind, unique ids. */
export function notebookArbitrary(maxCells = 12): fc.Arbitrary<Notebook> {
  const cells = fc.array(fc.constantFrom(...CELL_KIND_LIST).chain(cellBody), {
    maxLength: maxCells,
  });
  return fc
    .record({
      title: text(100),
      cells,
      ids: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 32, unit: 'binary' }), {
        minLength: maxCells,
        maxLength: maxCells,
      }),
    })
    .map(({ title, cells, ids }) => ({
      version: NOTEBOOK_VERSION,
      title,
      cells: cells.map((cell, i) => ({ id: ids[i]!, ...cell }) as Cell),
    }));
}

/** Weights for some of `notebook`'s Train cells: float32 values of every magnitude. */
export function weightsArbitrary(
  notebook: Notebook,
  maxParams = 300,
): fc.Arbitrary<ModelWeights[]> {
  const trainIds = notebook.cells.filter((c) => c.kind === 'train').map((c) => c.id);
  const finite = fc.float({ noNaN: true, noDefaultInfinity: true, min: -65504, max: 65504 });
  const any = fc.float();
  return fc.subarray(trainIds).chain((ids) =>
    fc.tuple(
      ...ids.map((trainId) =>
        fc.record({
          trainId: fc.constant(trainId),
          steps: fc.integer({ min: 0, max: TRAIN_LIMITS.steps.max }),
          params: fc
            .oneof(
              { weight: 4, arbitrary: fc.array(finite, { maxLength: maxParams }) },
              { weight: 1, arbitrary: fc.array(any, { maxLength: maxParams }) },
            )
            .map((values) => Float32Array.from(values)),
          normalization: fc.record({
            // (+ 0 below: JSON cannot carry −0)
            shift: fc.tuple(
              fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x + 0),
              fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x + 0),
            ),
            scale: fc.tuple(
              fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
              fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
            ),
          }),
        }),
      ),
    ),
  );
}
