import { LitElement, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { SMOOTHING_LIMITS, TRAIN_LIMITS, type TrainCell } from '../../notebook';
import type { RunView } from '../controllers/lab-controller';
import { IDLE_RUN } from '../controllers/lab-controller';
import { emit, type TrainCommand } from '../events';
import { numberField } from '../fields';
import '../loss-plot/loss-plot';
import { cellStyles } from '../shared.styles';
import { trainCellStyles } from './train-cell.styles';

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** Speed caps offered, steps per second ('' = as fast as the GPU goes). */
export const SPEEDS = ['', '200', '50', '10', '2'] as const;

/** The banner a run's notice deserves: what happened, in one line, and what to do. */
function noticeBanner(run: RunView) {
  if (!run.error) return nothing;
  const step = run.checkpointStep ?? run.step;
  if (run.noticeKind === 'non-finite-loss') {
    return html`<div class="banner" role="alert">
      <strong
        >The loss became NaN: rolled back to step ${step}; try a smaller learning rate.</strong
      >
      <details>
        <summary>Details</summary>
        ${run.error}
      </details>
    </div>`;
  }
  if (run.noticeKind === 'device-recovered') {
    return html`<div class="banner info" role="alert">
      <strong>GPU device was lost; recovered from the checkpoint at step ${step}.</strong>
      <details>
        <summary>Details</summary>
        ${run.error}
      </details>
    </div>`;
  }
  return html`<div class="banner" role="alert">
    <strong>Training stopped.</strong> ${run.error}
  </div>`;
}

/** How the status line names a run state (the others: 'Trained'). */
const STATE_WORDS: Partial<Record<RunView['state'], string>> = {
  running: 'Training',
  recovering: 'Recovering the GPU',
  paused: 'Paused',
  failed: 'Failed',
};

/** Play/pause/step/reset, the loss curve and throughput of the model above it. */
/** What the app learned by comparing a replayed training with the link's parameter hash. */
/** "Compiling…" with a bar of compiled / requested kernels once the GPU side has told. */
function compileStatus(run: RunView) {
  if (!run.compile) return 'Compiling the model’s kernels…';
  const { compiled, expected } = run.compile;
  return html`Compiling the model’s kernels: ${compiled} of ${expected}
    <progress
      class="compile"
      max=${expected}
      .value=${compiled}
      aria-label="Kernels compiled"
    ></progress>`;
}

export interface TrainReplay {
  state: 'identical' | 'diverged' | 'checking';
  message: string;
}

@customElement('ff-train-cell')
export class FfTrainCell extends LitElement {
  static override styles = [cellStyles, trainCellStyles];

  @property({ attribute: false }) cell!: TrainCell;
  @property({ attribute: false }) run: RunView = IDLE_RUN;
  /** Why training cannot start (bad settings, missing cells), shown instead of running. */
  @property() blocked = '';
  /** The Model cell's batch size (changing it also applies to a run in progress). */
  @property({ type: Number }) batch = TRAIN_LIMITS.batch.min;
  /** Speed cap in steps per second; undefined: as fast as the GPU goes. */
  @property({ attribute: false }) speed: number | undefined;
  /** Exact-replay verdict of a settings-only link's training (undefined: nothing to check). */
  @property({ attribute: false }) replay: TrainReplay | undefined;

  private command(command: TrainCommand): void {
    emit(this, 'ff-train-command', { id: this.cell.id, command });
  }

  /** An image model's latest held-out bits/dim (the dots on the loss plot), if any. */
  private renderHeldOut() {
    const last = this.run.heldOut?.at(-1);
    if (!last) return nothing;
    const ode = last.ode;
    if (ode) {
      return html`<p class="hint" id="held-out">
        Held-out bits/dim through the probability-flow ODE (test split, first ${last.count} images,
        ${ode.probes} Hutchinson probes each, ${ode.sampler} ${ode.steps} steps: a cheap estimate,
        the orange dots ± one standard error):
        <output>${last.bits.toFixed(3)} ± ${last.standardError.toFixed(3)}</output> at step
        ${last.step}.
      </p>`;
    }
    return html`<p class="hint" id="held-out">
      Held-out bits/dim (test split, first ${last.count} images, the orange dots):
      <output>${last.bits.toFixed(3)}</output> at step ${last.step}.
    </p>`;
  }

  override render() {
    const run = this.run;
    // The worker's state as it reports it: 'recovering' (a lost device being replaced) is busy.
    const busy = ['running', 'recovering', 'preparing'].includes(run.state);
    const lastLoss = run.losses.last;
    return html`<div class="controls" role="toolbar" aria-label="Training controls">
        ${
          busy
            ? html`<button
                class="primary"
                @click=${() => this.command('pause')}
                ?disabled=${run.state !== 'running'}
              >
                Pause
              </button>`
            : html`<button
                class="primary"
                @click=${() => this.command('play')}
                ?disabled=${!!this.blocked}
              >
                ${run.state === 'paused' ? 'Resume' : 'Train'}
              </button>`
        }
        <button @click=${() => this.command('step')} ?disabled=${busy || !!this.blocked}>
          Step
        </button>
        <button @click=${() => this.command('reset')} ?disabled=${run.state === 'idle'}>
          Reset
        </button>
      </div>
      <div class="row">
        ${numberField({
          id: 'batch',
          value: this.batch,
          range: TRAIN_LIMITS.batch,
          tip: 'Points per training step; a change applies from the next chunk, also while training.',
          onChange: (batch) => emit(this, 'ff-batch-size', { id: this.cell.id, batch }),
        })}
        <label for="speed"
          >Speed
          <select
            id="speed"
            @change=${(e: Event) => {
              const value = (e.target as HTMLSelectElement).value;
              emit(this, 'ff-speed', {
                id: this.cell.id,
                stepsPerSecond: value === '' ? null : Number(value),
              });
            }}
          >
            ${SPEEDS.map(
              (speed) =>
                html`<option
                  value=${speed}
                  ?selected=${speed === '' ? this.speed === undefined : Number(speed) === this.speed}
                >
                  ${speed === '' ? 'Max' : `${speed} steps/s`}
                </option>`,
            )}
          </select>
        </label>
      </div>
      ${this.blocked ? html`<p class="error" role="alert">${this.blocked}</p>` : nothing}
      ${noticeBanner(run)}
      ${
        this.replay
          ? html`<p class="replay" data-state=${this.replay.state} role="status">
              ${this.replay.message}
            </p>`
          : nothing
      }
      <p role="status" class="hint">
        ${
          run.state === 'idle'
            ? 'Not trained yet.'
            : run.state === 'preparing'
              ? compileStatus(run)
              : `${STATE_WORDS[run.state] ?? 'Trained'}: step ${run.step} of ${run.totalSteps}.`
        }
      </p>
      <dl>
        <div>
          <dt>Loss</dt>
          <dd class="loss">${fmt(lastLoss, 4)}</dd>
        </div>
        <div>
          <dt>Steps/s</dt>
          <dd>${fmt(run.stepsPerSecond)}</dd>
        </div>
        <div>
          <dt>Samples/s</dt>
          <dd>${fmt(run.samplesPerSecond, 0)}</dd>
        </div>
        <div>
          <dt>GPU ms/step</dt>
          <dd>${fmt(run.gpuMsPerStep, 2)}</dd>
        </div>
        <div>
          <dt>Dispatches/step</dt>
          <dd class="dispatches">${fmt(run.dispatchesPerStep, 0)}</dd>
        </div>
        <div>
          <dt>Batch in use</dt>
          <dd>${fmt(run.batch, 0)}</dd>
        </div>
        <div>
          <dt>Learning rate</dt>
          <dd>${run.learningRate ? run.learningRate.toExponential(1) : '—'}</dd>
        </div>
      </dl>
      <ff-loss-plot
        .losses=${run.losses}
        .heldOut=${run.heldOut ?? []}
        .revision=${run.losses.revision}
        .smoothing=${this.cell.smoothing}
        ?log-scale=${this.cell.logScale}
      ></ff-loss-plot>
      ${this.renderHeldOut()}
      <div class="row">
        <label for="smoothing"
          >Smoothing ${this.cell.smoothing.toFixed(2)}
          <input
            id="smoothing"
            type="range"
            min=${SMOOTHING_LIMITS.min}
            max=${SMOOTHING_LIMITS.max}
            step="0.01"
            .value=${String(this.cell.smoothing)}
            @input=${(e: Event) =>
              emit(this, 'ff-cell-change', {
                id: this.cell.id,
                patch: { smoothing: Number((e.target as HTMLInputElement).value) },
              })}
          />
        </label>
        <label class="inline"
          ><input
            type="checkbox"
            .checked=${this.cell.logScale}
            @change=${(e: Event) =>
              emit(this, 'ff-cell-change', {
                id: this.cell.id,
                patch: { logScale: (e.target as HTMLInputElement).checked },
              })}
          />Log scale</label
        >
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-train-cell': FfTrainCell;
  }
}
