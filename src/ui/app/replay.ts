/**
 * The exact-replay check: a notebook whose Train cells carry an `expected` parameter hash (a
 * settings-only link) is replayed by training; when a run reaches the expected step with the
 * settings the hash belongs to, its parameters are hashed and compared. Imported weights are
 * not replays and are never checked.
 */
import { paramsHash, type Notebook, type NotebookStore } from '../../notebook';
import type { LabClient } from '../controllers/lab-client';
import type { LabController } from '../controllers/lab-controller';
import { hasWeights } from './weights-client';
import { exportTrainWeights, REPLAY_MESSAGES, runKey, type ReplayStatus } from './weights';

/** What the replay check needs of the app. */
export interface ReplayHost {
  readonly store: NotebookStore;
  readonly lab: LabController | undefined;
  readonly client: LabClient | undefined;
  requestUpdate(): void;
}

export class ReplayChecker {
  /** Exact-replay results by Train cell id. */
  readonly replay = new Map<string, ReplayStatus>();
  /** The run key each Train cell's `expected` hash belongs to (set when a notebook is loaded). */
  private readonly expectedKeys = new Map<string, string>();
  /** Train cells whose parameters were imported (not trained here): no replay check. */
  private readonly imported = new Set<string>();
  private readonly importing = new Set<string>();

  constructor(private readonly host: ReplayHost) {}

  /** A notebook replaces the current one: what was checked or imported is forgotten. */
  reset(notebook: Notebook): void {
    this.replay.clear();
    this.imported.clear();
    this.expectedKeys.clear();
    for (const cell of notebook.cells) {
      const key = cell.kind === 'train' && cell.expected ? runKey(notebook, cell.id) : undefined;
      if (key) this.expectedKeys.set(cell.id, key);
    }
  }

  /** Runs `load`, the import of Train cell `trainId`'s weights: no replay check compares them. */
  async imports(trainId: string, load: () => Promise<void>): Promise<void> {
    this.importing.add(trainId);
    this.imported.add(trainId);
    try {
      await load();
    } catch (error) {
      this.imported.delete(trainId);
      throw error;
    } finally {
      this.importing.delete(trainId);
    }
  }

  /**
   * Called after every render: a Train cell with an `expected` hash whose run (with the settings
   * the hash belongs to) has just reached `expected.steps` gets its parameters hashed and
   * compared. Imported weights are not replays and are never checked.
   */
  check(): void {
    const lab = this.host.lab;
    if (!lab) return;
    const notebook = this.host.store.notebook;
    for (const cell of notebook.cells) {
      if (cell.kind !== 'train' || !cell.expected) continue;
      const id = cell.id;
      const run = lab.run(id);
      if (run.state === 'idle' || (run.state === 'preparing' && !this.importing.has(id))) {
        // A fresh model: whatever was imported or checked before is gone.
        this.imported.delete(id);
        if (this.replay.get(id)?.state !== 'checking') this.replay.delete(id);
        continue;
      }
      if (this.imported.has(id) || this.replay.has(id)) continue;
      if (run.step !== cell.expected.steps) continue;
      if (!['done', 'paused', 'stopped'].includes(run.state)) continue;
      if (this.expectedKeys.get(id) !== runKey(notebook, id)) continue;
      // Marked now (this runs inside a render); shown with the next one.
      this.replay.set(id, { state: 'checking', message: REPLAY_MESSAGES.checking });
      void this.verify(id, cell.expected.paramsHash);
    }
  }

  private async verify(trainId: string, expected: string): Promise<void> {
    const lab = this.host.lab;
    const client = this.host.client;
    if (!lab || !hasWeights(client)) return;
    let state: ReplayStatus['state'];
    try {
      const weights = await exportTrainWeights(lab, client, trainId);
      state = (await paramsHash(weights.params)) === expected ? 'identical' : 'diverged';
    } catch {
      this.replay.delete(trainId);
      this.host.requestUpdate();
      return;
    }
    this.replay.set(trainId, { state, message: REPLAY_MESSAGES[state] });
    this.host.requestUpdate();
  }
}
