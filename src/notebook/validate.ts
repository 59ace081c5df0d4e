// Over 400 lines on purpose: one validator per schema node, each path-named, in schema order.
/**
 * parseNotebook: untrusted JSON (a link, a file, an autosave record) → a current-version
 * Notebook, or a NotebookError naming the first offending field. Every number is checked against
 * its range in limits.ts, every string and list against a length, every enum against its values;
 * fields the schema does not know are dropped. Strings are kept as data, never interpreted:
 * rendering them inertly is the UI's job (Lit text bindings, the Markdown renderer).
 */
import { NotebookError, describeValue } from './errors';
import {
  COMPARE_LIMITS,
  DATA_SEED_LIMITS,
  JITTER_LIMITS,
  MODEL_LIMITS,
  NOTEBOOK_LIMITS,
  REFLOW_LIMITS,
  SMOOTHING_LIMITS,
  TRAIN_LIMITS,
  IMAGE_FILES_LIMITS,
  VIEW_LIMITS,
  type Range,
} from './limits';
import { migrateNotebook } from './migrate';
import { IMAGE_MODEL_KINDS_INFO } from './image-models';
import {
  ACTIVATIONS,
  CELL_KINDS,
  PAIRINGS,
  DATASET_NAMES,
  DDPM_SAMPLERS,
  DIFFUSION_KINDS,
  FLOW_KINDS,
  FLOW_MATCHING_SAMPLERS,
  IMAGE_MODEL_KINDS,
  IMAGE_SET_CLASSES,
  IMAGE_SET_NAMES,
  IMAGE_SET_SIZES,
  IMAGE_SPLITS,
  LR_SCHEDULES,
  NOISE_SCHEDULES,
  NOTEBOOK_VERSION,
  OPTIMIZERS,
  PREDICTIONS,
  VIEW_OVERLAYS,
  IMAGE_VIEWS,
  familyOf,
  type Cell,
  type DataSource,
  type ImageModelSettings,
  type ModelKind,
  type ModelSettings,
  type Notebook,
  type ReflowSettings,
  type TrainSettings,
} from './schema';

export { NotebookError } from './errors';

type Json = Record<string, unknown>;

const MODEL_KINDS = [...FLOW_KINDS, ...DIFFUSION_KINDS] as const;
const SAMPLERS = [...DDPM_SAMPLERS, ...FLOW_MATCHING_SAMPLERS] as const;
const SOURCE_KINDS = ['builtin', 'points', 'grid', 'images', 'image-files'] as const;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

function fail(path: string, expected: string, value: unknown): never {
  throw new NotebookError(
    'schema',
    path,
    `${path}: expected ${expected}, received ${describeValue(value)}.`,
  );
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'an object', value);
  }
  return value as Json;
}

function list(value: unknown, path: string, maxLength: number): unknown[] {
  if (!Array.isArray(value)) fail(path, `a list`, value);
  if (value.length > maxLength) fail(path, `a list of at most ${maxLength}`, value);
  return value;
}

function text(value: unknown, path: string, maxLength: number, minLength = 0): string {
  if (typeof value !== 'string') fail(path, 'text', value);
  if (value.length > maxLength || value.length < minLength) {
    const range = minLength ? `${minLength} to ${maxLength}` : `at most ${maxLength}`;
    fail(path, `text of ${range} characters`, value);
  }
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

/**
 * False while parseDraft runs: a draft keeps the out-of-range numbers the user was still typing
 * (the UI shows them and refuses to run), so only their type is checked. Safe as module state
 * because parsing is synchronous.
 */
let rangesChecked = true;

function number(value: unknown, path: string, range: Range): number {
  const inRange =
    !rangesChecked ||
    ((!range.integer || Number.isInteger(value)) &&
      (value as number) >= range.min &&
      (value as number) <= range.max);
  if (typeof value !== 'number' || !Number.isFinite(value) || !inRange) {
    const kind = range.integer ? 'a whole number' : 'a number';
    fail(
      path,
      `${range.label}: ${kind} from ${range.min} to ${range.max.toLocaleString('en')}`,
      value,
    );
  }
  return value === 0 ? 0 : value; // −0 → 0: JSON cannot carry −0, so a round trip keeps equality
}

function choice<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(path, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  }
  return value as T;
}

