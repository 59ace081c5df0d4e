import { LitElement, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { COMPARE_LIMITS, rangeError, type CompareCell } from '../../notebook';
import { emit } from '../events';
import { numberField } from '../fields';
import { PALETTE, squareBounds } from '../scatter/scatter';
import '../scatter/scatter';
import { cellStyles } from '../shared.styles';
import type { CompareRow, Comparison } from './comparison';
import type { ImageCompareRow } from './image-comparison';
import { pngFromRgba, PictureUrls } from '../picture';
import { sampleGrid } from '../view-cell/image-samples';
import { compareCellStyles } from './compare-cell.styles';
import { ENERGY_POINTS, type Estimate } from './metrics';

/** A model the cell may compare (a Train cell above it). */
export interface CompareChoice {
  trainId: string;
  label: string;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function withError(estimate: Estimate | undefined): string {
  if (!estimate) return '—';
  const error = Number.isFinite(estimate.stderr) ? ` ± ${fixed(estimate.stderr, 3)}` : '';
  return `${fixed(estimate.value, 3)}${error}`;
}

function small(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return Math.abs(value) < 0.01 && value !== 0 ? value.toExponential(2) : value.toFixed(4);
}

/**
 * Two or more trained models side by side: likelihood, KL to the data, energy distance,
 * speed and sampling cost, and their samples. Computing costs GPU time, so it waits for a click.
 */
@customElement('ff-compare-cell')
export class FfCompareCell extends LitElement {
  static override styles = [cellStyles, compareCellStyles];

  @property({ attribute: false }) cell!: CompareCell;
  /** Every Train cell above this one that has a model and data. */
  @property({ attribute: false }) choices: CompareChoice[] = [];
  @property({ attribute: false }) comparison?: Comparison;
  /** Why the models cannot be compared now (too few trained, different data), or ''. */
  @property() blocked = '';
  /** The models trained further (or were reset) since the numbers shown were computed. */
  @property({ type: Boolean }) stale = false;

  private change(patch: Partial<Omit<CompareCell, 'id' | 'kind'>>): void {
    emit(this, 'ff-cell-change', { id: this.cell.id, patch });
  }

  private chosen(trainId: string): boolean {
    return this.cell.trainIds.length === 0 || this.cell.trainIds.includes(trainId);
  }

  private toggle(trainId: string, on: boolean): void {
    const next = this.choices
      .map((c) => c.trainId)
      .filter((id) => (id === trainId ? on : this.chosen(id)));
    // Every model ticked is stored as "all" (empty), so new Train cells join automatically.
    this.change({ trainIds: next.length === this.choices.length ? [] : next });
  }

  override render() {
    const cell = this.cell;
    const computing = this.comparison?.state === 'computing';
    const invalid =
      !!rangeError(cell.sampleCount, COMPARE_LIMITS.sampleCount) ||
      !!rangeError(cell.seed, COMPARE_LIMITS.seed);
    return html`${
        this.choices.length
          ? html`<fieldset>
              <legend>Models to compare</legend>
              ${this.choices.map(
                (choice) =>
                  html`<label class="inline"
                    ><input
                      type="checkbox"
                      .checked=${this.chosen(choice.trainId)}
                      @change=${(e: Event) =>
                        this.toggle(choice.trainId, (e.target as HTMLInputElement).checked)}
                    />${choice.label}</label
                  >`,
              )}
            </fieldset>`
          : nothing
      }
      <div class="row">
        ${numberField({
          id: 'sample-count',
          value: cell.sampleCount,
          range: COMPARE_LIMITS.sampleCount,
          tip: `Data samples for NLL and KL; model samples for the energy distance (its first ${ENERGY_POINTS}).`,
          onChange: (sampleCount) => this.change({ sampleCount }),
        })}
        ${numberField({
          id: 'compare-seed',
          value: cell.seed,
          range: COMPARE_LIMITS.seed,
          onChange: (seed) => this.change({ seed }),
        })}
        <button
          class="primary"
          ?disabled=${!!this.blocked || computing || invalid}
          @click=${() => emit(this, 'ff-compare', { id: cell.id })}
        >
          Compute
        </button>
      </div>
      <p class="hint" role="status">
        ${
          this.blocked ||
          (computing
            ? 'Computing: sampling every model and evaluating its density on the data…'
            : this.comparison?.state === 'done'
              ? this.stale
                ? 'The models changed since these numbers were measured: press Compute to update them.'
                : `Measured on ${cell.sampleCount} data samples.`
              : 'Press Compute to measure the models (it takes GPU time).')
        }
      </p>
      ${
        this.comparison?.state === 'failed'
          ? html`<p class="error" role="alert">${this.comparison.error}</p>`
          : nothing
      }
      ${this.comparison?.state === 'done' ? this.renderResult(this.comparison) : nothing}`;
  }

  /** One URL per model's grid picture, made once per comparison (picture.ts). */
  private readonly pictures = new PictureUrls(64);
  private gridUrls = new WeakMap<ImageCompareRow, { url: string; width: number; height: number }>();

  private gridOf(row: ImageCompareRow) {
    let picture = this.gridUrls.get(row);
    if (!picture) {
      const grid = sampleGrid(row.images);
      picture = {
        url: this.pictures.add(pngFromRgba(grid.rgba, grid.width, grid.height)),
        width: grid.width,
        height: grid.height,
      };
      this.gridUrls.set(row, picture);
    }
    return picture;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.pictures.dispose();
    this.gridUrls = new WeakMap();
  }

  /** Image models: held-out bits/dim (exact or ODE ± SE), Fréchet, NFE, parameters, a grid each. */
  private renderImageResult(rows: readonly ImageCompareRow[]) {
    return html`<div class="table-wrap" role="region" aria-label="Metrics table" tabindex="0">
        <table>
          <caption>
            Image metrics (lower is better)
          </caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Steps</th>
              <th
                scope="col"
                title="Held-out test images: exact for a flow, through the probability-flow ODE (± one standard error) for flow matching"
              >
                Held-out bits/dim
              </th>
              <th
                scope="col"
                title="Fréchet distance of samples to test images on a small classifier's features"
              >
                Fréchet
              </th>
              <th scope="col" title="Network evaluations per sample">NFE</th>
              <th scope="col">Parameters</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (row) =>
                html`<tr data-train-id=${row.trainId}>
                  <th scope="row">${row.label}</th>
                  <td>${row.steps}</td>
                  <td class="bits">${heldOutText(row)}</td>
                  <td class="frechet">
                    ${row.frechet ? row.frechet.distance.toPrecision(4) : '—'}
                  </td>
                  <td class="nfe">${row.nfe}</td>
                  <td class="params">${row.parameters.toLocaleString('en')}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">
        Held-out bits/dim: an image flow's exact likelihood of ${rows[0]?.heldOut?.count ?? 256}
        test images; flow matching's through the probability-flow ODE (a few images and Hutchinson
        probes, ± one standard error); none for a DDPM. Fréchet: ${rows[0]?.frechet?.count ?? 100}
        samples against as many test images on a small classifier's features.
      </p>
      <div class="views">
        ${rows.map((row) => {
          const grid = this.gridOf(row);
          return html`<figure>
            <figcaption>${row.label}</figcaption>
            <img
              class="sample-grid"
              src=${grid.url}
              width=${grid.width * 3}
              height=${grid.height * 3}
              alt=${`${row.images.count} images sampled from ${row.label}`}
            />
          </figure>`;
        })}
      </div>`;
  }

  private renderResult(comparison: Comparison) {
    if (comparison.images) return this.renderImageResult(comparison.images);
    const bounds = squareBounds(comparison.data);
    return html`<div class="table-wrap" role="region" aria-label="Metrics table" tabindex="0">
        <table>
          <caption>
            Metrics (lower is better except steps/s)
          </caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Steps</th>
              <th scope="col" title="−E_data[log p_model(x)]">NLL (nats)</th>
              <th scope="col">NLL (bits/dim)</th>
              <th scope="col" title="E_data[log p_data − log p_model]">KL(data‖model) (nats)</th>
              <th scope="col" title="2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖">Energy distance</th>
              <th scope="col">Steps/s</th>
              <th scope="col" title="Network evaluations per sample">NFE</th>
              <th scope="col">Parameters</th>
            </tr>
          </thead>
          <tbody>
            ${comparison.rows.map((row) => this.renderRow(row))}
          </tbody>
        </table>
      </div>
      ${comparison.klNote ? html`<p class="hint">${comparison.klNote}</p>` : nothing}
      <div class="views">
        ${comparison.rows.map(
          (row) =>
            html`<figure>
              <figcaption>${row.label}</figcaption>
              <ff-scatter
                label="Samples of ${row.label} over the data"
                .bounds=${bounds}
                .layers=${[
                  { label: 'data', color: PALETTE.data, points: comparison.data! },
                  { label: 'samples', color: PALETTE.samples, points: row.samples },
                ]}
              ></ff-scatter>
            </figure>`,
        )}
      </div>`;
  }

  private renderRow(row: CompareRow) {
    return html`<tr data-train-id=${row.trainId}>
      <th scope="row">${row.label}</th>
      <td>${row.steps}</td>
      <td class="nll">${withError(row.nll)}</td>
      <td class="bits">${fixed(row.bitsPerDim, 3)}</td>
      <td class="kl">${withError(row.kl)}</td>
      <td class="energy">${small(row.energy)}</td>
      <td>${fixed(row.stepsPerSecond, 1)}</td>
      <td class="nfe">${row.nfe ?? '—'}</td>
      <td class="params">${row.parameters.toLocaleString('en')}</td>
    </tr>`;
  }
}

/** "7.912 ± 0.044 (ODE)", "1.250 (exact)" or "—". */
function heldOutText(row: ImageCompareRow): string {
  const h = row.heldOut;
  if (!h) return '—';
  return h.ode
    ? `${h.bits.toFixed(3)} ± ${h.standardError.toFixed(3)} (ODE)`
    : `${h.bits.toFixed(3)} (exact)`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-compare-cell': FfCompareCell;
  }
}
