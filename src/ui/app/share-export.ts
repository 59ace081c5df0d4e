/**
 * The notebook going out: share links (with or without its weights), the .flowfield.json file,
 * one model's .safetensors and the PyTorch project. Every way out carries each trained Train
 * cell's expected parameter hash, so a replay learns whether it was bit-identical.
 */
import {
  encodeShareLink,
  modelSafetensors,
  notebookToFile,
  paramsHash,
  SHARE_LINK_BUDGET,
  trainInputs,
  type Notebook,
  type NotebookStore,
} from '../../notebook';
// GPU-free: the exporter reads the notebook and draws the data with the samplers' CPU twins.
import { exportPytorchProject, fetchImageAsset, pytorchExportAssetFile, zip } from '../../export';
import type { LabClient } from '../controllers/lab-client';
import type { LabController } from '../controllers/lab-controller';
import { errorMessage } from '../error-message';
import type { ShareLink, ShareOptions } from '../share-dialog/share-dialog';
import type { Banner } from './banner';
import { hasWeights } from './weights-client';
import { exportTrainWeights, trainedRuns, type TrainWeights } from './weights';

/** A file name from a notebook title: letters, digits and dashes. */
export function fileStem(title: string): string {
  const stem = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return stem || 'notebook';
}

export interface Download {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** What sharing and exporting need of the app. */
export interface ShareExportHost {
  readonly store: NotebookStore;
  readonly lab: LabController | undefined;
  readonly client: LabClient | undefined;
  readonly shareDialog: { show(options: ShareOptions): Promise<unknown> };
  /** Where the download link is put for its click. */
  readonly renderRoot: HTMLElement | DocumentFragment;
  showBanner(banner: Banner | undefined): void;
}

export class ShareExport {
  /** The last file handed to the browser (tests read it). */
  lastDownload: Download | undefined;
  /** The app's own URL (links point there). */
  appUrl = `${location.origin}${location.pathname}`;

  constructor(private readonly app: ShareExportHost) {}

  trainedRuns(): string[] {
    const lab = this.app.lab;
    return lab && hasWeights(this.app.client) ? trainedRuns(lab, this.app.store.notebook) : [];
  }

  /** Exact float32 weights of every trained Train cell. */
  async weights(): Promise<TrainWeights[]> {
    const lab = this.app.lab;
    const client = this.app.client;
    if (!lab || !hasWeights(client)) return [];
    const out: TrainWeights[] = [];
    for (const id of trainedRuns(lab, this.app.store.notebook)) {
      out.push(await exportTrainWeights(lab, client, id));
    }
    return out;
  }

  /**
   * The notebook with each trained Train cell's `expected` set to its step count and parameter
   * hash, so that whoever replays the link learns whether the replay was bit-identical.
   */
  async withExpectations(weights: readonly TrainWeights[]): Promise<Notebook> {
    const notebook = this.app.store.notebook;
    const expected = new Map<string, { steps: number; paramsHash: string }>();
    for (const w of weights) {
      expected.set(w.trainId, { steps: w.steps, paramsHash: await paramsHash(w.params) });
    }
    return {
      ...notebook,
      cells: notebook.cells.map((cell) =>
        cell.kind === 'train' && expected.has(cell.id)
          ? { ...cell, expected: expected.get(cell.id)! }
          : cell,
      ),
    };
  }

  private link(fragment: string): ShareLink {
    return { fragment, url: `${this.appUrl}#${fragment}` };
  }

  async shareOptions(): Promise<ShareOptions> {
    const weights = await this.weights();
    const notebook = await this.withExpectations(weights);
    const settings = this.link(await encodeShareLink({ notebook, weights: [] }));
    let withWeights: ShareOptions['weights'];
    if (weights.length) {
      try {
        withWeights = this.link(
          await encodeShareLink({ notebook, weights }, { weights: 'float16' }),
        );
      } catch (error) {
        withWeights = { error: errorMessage(error) };
      }
    }
    return {
      settings,
      ...(withWeights ? { weights: withWeights } : {}),
      replayable: weights.length,
      budget: SHARE_LINK_BUDGET,
      embedScript: new URL('embed.js', this.appUrl).href,
    };
  }

  async share(): Promise<void> {
    try {
      await this.app.shareDialog.show(await this.shareOptions());
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not make a link.',
        text: errorMessage(error),
      });
    }
  }

  private download(name: string, type: string, bytes: Uint8Array): void {
    this.lastDownload = { name, type, bytes };
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    this.app.renderRoot.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** The notebook with its exact float32 weights as .flowfield.json. */
  async saveFile(): Promise<void> {
    try {
      const weights = await this.weights();
      const notebook = await this.withExpectations(weights);
      const imageSets = this.app.lab?.images.carried() ?? [];
      const text = notebookToFile({ notebook, weights, imageSets });
      this.download(
        `${fileStem(notebook.title)}.flowfield.json`,
        'application/json',
        new TextEncoder().encode(text),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not save the file.',
        text: errorMessage(error),
      });
    }
  }

  /** One model's weights as safetensors, with its settings in the metadata. */
  async exportSafetensors(trainId: string): Promise<void> {
    const lab = this.app.lab;
    const client = this.app.client;
    const model = trainInputs(this.app.store.notebook, trainId).model;
    if (!lab || !hasWeights(client) || !model) return;
    try {
      const weights = await exportTrainWeights(lab, client, trainId);
      this.download(
        `${fileStem(this.app.store.notebook.title)}-${trainId}.safetensors`,
        'application/octet-stream',
        modelSafetensors(weights, model.model),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not export weights.',
        text: errorMessage(error),
      });
    }
  }

  /**
   * The notebook as a PyTorch project (.zip): flowfield_torch/, config.json, the data, train.py,
   * sample.py, README.md, and the trained weights of the exported Train cell when it has some.
   * Exports the first trained Train cell (else the first Train cell).
   */
  async exportPytorch(): Promise<void> {
    try {
      const weights = await this.weights();
      const notebook = this.app.store.notebook;
      const trainId = weights[0]?.trainId;
      // An image notebook carries its image set: the dist/data/ file the page loads its images from.
      const assetFile = pytorchExportAssetFile(notebook, trainId);
      const imageAsset = assetFile ? await fetchImageAsset(assetFile) : undefined;
      const files = exportPytorchProject(notebook, {
        ...(trainId ? { trainId } : {}),
        weights,
        ...(imageAsset ? { imageAsset } : {}),
      });
      const stem = `${fileStem(notebook.title)}-pytorch`;
      this.download(
        `${stem}.zip`,
        'application/zip',
        zip(files.map((f) => ({ path: `${stem}/${f.path}`, bytes: f.bytes }))),
      );
    } catch (error) {
      this.app.showBanner({
        kind: 'error',
        title: 'Could not export the PyTorch project.',
        text: errorMessage(error),
      });
    }
  }
}
