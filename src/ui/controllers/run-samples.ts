/**
 * Keeps each run's samples (for the CSV and the page's fallback view) fresh: after training,
 * at most every LIVE_SAMPLE_MS while training, and again when a View cell's sample settings
 * change. One sampling per run at a time; a forced refresh asked for meanwhile follows it.
 */
import {
  trainInputs,
  viewSource,
  IMAGE_MODEL_KINDS_INFO,
  imageClassCount,
  type ImageModelSettings,
  type NotebookStore,
  type ViewCell,
} from '../../notebook';
import { imageSampler, samplerChoice } from '../view-cell/samplers';
import { imageViewRequest } from '../view-cell/image-views';
import { classRequest } from '../view-cell/image-guidance';
import { errorMessage } from '../error-message';
import type { ImageSampleRequest, ImageViewRequest, LabClient } from './lab-client';
import type { RunView } from './run-view';

/** Least time between two sample refreshes while training, ms. */
const LIVE_SAMPLE_MS = 750;

/** Steps between two held-out evaluations while training, and the images each takes. */
export const HELD_OUT_EVERY = 50;
export const HELD_OUT_IMAGES = 256;
/**
 * Samples (and test images) of the Fréchet figure, once training ends: enough for a 32-wide
 * covariance, few enough that sampling stays a few seconds on a CPU adapter.
 */
export const FRECHET_IMAGES = 100;

/** Images in a View cell's sample grid of an image model (its sample count, capped). */
export const MAX_GRID_IMAGES = 64;

export function gridCount(view: ViewCell): number {
  return Math.min(view.sampleCount, MAX_GRID_IMAGES);
}

/**
 * How a View cell samples an image model: its seed; an image flow (NICE, RealNVP, Glow) at its
 * temperature, flow matching with its ODE solver (Euler unless Heun or RK4 is chosen) and steps, a DDPM
 * with DDIM (unless the ancestral sampler, which takes all T steps, is chosen) in the cell's
 * steps, at most T (DDIM steps through T of the model's own noise levels at most).
 */
export function imageSampleRequest(view: ViewCell, image: ImageModelSettings): ImageSampleRequest {
  const { kind, options } = image;
  if (IMAGE_MODEL_KINDS_INFO[kind].family === 'image-flow') {
    return { seed: view.sampleSeed, temperature: view.temperature ?? 1 };
  }
  // A class-conditional model: the cell's class (or all in turn) and guidance scale.
  const classes = classRequest(view, imageClassCount(image), gridCount(view));
  const sampler = imageSampler(view, kind);
  if (sampler === 'ddpm') return { seed: view.sampleSeed, sampler, ...classes };
  const most = kind === 'ddpm' ? (options['timesteps'] as number) : view.samplerSteps;
  return { seed: view.sampleSeed, sampler, steps: Math.min(view.samplerSteps, most), ...classes };
}

/** What the samples need of the runs' owner. */
export interface RunSamplesHost {
  readonly store: NotebookStore;
  readonly client: Pick<
    LabClient,
    'sampleModel' | 'sampleImages' | 'heldOutBits' | 'imageView' | 'frechet'
  >;
  run(trainId: string): RunView;
  runIds(): Iterable<string>;
  update(trainId: string, patch: Partial<RunView>): void;
}

export class RunSamples {
  private readonly sampling = new Set<string>();
  private readonly lastSampled = new Map<string, number>();
  private readonly resampleAfter = new Set<string>();
  /** Sample settings (count, seed, sampler) each run's samples were drawn with. */
  private readonly sampledWith = new Map<string, string>();

  constructor(private readonly host: RunSamplesHost) {}

  /** The first View cell showing a Train cell's run (its sample settings are used). */
  private viewOf(trainId: string): ViewCell | undefined {
    const nb = this.host.store.notebook;
    return nb.cells.find(
      (cell): cell is ViewCell => cell.kind === 'view' && viewSource(nb, cell.id)?.id === trainId,
    );
  }

