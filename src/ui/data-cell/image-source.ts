import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import {
  IMAGE_SET_CLASSES,
  IMAGE_SET_NAMES,
  IMAGE_SPLITS,
  describeImageSource,
  imageClassNames,
  type ImageSetName,
  type ImageSource,
  type ImageSplit,
  type ShippedImagesSource,
} from '../../notebook';
import {
  DEFAULT_IMAGE_FILE_CHOICE,
  IMAGE_FILE_SIZES,
  describeChoice,
  type ImageCellState,
  type ImageFileChoice,
  type ImageFileSize,
} from '../controllers/image-sets';
import { emit } from '../events';
import { selectField } from '../fields';
import { cellStyles } from '../shared.styles';
import { pngFromRgba, PictureUrls } from '../picture';

const SET_NAMES: Record<ImageSetName, string> = {
  mnist: 'MNIST digits',
  'fashion-mnist': 'Fashion-MNIST clothes',
};
const SPLIT_NAMES: Record<ImageSplit, string> = {
  train: 'Train split',
  test: 'Held-out test split',
  all: 'Both splits',
};
/** Accepted by the file picker (the reader sniffs the bytes anyway). */
const IMAGE_FILE_TYPES = 'image/png,image/jpeg,.png,.jpg,.jpeg,.zip,application/zip';

/**
 * The image part of a Data cell: a shipped set's settings (or the user's files), the loading
 * progress bar, then a grid of sample images with their labels. Renders and emits only: the
 * set is opened and the files are read by the ImageSetController.
 */
