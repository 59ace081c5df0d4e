/**
 * The Data cells' previews: a sample of each cell's points, drawn again when its source
 * changes, and (through ImageSetController) the image sets' grids, progress and user files.
 */
import { isImageSource, trainInputs, viewSource, type DataCell } from '../../notebook';
import type { NotebookStore } from '../../notebook';
import { errorMessage } from '../error-message';
import { ImageSetController, type ImageCellState } from './image-sets';
import type { LabClient } from './lab-client';

export interface DataPreview {
  points?: Float32Array;
  error?: string;
  key: string;
}

const PREVIEW_POINTS = 2048;

/** What the previews need of their owner. */
export interface PreviewHost {
  readonly store: NotebookStore;
  readonly client: LabClient;
  /** Whether the GPU side answered its probe (nothing is sampled before). */
  gpuReady(): boolean;
  /** A preview changed: re-render. */
  changed(): void;
}

export class PreviewController {
  readonly previews = new Map<string, DataPreview>();
  /** The Data cells' image sets: progress, preview grids, the user's files. */
  readonly images: ImageSetController;

  constructor(private readonly host: PreviewHost) {
    this.images = new ImageSetController(host.client, host.store, () => host.changed());
  }

  get imageStates(): ReadonlyMap<string, ImageCellState> {
    return this.images.states;
  }

  /** The preview of the data a View cell's model trains on. */
  dataForView(viewId: string): DataPreview | undefined {
    const notebook = this.host.store.notebook;
    const train = viewSource(notebook, viewId);
    const data = train && trainInputs(notebook, train.id).data;
    return data && this.previews.get(data.id);
  }

  /** Re-samples every Data cell whose source changed. */
  refresh(): void {
    if (!this.host.gpuReady()) return;
    for (const cell of this.host.store.notebook.cells) {
      if (cell.kind === 'data') void this.preview(cell);
    }
  }

  private async preview(cell: DataCell): Promise<void> {
    if (isImageSource(cell.source)) return this.images.preview(cell);
    const key = JSON.stringify(cell.source);
    if (this.previews.get(cell.id)?.key === key) return;
    this.previews.set(cell.id, { key });
    let next: DataPreview;
    try {
      const points = await this.host.client.sampleData(
        cell.source,
        PREVIEW_POINTS,
        cell.source.seed,
      );
      next = { key, points };
    } catch (error) {
      next = { key, error: errorMessage(error) };
    }
    if (this.previews.get(cell.id)?.key === key) this.previews.set(cell.id, next);
    this.host.changed();
  }
}