function id(value: unknown, path: string): string {
  return text(value, path, NOTEBOOK_LIMITS.idLength, 1);
}

function dataSource(value: unknown, path: string): DataSource {
  const s = object(value, path);
  const kind = choice(s['kind'], join(path, 'kind'), SOURCE_KINDS);
  const seed = number(s['seed'], join(path, 'seed'), DATA_SEED_LIMITS);
  switch (kind) {
    case 'builtin':
      return { kind, name: choice(s['name'], join(path, 'name'), DATASET_NAMES), seed };
    case 'points':
      return {
        kind,
        text: text(s['text'], join(path, 'text'), NOTEBOOK_LIMITS.pointsTextLength),
        jitter: number(s['jitter'], join(path, 'jitter'), JITTER_LIMITS),
        seed,
      };
    case 'grid': {
      const side = (label: string): Range => ({
        min: 1,
        max: NOTEBOOK_LIMITS.gridSide,
        integer: true,
        label,
      });
      const width = number(s['width'], join(path, 'width'), side('Grid width'));
      const height = number(s['height'], join(path, 'height'), side('Grid height'));
      const weightsPath = join(path, 'weights');
      const raw = list(s['weights'], weightsPath, width * height);
      if (raw.length !== width * height) {
        fail(weightsPath, `${width * height} weights (width × height)`, raw);
      }
      const weights = raw.map((w, i) => {
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
          fail(join(weightsPath, i), 'a finite number ≥ 0', w);
        }
        return w;
      });
      return { kind, width, height, weights, seed };
    }
    case 'images':
      return shippedImages(s, path, seed);
    case 'image-files':
      return imageFiles(s, path, seed);
  }
}

/** A shipped image set; `classes` and `split` are optional and kept only when present. */
function shippedImages(s: Json, path: string, seed: number): DataSource {
  const name = choice(s['name'], join(path, 'name'), IMAGE_SET_NAMES);
  const sizePath = join(path, 'size');
  const size = s['size'];
  if (!IMAGE_SET_SIZES.includes(size as 28)) {
    fail(sizePath, `${IMAGE_SET_SIZES.join(' or ')} (pixels a side)`, size);
  }
  const source: DataSource = { kind: 'images', name, size: size as 28 | 14, seed };
  if (s['classes'] !== undefined) {
    const classesPath = join(path, 'classes');
    const names = IMAGE_SET_CLASSES[name];
    const expected = `distinct ${name} labels in ascending order, 0 to ${names.length - 1} (${names.map((n, i) => `${i}: ${n}`).join(', ')})`;
    const raw = list(s['classes'], classesPath, names.length);
    if (raw.length === 0)
      fail(classesPath, `at least one label (or no classes field for all ${names.length})`, raw);
    source.classes = raw.map((c, i) => {
      const previous = i > 0 ? (raw[i - 1] as number) : -1;
      if (!Number.isInteger(c) || (c as number) <= previous || (c as number) >= names.length) {
        fail(join(classesPath, i), expected, c);
      }
      return c as number;
    });
  }
  if (s['split'] !== undefined)
    source.split = choice(s['split'], join(path, 'split'), IMAGE_SPLITS);
  return source;
}

/**
 * The reference to a user's image files (their pixels travel beside the notebook). References
 * written before the Data cell offered sizes and RGB may lack `size` and `channels`: those sets
 * were always 28×28 grey, so absent means 28 and 1.
 */
