import { LitElement, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { VIEW_LIMITS, type ViewCell } from '../../notebook';
import { IDLE_RUN, type RunView } from '../controllers/lab-controller';
import { emit } from '../events';
import { numberField } from '../fields';
import { PALETTE, squareBounds, type FfScatter, type ScatterLayer } from '../scatter/scatter';
import '../scatter/scatter';
import { cellStyles } from '../shared.styles';
import { viewCellStyles } from './view-cell.styles';

/** Samples of the trained model over the data; export as PNG or CSV. */
@customElement('ff-view-cell')
export class FfViewCell extends LitElement {
  static override styles = [cellStyles, viewCellStyles];

  @property({ attribute: false }) cell!: ViewCell;
  @property({ attribute: false }) run: RunView = IDLE_RUN;
  @property({ attribute: false }) data?: Float32Array;

  @query('ff-scatter') private scatter!: FfScatter;

  private patch(patch: Partial<ViewCell>): void {
    emit(this, 'ff-cell-change', { id: this.cell.id, patch });
  }

  override render() {
    const { cell, run } = this;
    const layers: ScatterLayer[] = [];
    if (cell.showData && this.data)
      layers.push({ label: 'data', color: PALETTE.data, points: this.data });
    if (cell.showSamples && run.samples) {
      layers.push({ label: 'samples', color: PALETTE.samples, points: run.samples });
    }
    const count = run.samples ? run.samples.length / 2 : 0;
    return html`<div class="layout">
      <ff-scatter
        label=${count ? `Samples of the model (${count} points) over the data` : 'No samples yet'}
        .layers=${layers}
        .bounds=${squareBounds(this.data ?? run.samples)}
      ></ff-scatter>
      <div class="controls">
        <label class="inline"
          ><input
            type="checkbox"
            .checked=${cell.showData}
            @change=${() => this.patch({ showData: !cell.showData })}
          />Show data</label
        >
        <label class="inline"
          ><input
            type="checkbox"
            .checked=${cell.showSamples}
            @change=${() => this.patch({ showSamples: !cell.showSamples })}
          />Show samples</label
        >
        ${numberField({ id: 'sampleCount', value: cell.sampleCount, range: VIEW_LIMITS.sampleCount, onChange: (sampleCount) => this.patch({ sampleCount }) })}
        ${numberField({ id: 'sampleSeed', value: cell.sampleSeed, range: VIEW_LIMITS.sampleSeed, onChange: (sampleSeed) => this.patch({ sampleSeed }) })}
        <div class="row">
          <button @click=${this.exportPng}>Export PNG</button>
          <button @click=${this.exportCsv} ?disabled=${!run.samples}>Export samples (CSV)</button>
        </div>
        <p class="hint" role="status">
          ${count ? `${count} samples shown.` : 'Train the model above to see samples.'}
        </p>
      </div>
    </div>`;
  }

  private download(url: string, name: string): void {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
  }

  private exportPng = (): void => {
    this.download(this.scatter.canvas.toDataURL('image/png'), 'flowfield-view.png');
  };

  private exportCsv = (): void => {
    const samples = this.run.samples;
    if (!samples) return;
    const lines = ['x,y'];
    for (let i = 0; i + 1 < samples.length; i += 2) lines.push(`${samples[i]},${samples[i + 1]}`);
    const url = URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/csv' }));
    this.download(url, 'flowfield-samples.csv');
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-view-cell': FfViewCell;
  }
}
