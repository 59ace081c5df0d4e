import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import {
  IMAGE_MODEL_KINDS_INFO,
  VIEW_LIMITS,
  imageClassCount,
  type ImageModelKind,
  type SamplerName,
  type ViewCell,
  type ViewOverlay,
} from '../../notebook';
import type { ImageSamples, ViewReport } from '../controllers/lab-client';
import { MAX_GRID_IMAGES } from '../controllers/run-samples';
import { pngFromRgba, PictureUrls } from '../picture';
import { sampleGrid, type GridPicture } from './image-samples';
import {
  effectiveImageView,
  ImageViewPictures,
  imageViewSelect,
  renderImageView,
} from './image-views';
import { IDLE_RUN, type RunView } from '../controllers/lab-controller';
import { emit } from '../events';
import { numberField, selectField } from '../fields';
import '../gpu-view/gpu-view';
import type { FfGpuView } from '../gpu-view/gpu-view';
import { download, pngFromPixels } from '../gpu-view/png';
import { VIEW_TIPS } from '../learn/explanations';
import { PALETTE, squareBounds, type FfScatter, type ScatterLayer } from '../scatter/scatter';
import '../scatter/scatter';
import { cellStyles } from '../shared.styles';
import {
  IMAGE_SAMPLERS,
  SAMPLER_NAMES,
  imageSampler,
  samplerChoice,
  samplersFor,
} from './samplers';
import { guidanceControls } from './image-guidance';
import { viewCellStyles } from './view-cell.styles';
import { effectiveOverlay, hasExactDensity, overlaysFor, viewLayers } from './view-layers';

const OVERLAY_NAMES: Record<ViewOverlay, string> = {
  none: 'None',
  density: 'Density (log p)',
  warp: 'Warp grid',
  trajectories: 'Trajectories',
  field: 'Velocity field',
};

/**
 * Samples of the trained model over the data, with an overlay (density, warp grid, paths,
 * field), the sampler of diffusion models and its NFE; export as PNG or CSV. Drawn by the GPU
 * side where the client offers views, else on the page (samples over data only).
 */
@customElement('ff-view-cell')
export class FfViewCell extends LitElement {
  static override styles = [cellStyles, viewCellStyles];

  @property({ attribute: false }) cell!: ViewCell;
  @property({ attribute: false }) run: RunView = IDLE_RUN;
  @property({ attribute: false }) data?: Float32Array;
  /** The names of the Data cell's classes (a class-conditional image model's class select). */
  @property({ attribute: false }) classNames?: readonly string[];

  @state() private report: ViewReport | undefined;
  @query('ff-scatter') private scatter?: FfScatter;
  @query('ff-gpu-view') gpuView?: FfGpuView;

  private patch(patch: Partial<ViewCell>): void {
    emit(this, 'ff-cell-change', { id: this.cell.id, patch });
  }

  private get kind() {
    return this.run.model?.kind;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.pictures.dispose();
    this.viewPictures.dispose();
  }

  override render() {
    const { cell, run } = this;
    const image = run.model?.image;
    if (image) return this.renderImages(image.kind);
    return html`<div class="layout">
      ${run.views ? this.renderGpuView() : this.renderScatter()}
      <div class="controls">
        <label class="inline"
          ><input
            id="showData"
            type="checkbox"
            .checked=${cell.showData}
            @change=${() => this.patch({ showData: !cell.showData })}
          />Show data</label
        >
        <label class="inline"
          ><input
            id="showSamples"
            type="checkbox"
            .checked=${cell.showSamples}
            @change=${() => this.patch({ showSamples: !cell.showSamples })}
          />Show samples</label
        >
        ${numberField({ id: 'sampleCount', value: cell.sampleCount, range: VIEW_LIMITS.sampleCount, onChange: (sampleCount) => this.patch({ sampleCount }) })}
        ${numberField({ id: 'sampleSeed', value: cell.sampleSeed, range: VIEW_LIMITS.sampleSeed, onChange: (sampleSeed) => this.patch({ sampleSeed }) })}
        ${selectField<ViewOverlay>({
          id: 'overlay',
          label: 'Overlay',
          value: effectiveOverlay(cell, this.kind),
          choices: overlaysFor(this.kind),
          names: OVERLAY_NAMES,
          tip: VIEW_TIPS.overlay,
          onChange: (overlay) => this.patch({ overlay }),
        })}
        ${this.renderScrubber()} ${this.renderSampler()}
        <div class="row">
          <button @click=${this.exportPng}>Export PNG</button>
          <button @click=${this.exportCsv} ?disabled=${!run.samples}>Export samples (CSV)</button>
        </div>
        <p class="hint" role="status">${this.status()}</p>
      </div>
    </div>`;
  }