function imageFiles(s: Json, path: string, seed: number): DataSource {
  const channels = s['channels'] ?? 1;
  if (channels !== 1 && channels !== 3)
    fail(join(path, 'channels'), '1 (grey) or 3 (RGB)', channels);
  const size = number(s['size'] ?? 28, join(path, 'size'), IMAGE_FILES_LIMITS.size);
  const count = number(s['count'], join(path, 'count'), IMAGE_FILES_LIMITS.count);
  const values = count * channels * size * size;
  if (values > IMAGE_FILES_LIMITS.values) {
    fail(
      join(path, 'count'),
      `at most ${IMAGE_FILES_LIMITS.values.toLocaleString('en')} pixel values in all (count × channels × size × size; here ${values.toLocaleString('en')})`,
      count,
    );
  }
  const hash = s['hash'];
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
    fail(join(path, 'hash'), '64 lowercase hex digits (SHA-256 of the pixels and labels)', hash);
  }
  const classesPath = join(path, 'classNames');
  const classNames = list(s['classNames'], classesPath, IMAGE_FILES_LIMITS.classes).map((c, i) =>
    text(c, join(classesPath, i), NOTEBOOK_LIMITS.titleLength),
  );
  if (classNames.length === 1) {
    fail(classesPath, 'no class names (an unlabelled set) or 2 to 256 of them', classNames);
  }
  return {
    kind: 'image-files',
    label: text(s['label'], join(path, 'label'), NOTEBOOK_LIMITS.titleLength),
    count,
    channels,
    size,
    classNames,
    hash,
    seed,
  };
}

function modelSettings(value: unknown, path: string): ModelSettings {
  const m = object(value, path);
  const kind = choice(m['kind'], join(path, 'kind'), MODEL_KINDS);
  const family = choice(m['family'], join(path, 'family'), ['flow', 'diffusion'] as const);
  if (family !== familyOf(kind))
    fail(join(path, 'family'), `'${familyOf(kind)}' for '${kind}'`, family);
  return {
    family,
    kind,
    layers: number(m['layers'], join(path, 'layers'), MODEL_LIMITS.layers),
    hidden: number(m['hidden'], join(path, 'hidden'), MODEL_LIMITS.hidden),
    hiddenLayers: number(m['hiddenLayers'], join(path, 'hiddenLayers'), MODEL_LIMITS.hiddenLayers),
    activation: choice(m['activation'], join(path, 'activation'), ACTIVATIONS),
    seed: number(m['seed'], join(path, 'seed'), MODEL_LIMITS.seed),
    timesteps: number(m['timesteps'], join(path, 'timesteps'), MODEL_LIMITS.timesteps),
    noiseSchedule: choice(m['noiseSchedule'], join(path, 'noiseSchedule'), NOISE_SCHEDULES),
    prediction: choice(m['prediction'], join(path, 'prediction'), PREDICTIONS),
    ...pairing(m, path, kind),
    ...(m['image'] === undefined ? {} : { image: imageModel(m['image'], join(path, 'image')) }),
  };
}

/** A View cell's optional numbers (added within version 3), kept only when present. */
function optionalNumbers(
  c: Json,
  at: (field: string) => string,
  fields: readonly ('sampleClass' | 'guidance')[],
): Partial<Record<'sampleClass' | 'guidance', number>> {
  const out: Partial<Record<'sampleClass' | 'guidance', number>> = {};
  for (const field of fields) {
    if (c[field] !== undefined) out[field] = number(c[field], at(field), VIEW_LIMITS[field]);
  }
  return out;
}

/**
 * A Model cell's image model: a known kind and exactly its options, each in its range or among
 * its choices (IMAGE_MODEL_KINDS_INFO). Whether it fits the Data cell's images is the
 * notebook's business (imageModelProblem), not the validator's.
 */
function imageModel(value: unknown, path: string): ImageModelSettings {
  const m = object(value, path);
  const kind = choice(m['kind'], join(path, 'kind'), IMAGE_MODEL_KINDS);
  const given = object(m['options'], join(path, 'options'));
  const info = IMAGE_MODEL_KINDS_INFO[kind];
  const options: ImageModelSettings['options'] = {};
  for (const option of info.options) {
    const at = join(join(path, 'options'), option.key);
    // An option added later (class conditioning) may be absent: it keeps the library's default.
    if (option.type === 'number' && option.optional && given[option.key] === undefined) continue;
    options[option.key] =
      option.type === 'number'
        ? number(given[option.key], at, option.range)
        : choice(given[option.key], at, option.choices);
  }
  for (const key of Object.keys(given)) {
    if (!(key in options)) {
      const known = info.options.map((o) => `'${o.key}'`).join(', ');
      fail(
        join(join(path, 'options'), key),
        `no such option (a '${kind}' image model has ${known})`,
        given[key],
      );
    }
  }
  return { kind, options };
}