@customElement('ff-image-source')
export class FfImageSource extends LitElement {
  static override styles = [
    cellStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(56px, 1fr));
        gap: 0.4rem;
        margin: 0.5rem 0 0;
        padding: 0;
        list-style: none;
      }
      figure {
        margin: 0;
        text-align: center;
        font-size: 0.75em;
      }
      img {
        display: block;
        width: 100%;
        height: auto;
        aspect-ratio: 1;
        image-rendering: pixelated;
        border-radius: 3px;
      }
      progress {
        width: 100%;
      }
      .classes {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.8rem;
      }
    `,
  ];

  /** The Data cell's id (events name it). */
  @property() cellId = '';
  /** The Data cell's image source; absent while the user is about to drop files. */
  @property({ attribute: false }) source?: ImageSource;
  @property({ attribute: false }) state?: ImageCellState;

  private change(source: ImageSource): void {
    emit(this, 'ff-cell-change', { id: this.cellId, patch: { source } });
  }

  private files(list: FileList | null | undefined): void {
    if (list && list.length > 0)
      emit(this, 'ff-image-files', { id: this.cellId, files: [...list] });
  }

  override render() {
    const source = this.source;
    // Files dropped on a shipped set's cell: their problems show there too.
    const dropped = this.state?.filesError || this.state?.reading;
    return html`${
      source?.kind === 'images'
        ? html`${this.renderShipped(source)}${dropped ? this.renderFilesStatus() : nothing}`
        : this.renderFiles()
    }
    ${this.renderProgress()} ${this.renderGrid()}`;
  }

  private renderShipped(source: ShippedImagesSource) {
    const names = IMAGE_SET_CLASSES[source.name];
    const chosen = new Set(source.classes ?? names.map((_, i) => i));
    const toggle = (label: number, on: boolean) => {
      const next = names.map((_, i) => i).filter((i) => (i === label ? on : chosen.has(i)));
      if (next.length === 0) return;
      const rest: ShippedImagesSource = { ...source };
      delete rest.classes;
      this.change(next.length === names.length ? rest : { ...rest, classes: next });
    };
    return html`<div class="row">
        ${selectField<ImageSetName>({
          id: 'image-set',
          label: 'Image set',
          value: source.name,
          choices: IMAGE_SET_NAMES,
          names: SET_NAMES,
          // Class labels mean other things in the other set: start with all of them.
          onChange: (name) =>
            this.change({ kind: 'images', name, size: source.size, seed: source.seed }),
        })}
        ${selectField<'28' | '14'>({
          id: 'image-size',
          label: 'Size',
          value: String(source.size) as '28' | '14',
          choices: ['28', '14'],
          names: { 28: '28×28', 14: '14×14 (quick)' },
          onChange: (size) => this.change({ ...source, size: Number(size) as 28 | 14 }),
        })}
        ${selectField<ImageSplit>({
          id: 'image-split',
          label: 'Images',
          value: source.split ?? 'train',
          choices: IMAGE_SPLITS,
          names: SPLIT_NAMES,
          onChange: (split) => {
            const rest: ShippedImagesSource = { ...source };
            delete rest.split;
            this.change(split === 'train' ? rest : { ...rest, split });
          },
        })}
      </div>
      <fieldset class="classes">
        <legend>Classes</legend>
        ${names.map(
          (name, i) =>
            html`<label class="inline"
              ><input
                type="checkbox"
                name="class-${i}"
                .checked=${chosen.has(i)}
                ?disabled=${chosen.size === 1 && chosen.has(i)}
                @change=${(e: Event) => toggle(i, (e.target as HTMLInputElement).checked)}
              />${name}</label
            >`,
        )}
      </fieldset>`;
  }

  /** The size and colour the cell's files are (or will be) made at. */
  private get choice(): ImageFileChoice {
    const source = this.source;
    if (this.state?.choice) return this.state.choice;
    if (source?.kind === 'image-files' && IMAGE_FILE_SIZES.includes(source.size as ImageFileSize))
      return { size: source.size as ImageFileSize, channels: source.channels };
    return DEFAULT_IMAGE_FILE_CHOICE;
  }

  private choose(choice: ImageFileChoice): void {
    emit(this, 'ff-image-choice', { id: this.cellId, ...choice });
  }

  /** Size and colour of the user's images: chosen before or after adding the files. */
  private renderChoice() {
    const choice = this.choice;
    return html`<div class="row">
      ${selectField<'28' | '14' | '8'>({
        id: 'image-files-size',
        label: 'Size',
        value: String(choice.size) as '28' | '14' | '8',
        choices: ['28', '14', '8'],
        names: { 28: '28×28', 14: '14×14', 8: '8×8' },
        onChange: (size) => this.choose({ ...choice, size: Number(size) as 28 | 14 | 8 }),
      })}
      ${selectField<'1' | '3'>({
        id: 'image-files-colour',
        label: 'Colour',
        value: String(choice.channels) as '1' | '3',
        choices: ['1', '3'],
        names: { 1: 'Grey-scale', 3: 'RGB (3 channels)' },
        onChange: (channels) => this.choose({ ...choice, channels: Number(channels) as 1 | 3 }),
      })}
    </div>`;
  }

  private renderFiles() {
    const source = this.source;
    const action = this.state?.missing
      ? 'Add the images again'
      : source
        ? 'Replace the images'
        : 'Your image set';
    return html`${this.renderChoice()}<label for="image-files"
        >${action}: PNG or JPEG files, or a .zip (a folder per class gives labels); or drop them on
        this cell
        <input
          id="image-files"
          type="file"
          multiple
          accept=${IMAGE_FILE_TYPES}
          aria-describedby="image-files-status"
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this.files(input.files);
            input.value = '';
          }}
        />
      </label>
      ${this.renderFilesStatus()}`;
  }

  /** Reading dropped files, why they were refused (the notebook unchanged), what was skipped. */
  private renderFilesStatus() {
    const source = this.source;
    const state = this.state;
    const made = `Images are made ${describeChoice(this.choice)} (centre square, box-averaged).`;
    return html`<p
        id="image-files-status"
        class=${state?.filesError ? 'error' : 'hint'}
        role=${state?.filesError ? 'alert' : 'status'}
      >
        ${
          state?.filesError ??
          (state?.reading
            ? `Reading ${state.reading} file(s)…`
            : source
              ? `${describeImageSource(source)}. ${made}`
              : made)
        }
      </p>
      ${state?.choiceNote ? html`<p class="hint" role="status">${state.choiceNote}</p>` : nothing}
      ${
        state?.filesNotes?.length
          ? html`<ul class="hint">
              ${state.filesNotes.map((note) => html`<li>${note}</li>`)}
            </ul>`
          : nothing
      }`;
  }

  private renderProgress() {
    const state = this.state;
    if (!state?.progress || state.preview || state.error) {
      return state?.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing;
    }
    const { loaded, total } = state.progress;
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    return html`<label for="image-progress"
      >Loading ${this.source ? describeImageSource(this.source) : 'images'}:
      ${total ? `${mb(loaded)} of ${mb(total)} MB` : `${mb(loaded)} MB`}
      <progress id="image-progress" max=${total ?? 1} .value=${total ? loaded : 0}></progress>
    </label>`;
  }

  private renderGrid() {
    const preview = this.state?.preview;
    if (!preview || !this.source) return nothing;
    const names = imageClassNames(this.source);
    const labels = [...preview.labels].map((label) => names[label] ?? '');
    return html`<p class="hint">
        ${preview.setCount.toLocaleString('en')} images; ${labels.length} drawn at random:
      </p>
      <ul class="grid" aria-label="Sample images">
        ${labels.map(
          (label, i) =>
            html`<li>
              <figure>
                <img
                  data-index=${i}
                  src=${this.previewUrls[i] ?? nothing}
                  width=${preview.shape[2]}
                  height=${preview.shape[1]}
                  alt=${label ? `Sample ${i + 1}: ${label}` : `Sample ${i + 1}`}
                  draggable="false"
                />
                ${label ? html`<figcaption>${label}</figcaption>` : nothing}
              </figure>
            </li>`,
        )}
      </ul>`;
  }

  /** The sample images as PNG pictures (picture.ts: a 2-D canvas blocked the page). */
  private previewUrls: string[] = [];
  private previewShown: ImageCellState['preview'];
  private readonly urls = new PictureUrls(32);

  protected override willUpdate(_changed: PropertyValues): void {
    const preview = this.state?.preview;
    if (preview === this.previewShown) return;
    this.previewShown = preview;
    this.previewUrls = [];
    if (!preview) return;
    const [channels, height, width] = preview.shape;
    const size = channels * height * width;
    for (let i = 0; i < preview.labels.length; i++) {
      const image = new Uint8ClampedArray(width * height * 4);
      for (let p = 0; p < width * height; p++) {
        const at = i * size + p;
        // Grey sets repeat their one plane; RGB sets are stored plane after plane.
        const r = preview.pixels[at]!;
        const g = channels === 3 ? preview.pixels[at + width * height]! : r;
        const b = channels === 3 ? preview.pixels[at + 2 * width * height]! : r;
        image.set([r, g, b, 255], 4 * p);
      }
      this.previewUrls.push(this.urls.add(pngFromRgba(image, width, height)));
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Moved in the page: its pictures were released on leaving; make them again.
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.urls.dispose();
    this.previewShown = undefined;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-image-source': FfImageSource;
  }
}
