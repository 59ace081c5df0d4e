import { expect } from '@esm-bundle/chai';
import {
  NOTEBOOK_LIMITS,
  NOTEBOOK_VERSION,
  defaultNotebook,
  migrateNotebook,
  parseNotebook,
  type Notebook,
} from '../../src/notebook';
import v1 from './fixtures/notebook-v1.json' with { type: 'json' };
import { errorOf } from './errors';

type Json = Record<string, unknown>;

/** The default notebook as mutable JSON, changed by `edit`. */
function edited(edit: (doc: Json & { cells: Json[] }) => void): unknown {
  const doc = JSON.parse(JSON.stringify(defaultNotebook())) as Json & { cells: Json[] };
  edit(doc);
  return doc;
}

describe('notebook validation and migration', () => {
  it('opens the v1 fixture as the expected current (v3) notebook (defaults filled field by field)', () => {
    const before = JSON.stringify(v1);
    const notebook = parseNotebook(v1);
    expect(JSON.stringify(v1)).to.equal(before, 'the input is not mutated');
    const expected: Notebook = {
      version: 3,
      title: 'Version 1 fixture',
      cells: [
        { id: 'intro', kind: 'note', collapsed: false, markdown: v1.cells[0]!.markdown! },
        {
          id: 'data-1',
          kind: 'data',
          collapsed: false,
          title: 'Data',
          source: { kind: 'builtin', name: 'moons', seed: 1 },
        },
        {
          id: 'model-1',
          kind: 'model',
          collapsed: false,
          title: 'Model',
          model: {
            family: 'flow',
            kind: 'realnvp',
            layers: 6,
            hidden: 32,
            hiddenLayers: 2,
            activation: 'tanh',
            seed: 1,
            timesteps: 100,
            noiseSchedule: 'cosine',
            prediction: 'eps',
          },
          train: {
            optimizer: 'adam',
            learningRate: 0.003,
            schedule: 'constant',
            batch: 256,
            steps: 500,
          },
        },
        { id: 'train-1', kind: 'train', collapsed: false, smoothing: 0.6, logScale: false },
        {
          id: 'view-1',
          kind: 'view',
          collapsed: false,
          showData: true,
          showSamples: true,
          sampleCount: 2048,
          sampleSeed: 2,
          overlay: 'none',
          sampler: 'ddim',
          samplerSteps: 50,
          position: 0,
        },
        {
          id: 'data-2',
          kind: 'data',
          collapsed: true,
          title: 'Drawn',
          source: {
            kind: 'grid',
            width: 4,
            height: 3,
            weights: [0, 1, 2, 0, 1, 3, 1, 0, 0, 0, 1, 0],
            seed: 7,
          },
        },
        {
          id: 'data-3',
          kind: 'data',
          collapsed: false,
          title: 'Pasted <img src=x onerror=alert(1)>',
          source: { kind: 'points', text: 'x,y\n0,1\n1,0\n0.5,0.5', jitter: 0.05, seed: 3 },
        },
        {
          id: 'model-2',
          kind: 'model',
          collapsed: false,
          title: 'DDPM',
          model: {
            family: 'diffusion',
            kind: 'ddpm',
            layers: 4,
            hidden: 64,
            hiddenLayers: 3,
            activation: 'silu',
            seed: 5,
            timesteps: 200,
            noiseSchedule: 'cosine',
            prediction: 'eps',
          },
          train: {
            optimizer: 'adamw',
            learningRate: 0.001,
            schedule: 'cosine',
            batch: 512,
            steps: 1000,
          },
        },
        { id: 'train-2', kind: 'train', collapsed: false, smoothing: 0.8, logScale: true },
        {
          id: 'view-2',
          kind: 'view',
          collapsed: false,
          showData: false,
          showSamples: true,
          sampleCount: 4096,
          sampleSeed: 9,
          overlay: 'none',
          sampler: 'ddim',
          samplerSteps: 50,
          position: 0,
        },
      ],
    };
    expect(notebook).to.deep.equal(expected);
    expect(parseNotebook(notebook)).to.deep.equal(expected, 'v2 output parses to itself');
  });

  it('accepts the default notebook unchanged and shares nothing with its input', () => {
    const notebook = defaultNotebook();
    const parsed = parseNotebook(notebook);
    expect(parsed).to.deep.equal(notebook);
    expect(parsed.cells[0]).to.not.equal(notebook.cells[0]);
  });

  it('names the path and the allowed range of an out-of-range width (hidden: 10 000 000)', () => {
    const error = errorOf(edited((doc) => ((doc.cells[2]!['model'] as Json)['hidden'] = 1e7)));
    expect(error.code).to.equal('schema');
    expect(error.path).to.equal('cells[2].model.hidden');
    expect(error.message).to.equal(
      'cells[2].model.hidden: expected Hidden width: a whole number from 1 to 256, received 10000000.',
    );
  });

  it('reports each kind of bad field with its path', () => {
    const cases: [string, (doc: Json & { cells: Json[] }) => void, RegExp][] = [
      [
        'cells[2].train.learningRate',
        (d) => ((d.cells[2]!['train'] as Json)['learningRate'] = 2),
        /a number from 0.000001 to 1, received 2\./,
      ],
      [
        'cells[2].model.layers',
        (d) => ((d.cells[2]!['model'] as Json)['layers'] = 2.5),
        /whole number/,
      ],
      [
        'cells[2].model.kind',
        (d) => ((d.cells[2]!['model'] as Json)['kind'] = 'gan'),
        /one of 'nice'/,
      ],
      [
        'cells[2].model.family',
        (d) => ((d.cells[2]!['model'] as Json)['family'] = 'diffusion'),
        /'flow' for 'realnvp'/,
      ],
      ['cells[3].smoothing', (d) => (d.cells[3]!['smoothing'] = null), /received null/],
      ['cells[4].position', (d) => (d.cells[4]!['position'] = '0.5'), /received the text "0.5"/],
      ['cells[4].overlay', (d) => (d.cells[4]!['overlay'] = 'heat'), /one of 'none'/],
      [
        'cells[1].source.name',
        (d) => ((d.cells[1]!['source'] as Json)['name'] = 'mnist'),
        /one of 'gaussian'/,
      ],
      ['cells[0].collapsed', (d) => (d.cells[0]!['collapsed'] = 'no'), /true or false/],
      ['cells[1].kind', (d) => (d.cells[1]!['kind'] = 'script'), /one of 'note'/],
      ['cells[4].id', (d) => (d.cells[4]!['id'] = 'data-1'), /no other cell has \(cells\[1\]/],
      ['cells[0].id', (d) => (d.cells[0]!['id'] = ''), /1 to 64 characters/],
      [
        'cells[0].markdown',
        (d) => (d.cells[0]!['markdown'] = 'x'.repeat(NOTEBOOK_LIMITS.markdownLength + 1)),
        /at most 100000 characters/,
      ],
      ['title', (d) => (d['title'] = 42), /expected text, received 42/],
      ['cells', (d) => (d.cells = Array.from({ length: 201 }, () => d.cells[0]!)), /at most 200/],
      [
        'cells[3].expected.paramsHash',
        (d) => (d.cells[3]!['expected'] = { steps: 5, paramsHash: 'ABC' }),
        /64 lowercase hex/,
      ],
      [
        'cells[5].trainIds',
        (d) =>
          d.cells.push({
            id: 'c',
            kind: 'compare',
            collapsed: false,
            trainIds: Array(9).fill('t'),
            sampleCount: 4096,
            seed: 1,
          }),
        /at most 8/,
      ],
    ];
    for (const [path, edit, message] of cases) {
      const error = errorOf(edited(edit));
      expect(error.path, path).to.equal(path);
      expect(error.message, path).to.match(message);
      expect(error.message.startsWith(`${path}: expected `), path).to.equal(true);
    }
  });

  it('bounds drawn grids: size, weight count, finite non-negative weights', () => {
    const grid = (source: Json) =>
      edited((d) => (d.cells[1]!['source'] = { kind: 'grid', seed: 1, ...source }));
    const ok = parseNotebook(grid({ width: 256, height: 256, weights: Array(65536).fill(0.5) }));
    expect((ok.cells[1] as { source: { weights: number[] } }).source.weights).to.have.length(65536);
    expect(errorOf(grid({ width: 257, height: 1, weights: Array(257).fill(1) })).path).to.equal(
      'cells[1].source.width',
    );
    expect(errorOf(grid({ width: 2, height: 2, weights: [1, 2, 3] })).path).to.equal(
      'cells[1].source.weights',
    );
    expect(errorOf(grid({ width: 2, height: 1, weights: [1, -1] })).path).to.equal(
      'cells[1].source.weights[1]',
    );
    expect(errorOf(grid({ width: 2, height: 1, weights: [1, null] })).path).to.equal(
      'cells[1].source.weights[1]',
    );
    expect(errorOf(grid({ width: 1e9, height: 1e9, weights: [] })).path).to.equal(
      'cells[1].source.width',
    );
  });

  it('drops unknown fields and keeps script-like strings as plain data', () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const notebook = parseNotebook(
      edited((d) => {
        d['title'] = 'javascript:alert(1)';
        d['__proto__extra'] = { polluted: true };
        d.cells[0]!['markdown'] = `[click](javascript:alert(3)) ${hostile}`;
        d.cells[0]!['onclick'] = 'alert(4)';
        (d.cells[2]!['model'] as Json)['eval'] = 'alert(5)';
        d.cells[1]!['title'] = hostile;
      }),
    );
    expect(notebook.title).to.equal('javascript:alert(1)');
    expect(notebook.cells[0]).to.deep.equal({
      id: 'intro',
      kind: 'note',
      collapsed: false,
      markdown: `[click](javascript:alert(3)) ${hostile}`,
    });
    expect((notebook.cells[1] as { title: string }).title).to.equal(hostile);
    expect(Object.keys(notebook)).to.deep.equal(['version', 'title', 'cells']);
    expect(Object.keys((notebook.cells[2] as { model: object }).model)).to.not.include('eval');
    // A JSON "__proto__" key is an own property of the parsed object; it must not leak through.
    const proto = parseNotebook(
      JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(defaultNotebook()).slice(1)}`),
    );
    expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
    expect((proto as unknown as Json)['x']).to.equal(undefined);
  });

  it('refuses newer, missing and nonsense versions, saying which versions it reads', () => {
    for (const version of [NOTEBOOK_VERSION + 1, 99, 0, -1, 1.5, '2', undefined]) {
      const error = errorOf({ ...defaultNotebook(), version });
      expect(error.code, String(version)).to.equal('version');
      expect(error.message).to.contain(`1 to ${NOTEBOOK_VERSION}`);
    }
    expect(errorOf({ ...defaultNotebook(), version: NOTEBOOK_VERSION + 1 }).message).to.contain(
      'newer Flowfield',
    );
    for (const junk of [null, 'notebook', 42, [1, 2]])
      expect(errorOf(junk).code).to.equal('schema');
  });

  it('migrates only what v1 had: a v1 Compare cell is an error, v2 fields absent in v2 are errors', () => {
    const withCompare = {
      ...v1,
      cells: [...v1.cells, { id: 'c', kind: 'compare', collapsed: false }],
    };
    expect(errorOf(withCompare).path).to.equal('cells[10].kind');
    const v2MissingOverlay = edited((d) => delete d.cells[4]!['overlay']);
    expect(errorOf(v2MissingOverlay).path).to.equal('cells[4].overlay');
    const migrated = migrateNotebook(v1) as { version: number };
    expect(migrated.version).to.equal(3);
    expect(migrated).to.not.equal(v1);
  });
});