/**
 * A flow-matching model's pairing and reflow teacher: both optional (notebooks made before they
 * existed mean 'independent'), kept only when present so such notebooks round-trip unchanged.
 * Whether the teacher cell exists and fits is a property of the whole notebook, reported by
 * reflowTeacher() (reflow.ts) where the cell is shown and trained, not refused here.
 */
function pairing(
  m: Json,
  path: string,
  kind: ModelKind,
): Pick<ModelSettings, 'pairing' | 'reflow'> {
  const out: Pick<ModelSettings, 'pairing' | 'reflow'> = {};
  // Only a current-version notebook reaches here (migrate.ts renamed version 2's field), so a
  // `coupling` is a hand-edit that would otherwise be dropped and silently mean 'independent'.
  if (m['coupling'] !== undefined) {
    fail(
      join(path, 'coupling'),
      "no 'coupling' (renamed 'pairing' in notebook version 3)",
      m['coupling'],
    );
  }
  if (m['pairing'] !== undefined) {
    const value = choice(m['pairing'], join(path, 'pairing'), PAIRINGS);
    if (value !== 'independent' && kind !== 'flow-matching') {
      fail(
        join(path, 'pairing'),
        `'independent' or no pairing for a '${kind}' model (minibatch OT and reflow are flow matching's)`,
        value,
      );
    }
    out.pairing = value;
  }
  if (m['reflow'] !== undefined) out.reflow = reflowSettings(m['reflow'], join(path, 'reflow'));
  else if (out.pairing === 'reflow') {
    fail(
      join(path, 'reflow'),
      "the reflow teacher and pairs ({ teacher, pairs, teacherSteps }) for pairing 'reflow'",
      undefined,
    );
  }
  return out;
}

function reflowSettings(value: unknown, path: string): ReflowSettings {
  const r = object(value, path);
  return {
    teacher: id(r['teacher'], join(path, 'teacher')),
    pairs: number(r['pairs'], join(path, 'pairs'), REFLOW_LIMITS.pairs),
    teacherSteps: number(r['teacherSteps'], join(path, 'teacherSteps'), REFLOW_LIMITS.teacherSteps),
  };
}

function trainSettings(value: unknown, path: string): TrainSettings {
  const t = object(value, path);
  return {
    optimizer: choice(t['optimizer'], join(path, 'optimizer'), OPTIMIZERS),
    learningRate: number(t['learningRate'], join(path, 'learningRate'), TRAIN_LIMITS.learningRate),
    schedule: choice(t['schedule'], join(path, 'schedule'), LR_SCHEDULES),
    batch: number(t['batch'], join(path, 'batch'), TRAIN_LIMITS.batch),
    steps: number(t['steps'], join(path, 'steps'), TRAIN_LIMITS.steps),
  };
}

