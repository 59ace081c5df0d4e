/** New cells with sensible defaults, and the starting notebook a first visit shows. */
import { INTRO_NOTE } from './intro';
import {
  NOTEBOOK_VERSION,
  type Cell,
  type CellKind,
  type DataCell,
  type ModelCell,
  type Notebook,
} from './schema';

let counter = 0;

/** A fresh cell id, unique among `taken`. */
export function newCellId(kind: CellKind, taken: ReadonlySet<string> = new Set()): string {
  let id: string;
  do id = `${kind}-${(++counter).toString(36)}`;
  while (taken.has(id));
  return id;
}

export function createCell(kind: CellKind, id: string): Cell {
  switch (kind) {
    case 'note':
      return {
        id,
        kind,
        collapsed: false,
        markdown: 'Write notes here: *Markdown* and $\\LaTeX$.',
      };
    case 'data':
      return {
        id,
        kind,
        collapsed: false,
        title: 'Data',
        source: { kind: 'builtin', name: 'moons', seed: 1 },
      } satisfies DataCell;
    case 'model':
      return {
        id,
        kind,
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
          learningRate: 3e-3,
          schedule: 'constant',
          batch: 256,
          steps: 500,
        },
      } satisfies ModelCell;
    case 'train':
      return { id, kind, collapsed: false, smoothing: 0.6, logScale: false };
    case 'view':
      return {
        id,
        kind,
        collapsed: false,
        showData: true,
        showSamples: true,
        sampleCount: 2048,
        sampleSeed: 2,
        overlay: 'none',
        sampler: 'ddim',
        samplerSteps: 50,
        position: 0,
      };
    case 'compare':
      return { id, kind, collapsed: false, trainIds: [], sampleCount: 4096, seed: 3 };
  }
}

/** The notebook a first visit shows: a note, then data → model → train → view. */
export function defaultNotebook(): Notebook {
  return {
    version: NOTEBOOK_VERSION,
    title: 'Untitled notebook',
    cells: [
      { ...(createCell('note', 'intro') as Cell & { kind: 'note' }), markdown: INTRO_NOTE },
      createCell('data', 'data-1'),
      createCell('model', 'model-1'),
      createCell('train', 'train-1'),
      createCell('view', 'view-1'),
    ],
  };
}