  /** The grid's PNG URL, made once per sample set (picture.ts: no 2-D canvas on the page). */
  private readonly pictures = new PictureUrls(2);
  private readonly viewPictures = new ImageViewPictures();
  private picture: { images: ImageSamples; url: string; grid: GridPicture } | undefined;

  private gridPicture(images: ImageSamples) {
    if (this.picture?.images !== images) {
      const grid = sampleGrid(images);
      const url = this.pictures.add(pngFromRgba(grid.rgba, grid.width, grid.height));
      this.picture = { images, url, grid };
    }
    return this.picture;
  }

  /**
   * An image model: a live grid of its samples (drawn in the worker, refreshed while it trains),
   * with the seed and an image flow's temperature, or flow matching's ODE solver or a DDPM's
   * sampler (DDPM or DDIM) and steps.
   */
  private renderImages(kind: ImageModelKind) {
    const { cell, run } = this;
    const picture = run.images ? this.gridPicture(run.images) : undefined;
    const sampler = imageSampler(cell, kind);
    const samplers = IMAGE_SAMPLERS[kind === 'ddpm' ? 'ddpm' : 'flow-matching'];
    const view = effectiveImageView(cell, kind);
    return html`<div class="layout">
      ${
        view !== 'grid'
          ? renderImageView(run.imageView, this.viewPictures, view)
          : picture
            ? html`<img
                id="sample-grid"
                class="sample-grid"
                src=${picture.url}
                width=${picture.grid.width * 4}
                height=${picture.grid.height * 4}
                alt=${`${run.images!.count} images sampled from the model at step ${run.step}`}
              />`
            : html`<p class="hint">Train the model above to see its samples.</p>`
      }
      <div class="controls">
        ${imageViewSelect(cell, kind, (imageView) => this.patch({ imageView }))}
        ${numberField({ id: 'sampleCount', value: cell.sampleCount, range: VIEW_LIMITS.sampleCount, tip: `Images in the grid: at most ${MAX_GRID_IMAGES}.`, onChange: (sampleCount) => this.patch({ sampleCount }) })}
        ${numberField({ id: 'sampleSeed', value: cell.sampleSeed, range: VIEW_LIMITS.sampleSeed, onChange: (sampleSeed) => this.patch({ sampleSeed }) })}
        ${
          IMAGE_MODEL_KINDS_INFO[kind].family === 'image-flow'
            ? numberField({
                id: 'temperature',
                value: cell.temperature ?? 1,
                range: VIEW_LIMITS.temperature,
                step: '0.05',
                tip: 'z = T·ε: below 1 the samples are smoother and more typical; 0 gives the image of z = 0.',
                onChange: (temperature) => this.patch({ temperature }),
              })
            : html`${selectField<SamplerName>({ id: 'sampler', label: 'Sampler', value: sampler, choices: samplers, names: SAMPLER_NAMES, tip: VIEW_TIPS.sampler, onChange: (sampler) => this.patch({ sampler }) })}
              ${
                // DDPM's ancestral sampler takes all T steps of its schedule: no step count.
                sampler === 'ddpm'
                  ? nothing
                  : numberField({
                      id: 'samplerSteps',
                      value: cell.samplerSteps,
                      range: VIEW_LIMITS.samplerSteps,
                      tip: VIEW_TIPS.samplerSteps,
                      onChange: (samplerSteps) => this.patch({ samplerSteps }),
                    })
              }`
        }
        ${guidanceControls(cell, imageClassCount(run.model?.image), this.classNames, (p) => this.patch(p))}
        <p class="hint" role="status">
          ${run.images ? `${run.images.count} samples of the model at step ${run.step}.` : ''}
        </p>
        ${this.renderFrechet()}
      </div>
    </div>`;
  }

  /** The sample-quality figure computed when training ended (lower is better; 0: the test set's statistics). */
  private renderFrechet() {
    const figure = this.run.frechet;
    if (!figure) return nothing;
    return html`<p class="hint" id="frechet">
      Fréchet distance at step ${figure.step}:
      <output>${figure.distance.toPrecision(4)}</output> between ${figure.count} samples and
      ${figure.count} test images, on the ${figure.featureDims} penultimate features of a small
      ${figure.set} classifier (test accuracy ${(100 * figure.classifierAccuracy).toFixed(1)}%).
      Lower is better; it compares models of this set only.
    </p>`;
  }

  private status(): string {
    const { run } = this;
    const count = run.samples ? run.samples.length / 2 : 0;
    if (run.views) {
      if (run.generation !== undefined)
        return `Drawn on the GPU from the model's current parameters.`;
      const overlay = effectiveOverlay(this.cell, this.kind);
      return overlay === 'density' && !hasExactDensity(run.views.data)
        ? 'Train the model above to see its density (this data has no closed-form density).'
        : 'Train the model above to see samples.';
    }
    return count ? `${count} samples shown.` : 'Train the model above to see samples.';
  }

