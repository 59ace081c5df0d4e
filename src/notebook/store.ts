/**
 * The one place the notebook changes: a small store with a pure reducer. Components never write
 * state; they emit events, the app turns them into actions here, and subscribers re-render.
 */
import { createCell, newCellId } from './cells';
import type { Cell, CellKind, Notebook } from './schema';

/** A partial update of one cell (its kind and id stay). */
export type CellPatch = Partial<Omit<Cell, 'id' | 'kind'>> & Record<string, unknown>;

export type NotebookAction =
  | {
      type: 'add';
      kind: CellKind;
      /** Insert after this cell; at the end when absent. */ after?: string;
    }
  | { type: 'remove'; id: string }
  /** Puts `cell` back at `index` (undo of a remove); a no-op when its id is taken. */
  | { type: 'insert'; cell: Cell; index: number }
  | { type: 'duplicate'; id: string }
  | { type: 'move'; id: string; /** -1 up, +1 down. */ by: number }
  | { type: 'move-to'; id: string; index: number }
  | { type: 'toggle-collapse'; id: string }
  | { type: 'update'; id: string; patch: CellPatch }
  | { type: 'replace'; notebook: Notebook };

function ids(notebook: Notebook): Set<string> {
  return new Set(notebook.cells.map((cell) => cell.id));
}

/** The next notebook; `notebook` is never mutated (structural sharing for unchanged cells). */
export function reduce(notebook: Notebook, action: NotebookAction): Notebook {
  const cells = notebook.cells;
  const at = 'id' in action ? cells.findIndex((cell) => cell.id === action.id) : -1;
  const withCells = (next: Cell[]): Notebook => ({ ...notebook, cells: next });
  switch (action.type) {
    case 'add': {
      const cell = createCell(action.kind, newCellId(action.kind, ids(notebook)));
      const after = action.after === undefined ? -1 : cells.findIndex((c) => c.id === action.after);
      const index = after < 0 ? cells.length : after + 1;
      return withCells([...cells.slice(0, index), cell, ...cells.slice(index)]);
    }
    case 'remove':
      return at < 0 ? notebook : withCells(cells.filter((_, i) => i !== at));
    case 'insert': {
      if (cells.some((c) => c.id === action.cell.id)) return notebook;
      const index = Math.max(0, Math.min(cells.length, action.index));
      return withCells([...cells.slice(0, index), action.cell, ...cells.slice(index)]);
    }
    case 'duplicate': {
      if (at < 0) return notebook;
      const source = cells[at]!;
      const copy = { ...structuredClone(source), id: newCellId(source.kind, ids(notebook)) };
      return withCells([...cells.slice(0, at + 1), copy, ...cells.slice(at + 1)]);
    }
    case 'move':
      return at < 0
        ? notebook
        : reduce(notebook, { type: 'move-to', id: action.id, index: at + action.by });
    case 'move-to': {
      const index = Math.max(0, Math.min(cells.length - 1, action.index));
      if (at < 0 || index === at) return notebook;
      const next = cells.filter((_, i) => i !== at);
      next.splice(index, 0, cells[at]!);
      return withCells(next);
    }
    case 'toggle-collapse':
      return at < 0
        ? notebook
        : withCells(cells.map((c, i) => (i === at ? { ...c, collapsed: !c.collapsed } : c)));
    case 'update': {
      if (at < 0) return notebook;
      const patch: Record<string, unknown> = { ...action.patch };
      delete patch['id'];
      delete patch['kind'];
      return withCells(cells.map((c, i) => (i === at ? ({ ...c, ...patch } as Cell) : c)));
    }
    case 'replace':
      return action.notebook;
  }
}

export type Listener = (notebook: Notebook, action: NotebookAction) => void;

/** Holds the current notebook; the only writer is dispatch(). */
export class NotebookStore {
  private current: Notebook;
  private readonly listeners = new Set<Listener>();

  constructor(initial: Notebook) {
    this.current = initial;
  }

  get notebook(): Notebook {
    return this.current;
  }

  cell(id: string): Cell | undefined {
    return this.current.cells.find((cell) => cell.id === id);
  }

  dispatch(action: NotebookAction): void {
    const next = reduce(this.current, action);
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next, action);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