  /** The sample settings of a run's first view (count, seed and sampler), as a key. */
  private sampleSettings(trainId: string) {
    const view = this.viewOf(trainId);
    if (!view) return undefined;
    const model = trainInputs(this.host.store.notebook, trainId).model?.model;
    if (model?.image) {
      const image = imageSampleRequest(view, model.image);
      const imageView = imageViewRequest(view, model.image.kind, image);
      return { view, image, imageView, key: JSON.stringify([gridCount(view), image, imageView]) };
    }
    const sampler = samplerChoice(view, model?.kind);
    return {
      view,
      sampler,
      key: JSON.stringify([view.sampleCount, view.sampleSeed, sampler]),
    };
  }

  /**
   * An image model's held-out bits/dim (a flow's exact, flow matching's through the ODE ± SE) at the current step, every HELD_OUT_EVERY steps while it
   * trains and when training ends (`force`), appended to the run's curve.
   */
  private async heldOut(trainId: string, force: boolean): Promise<void> {
    const run = this.host.run(trainId);
    const last = run.heldOut?.at(-1)?.step ?? -Infinity;
    if (!this.host.client.heldOutBits || run.step === last) return;
    if (!force && run.step - last < HELD_OUT_EVERY) return;
    const step = run.step;
    const estimate = await this.host.client.heldOutBits(trainId, HELD_OUT_IMAGES);
    if (estimate === undefined) return;
    const points = (this.host.run(trainId).heldOut ?? []).filter((p) => p.step < step);
    this.host.update(trainId, { heldOut: [...points, { step, ...estimate }] });
  }

  /**
   * When training ends (or the View cell's sampler changes after it): the Fréchet distance of
   * FRECHET_IMAGES samples, drawn as the View cell draws them, to as many test images.
   */
  private async frechet(trainId: string, request: ImageSampleRequest): Promise<void> {
    if (!this.host.client.frechet) return;
    const step = this.host.run(trainId).step;
    const figure = await this.host.client.frechet(trainId, FRECHET_IMAGES, request);
    if (figure) this.host.update(trainId, { frechet: { ...figure, step } });
  }

  /** Draws a run's image view (film strip, …); its failure is the view's, not the run's. */
  private async imageView(trainId: string, request: ImageViewRequest): Promise<void> {
    try {
      if (!this.host.client.imageView) throw new Error('Image views need the GPU worker.');
      const table = await this.host.client.imageView(trainId, request);
      this.host.update(trainId, { imageView: { table } });
    } catch (error) {
      this.host.update(trainId, { imageView: { error: errorMessage(error) } });
    }
  }

  /** Re-samples finished runs whose view's sample settings changed. */
  refresh(): void {
    for (const trainId of this.host.runIds()) {
      const { state } = this.host.run(trainId);
      if (state !== 'done' && state !== 'stopped') continue;
      const settings = this.sampleSettings(trainId);
      if (settings && this.sampledWith.get(trainId) !== settings.key) {
        void this.sample(trainId, true);
      }
    }
  }

  /** Refreshes a run's samples (at most every LIVE_SAMPLE_MS unless `force`). */
  async sample(trainId: string, force: boolean): Promise<void> {
    const now = performance.now();
    if (this.sampling.has(trainId)) {
      // A forced refresh (training ended) must show the final model: redo it after this one.
      if (force) this.resampleAfter.add(trainId);
      return;
    }
    if (!force && now - (this.lastSampled.get(trainId) ?? -Infinity) < LIVE_SAMPLE_MS) return;
    const settings = this.sampleSettings(trainId);
    if (!settings) return;
    const { view, sampler, image, imageView, key } = settings;
    this.sampling.add(trainId);
    this.lastSampled.set(trainId, now);
    this.sampledWith.set(trainId, key);
    try {
      if (image) {
        if (!this.host.client.sampleImages) throw new Error('Image models need the GPU worker.');
        const images = await this.host.client.sampleImages(trainId, gridCount(view), image);
        this.host.update(trainId, { images });
        if (imageView) await this.imageView(trainId, imageView);
        await this.heldOut(trainId, force);
        if (force) await this.frechet(trainId, image);
        return;
      }
      const samples = await this.host.client.sampleModel(
        trainId,
        view.sampleCount,
        view.sampleSeed,
        sampler,
      );
      this.host.update(trainId, { samples });
    } catch (error) {
      this.host.update(trainId, { error: errorMessage(error) });
    } finally {
      this.sampling.delete(trainId);
    }
    if (this.resampleAfter.delete(trainId)) await this.sample(trainId, true);
  }
}
