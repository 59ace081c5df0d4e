import { LitElement, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import {
  ACTIVATIONS,
  DIFFUSION_KINDS,
  FLOW_KINDS,
  LR_SCHEDULES,
  MODEL_LIMITS,
  NOISE_SCHEDULES,
  OPTIMIZERS,
  PREDICTIONS,
  TRAIN_LIMITS,
  familyOf,
  type ModelCell,
  type ModelKind,
  type ModelSettings,
  type NoiseSchedule,
  type PredictionTarget,
  type TrainSettings,
} from '../../notebook';
import { emit } from '../events';
import { numberField, selectField } from '../fields';
import { EXPLANATIONS, FLOWS_VS_DIFFUSION, TIPS } from '../learn/explanations';
import '../markdown/markdown';
import { cellStyles } from '../shared.styles';
import {
  pairingControls,
  pairingExplanation,
  type PairingChange,
  type TeacherOption,
} from './pairing';
import { modelCellStyles } from './model-cell.styles';

const SCHEDULE_NAMES: Record<NoiseSchedule, string> = {
  linear: 'Linear β',
  cosine: 'Cosine ᾱ',
};
const PREDICTION_NAMES: Record<PredictionTarget, string> = {
  eps: 'Noise ε',
  v: 'Velocity v',
};

const KIND_NAMES: Record<ModelKind, string> = {
  nice: 'NICE (additive coupling)',
  realnvp: 'RealNVP (affine coupling)',
  glow: 'Glow-style',
  spline: 'Neural spline flow',
  ddpm: 'DDPM (diffusion)',
  'flow-matching': 'Flow matching',
};

/** The model and how to train it: every limit shown as a message, never clamped. */
@customElement('ff-model-cell')
export class FfModelCell extends LitElement {
  static override styles = [cellStyles, modelCellStyles];

  @property({ attribute: false }) cell!: ModelCell;
  /** Flow-matching Model cells above this one, which can teach it by reflow (notebook order). */
  @property({ attribute: false }) teachers: readonly TeacherOption[] = [];
  /** Why this cell's reflow teacher cannot teach (shown under the pairing), or ''. */
  @property() teacherError = '';
  /** Why this model cannot learn its Data cell's data (an image set, before issue #16), or ''. */
  @property() dataProblem = '';

  private model(patch: Partial<ModelSettings>): void {
    const model = { ...this.cell.model, ...patch };
    if (patch.kind) model.family = familyOf(patch.kind);
    // Pairings are flow matching's: another kind drops them (a link would refuse them).
    if (model.kind !== 'flow-matching') {
      delete model.pairing;
      delete model.reflow;
    }
    emit(this, 'ff-cell-change', { id: this.cell.id, patch: { model } });
  }

  private pairing({ pairing, reflow }: PairingChange): void {
    const model: ModelSettings = { ...this.cell.model, pairing };
    if (reflow) model.reflow = reflow;
    else delete model.reflow;
    emit(this, 'ff-cell-change', { id: this.cell.id, patch: { model } });
  }

  private train(patch: Partial<TrainSettings>): void {
    emit(this, 'ff-cell-change', {
      id: this.cell.id,
      patch: { train: { ...this.cell.train, ...patch } },
    });
  }

  /** DDPM's own settings: T, the noise schedule and the prediction target. */
  private renderDdpm(model: ModelSettings) {
    return html`<h3>Diffusion</h3>
      <div class="row">
        ${numberField({ id: 'timesteps', value: model.timesteps, range: MODEL_LIMITS.timesteps, tip: TIPS.timesteps, onChange: (timesteps) => this.model({ timesteps }) })}
        ${selectField<NoiseSchedule>({ id: 'noiseSchedule', label: 'Noise schedule', value: model.noiseSchedule, choices: NOISE_SCHEDULES, names: SCHEDULE_NAMES, tip: TIPS.noiseSchedule, onChange: (noiseSchedule) => this.model({ noiseSchedule }) })}
        ${selectField<PredictionTarget>({ id: 'prediction', label: 'Prediction', value: model.prediction, choices: PREDICTIONS, names: PREDICTION_NAMES, tip: TIPS.prediction, onChange: (prediction) => this.model({ prediction }) })}
      </div>`;
  }

  override render() {
    const { model, train } = this.cell;
    const diffusion = model.family === 'diffusion';
    return html`${
        this.dataProblem
          ? html`<p class="note data-problem" role="status">${this.dataProblem}</p>`
          : nothing
      }
      <div class="row">
        ${selectField<ModelKind>({
          id: 'kind',
          label: 'Model',
          value: model.kind,
          choices: [...FLOW_KINDS, ...DIFFUSION_KINDS],
          names: KIND_NAMES,
          tip: TIPS.kind,
          onChange: (kind) => this.model({ kind }),
        })}
        ${
          diffusion
            ? nothing
            : numberField({
                id: 'layers',
                value: model.layers,
                range: MODEL_LIMITS.layers,
                tip: TIPS.layers,
                onChange: (layers) => this.model({ layers }),
              })
        }
        ${numberField({ id: 'hidden', value: model.hidden, range: MODEL_LIMITS.hidden, tip: TIPS.hidden, onChange: (hidden) => this.model({ hidden }) })}
        ${numberField({ id: 'hiddenLayers', value: model.hiddenLayers, range: MODEL_LIMITS.hiddenLayers, tip: diffusion ? TIPS.diffusionLayers : TIPS.hiddenLayers, onChange: (hiddenLayers) => this.model({ hiddenLayers }) })}
        ${selectField({ id: 'activation', label: 'Activation', value: model.activation, choices: ACTIVATIONS, tip: TIPS.activation, onChange: (activation) => this.model({ activation }) })}
        ${numberField({ id: 'seed', value: model.seed, range: MODEL_LIMITS.seed, tip: TIPS.seed, onChange: (seed) => this.model({ seed }) })}
      </div>
      ${model.kind === 'ddpm' ? this.renderDdpm(model) : nothing}
      ${
        model.kind === 'flow-matching'
          ? pairingControls({
              model,
              train,
              teachers: this.teachers,
              teacherError: this.teacherError,
              onChange: (change) => this.pairing(change),
            })
          : nothing
      }
      <h3>Training</h3>
      <div class="row">
        ${selectField({ id: 'optimizer', label: 'Optimizer', value: train.optimizer, choices: OPTIMIZERS, onChange: (optimizer) => this.train({ optimizer }) })}
        ${numberField({ id: 'learningRate', value: train.learningRate, range: TRAIN_LIMITS.learningRate, tip: TIPS.learningRate, onChange: (learningRate) => this.train({ learningRate }) })}
        ${selectField({ id: 'schedule', label: 'LR schedule', value: train.schedule, choices: LR_SCHEDULES, onChange: (schedule) => this.train({ schedule }) })}
        ${numberField({ id: 'batch', value: train.batch, range: TRAIN_LIMITS.batch, tip: TIPS.batch, onChange: (batch) => this.train({ batch }) })}
        ${numberField({ id: 'steps', value: train.steps, range: TRAIN_LIMITS.steps, tip: TIPS.steps, onChange: (steps) => this.train({ steps }) })}
      </div>
      <details class="learn">
        <summary>How ${KIND_NAMES[model.kind]} works</summary>
        <ff-markdown .source=${EXPLANATIONS[model.kind]}></ff-markdown>
      </details>
      ${model.kind === 'flow-matching' ? pairingExplanation() : nothing}
      <details class="learn">
        <summary>Flows vs diffusion</summary>
        <ff-markdown .source=${FLOWS_VS_DIFFUSION}></ff-markdown>
      </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-model-cell': FfModelCell;
  }
}