  private renderScatter() {
    const { cell, run } = this;
    const layers: ScatterLayer[] = [];
    if (cell.showData && this.data)
      layers.push({ label: 'data', color: PALETTE.data, points: this.data });
    if (cell.showSamples && run.samples) {
      layers.push({ label: 'samples', color: PALETTE.samples, points: run.samples });
    }
    const count = run.samples ? run.samples.length / 2 : 0;
    return html`<ff-scatter
      label=${count ? `Samples of the model (${count} points) over the data` : 'No samples yet'}
      .layers=${layers}
      .bounds=${squareBounds(this.data ?? run.samples)}
    ></ff-scatter>`;
  }

  private renderGpuView() {
    const { cell, run } = this;
    const binding = run.views!;
    const ready = run.generation !== undefined ? binding.trainId : undefined;
    const layers = viewLayers({
      cell,
      run: ready,
      kind: this.kind,
      data: binding.data,
      warpStages: this.report?.warpStages,
    });
    const overlay = effectiveOverlay(cell, this.kind);
    return html`<ff-gpu-view
      .client=${binding.client}
      .layers=${layers}
      .bounds=${squareBounds(this.data ?? run.samples)}
      .version=${run.generation ?? 0}
      stamp=${run.state === 'running' ? 'live' : `${run.generation ?? 0}:${run.step}`}
      label=${
        ready
          ? `Samples of the model over the data${overlay === 'none' ? '' : `, with ${OVERLAY_NAMES[overlay].toLowerCase()}`}`
          : 'The data; no model trained yet'
      }
      @ff-view-report=${(e: CustomEvent<{ report: ViewReport }>) => {
        this.report = e.detail.report;
      }}
    ></ff-gpu-view>`;
  }

  /** The layer/time scrubber of the warp, trajectories and field overlays. */
  private renderScrubber() {
    const overlay = effectiveOverlay(this.cell, this.kind);
    if (overlay !== 'warp' && overlay !== 'trajectories' && overlay !== 'field') return nothing;
    const flow = this.run.model?.family !== 'diffusion';
    const position = this.cell.position;
    const stages = this.report?.warpStages;
    const label =
      overlay === 'warp' && flow
        ? 'Layer'
        : overlay === 'trajectories'
          ? flow
            ? 'Paths through the layers'
            : 'Paths down to time t'
          : 'Time t';
    const value =
      overlay === 'warp' && flow && stages
        ? `stage ${Math.round(position * (stages - 1))} of ${stages - 1}`
        : `t = ${position.toFixed(2)}`;
    return html`<label for="position"
      >${label}
      <input
        id="position"
        type="range"
        min="0"
        max="1"
        step="0.01"
        .value=${String(position)}
        aria-valuetext=${value}
        title=${VIEW_TIPS.position}
        @input=${(e: Event) =>
          this.patch({ position: Number((e.target as HTMLInputElement).value) })}
      />
      <span class="hint">${value}</span>
    </label>`;
  }

  /** Sampler and step count of diffusion / flow-matching models, with the NFE drawn. */
  private renderSampler() {
    const choice = samplerChoice(this.cell, this.kind);
    if (!choice) return nothing;
    const nfe = this.report?.nfe;
    return html`${selectField<SamplerName>({
        id: 'sampler',
        label: 'Sampler',
        value: choice.sampler,
        choices: samplersFor(this.kind),
        names: SAMPLER_NAMES,
        tip: VIEW_TIPS.sampler,
        onChange: (sampler) => this.patch({ sampler }),
      })}
      ${numberField({ id: 'samplerSteps', value: this.cell.samplerSteps, range: VIEW_LIMITS.samplerSteps, tip: VIEW_TIPS.samplerSteps, onChange: (samplerSteps) => this.patch({ samplerSteps }) })}
      <p class="nfe" title=${VIEW_TIPS.nfe}>
        NFE per sample: <output id="nfe">${nfe ?? '—'}</output>
      </p>`;
  }

  private exportPng = async (): Promise<void> => {
    if (this.gpuView) {
      download(await pngFromPixels(await this.gpuView.readPixels()), 'flowfield-view.png');
    } else if (this.scatter?.png) {
      download(this.scatter.png, 'flowfield-view.png');
    }
  };

  private exportCsv = (): void => {
    const samples = this.run.samples;
    if (!samples) return;
    download(new Blob([samplesCsv(samples)], { type: 'text/csv' }), 'flowfield-samples.csv');
  };
}

/** Points (x0, y0, x1, y1, …) as CSV lines `x,y` under a header. */
export function samplesCsv(samples: Float32Array): string {
  const lines = ['x,y'];
  for (let i = 0; i + 1 < samples.length; i += 2) lines.push(`${samples[i]},${samples[i + 1]}`);
  return lines.join('\n');
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-view-cell': FfViewCell;
  }
}