function cell(value: unknown, path: string): Cell {
  const c = object(value, path);
  const base = {
    id: id(c['id'], join(path, 'id')),
    collapsed: boolean(c['collapsed'], join(path, 'collapsed')),
  };
  const kind = choice(c['kind'], join(path, 'kind'), CELL_KINDS);
  const at = (key: string) => join(path, key);
  switch (kind) {
    case 'note':
      return {
        ...base,
        kind,
        markdown: text(c['markdown'], at('markdown'), NOTEBOOK_LIMITS.markdownLength),
      };
    case 'data':
      return {
        ...base,
        kind,
        title: text(c['title'], at('title'), NOTEBOOK_LIMITS.titleLength),
        source: dataSource(c['source'], at('source')),
      };
    case 'model':
      return {
        ...base,
        kind,
        title: text(c['title'], at('title'), NOTEBOOK_LIMITS.titleLength),
        model: modelSettings(c['model'], at('model')),
        train: trainSettings(c['train'], at('train')),
      };
    case 'train': {
      const train: Cell = {
        ...base,
        kind,
        smoothing: number(c['smoothing'], at('smoothing'), SMOOTHING_LIMITS),
        logScale: boolean(c['logScale'], at('logScale')),
      };
      if (c['expected'] !== undefined) {
        const e = object(c['expected'], at('expected'));
        const hash = e['paramsHash'];
        if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
          fail(join(at('expected'), 'paramsHash'), '64 lowercase hex digits (SHA-256)', hash);
        }
        const steps = number(e['steps'], join(at('expected'), 'steps'), TRAIN_LIMITS.steps);
        train.expected = { steps, paramsHash: hash };
      }
      return train;
    }
    case 'view':
      return {
        ...base,
        kind,
        showData: boolean(c['showData'], at('showData')),
        showSamples: boolean(c['showSamples'], at('showSamples')),
        sampleCount: number(c['sampleCount'], at('sampleCount'), VIEW_LIMITS.sampleCount),
        sampleSeed: number(c['sampleSeed'], at('sampleSeed'), VIEW_LIMITS.sampleSeed),
        overlay: choice(c['overlay'], at('overlay'), VIEW_OVERLAYS),
        sampler: choice(c['sampler'], at('sampler'), SAMPLERS),
        samplerSteps: number(c['samplerSteps'], at('samplerSteps'), VIEW_LIMITS.samplerSteps),
        position: number(c['position'], at('position'), VIEW_LIMITS.position),
        ...(c['temperature'] === undefined
          ? {}
          : { temperature: number(c['temperature'], at('temperature'), VIEW_LIMITS.temperature) }),
        ...(c['imageView'] === undefined
          ? {}
          : { imageView: choice(c['imageView'], at('imageView'), IMAGE_VIEWS) }),
        ...optionalNumbers(c, at, ['sampleClass', 'guidance']),
      };
    case 'compare':
      return {
        ...base,
        kind,
        trainIds: list(c['trainIds'], at('trainIds'), COMPARE_LIMITS.trainIds.max).map((t, i) =>
          id(t, join(at('trainIds'), i)),
        ),
        sampleCount: number(c['sampleCount'], at('sampleCount'), COMPARE_LIMITS.sampleCount),
        seed: number(c['seed'], at('seed'), COMPARE_LIMITS.seed),
      };
  }
}

/**
 * A current-version Notebook from untrusted JSON of any supported version (migrated first).
 * The result shares nothing with `value`. Throws NotebookError naming the first bad field.
 */
export function parseNotebook(value: unknown): Notebook {
  const doc = object(migrateNotebook(value), '');
  if (doc['version'] !== NOTEBOOK_VERSION) fail('version', `${NOTEBOOK_VERSION}`, doc['version']);
  const title = text(doc['title'], 'title', NOTEBOOK_LIMITS.titleLength);
  const raw = list(doc['cells'], 'cells', NOTEBOOK_LIMITS.cells);
  const cells: Cell[] = [];
  const seen = new Map<string, number>();
  raw.forEach((value, index) => {
    const parsed = cell(value, join('cells', index));
    const earlier = seen.get(parsed.id);
    if (earlier !== undefined) {
      fail(`cells[${index}].id`, `an id no other cell has (cells[${earlier}] has it)`, parsed.id);
    }
    seen.set(parsed.id, index);
    cells.push(parsed);
  });
  return { version: NOTEBOOK_VERSION, title, cells };
}

/**
 * An autosaved draft: parseNotebook, except that numbers need only be finite (not in range).
 * Only for drafts this app wrote itself, which the UI then shows with its range messages.
 */
export function parseDraft(value: unknown): Notebook {
  rangesChecked = false;
  try {
    return parseNotebook(value);
  } finally {
    rangesChecked = true;
  }
}
