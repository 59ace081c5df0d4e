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
  IMAGE_MODEL_KINDS,
  IMAGE_MODEL_KINDS_INFO,
  IMAGE_TRAIN_DEFAULTS,
  defaultImageModel,
  familyOf,
  imageModelErrors,
  type ImageModelKind,
  type ImageModelOption,
  type ImageShape,
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
import { conditioningControls } from './conditioning';

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

/** The Model select's value of an image kind ('image:nice'), apart from the 2-D kind of a name. */
type KindChoice = ModelKind | `image:${ImageModelKind}`;
const imageChoice = (kind: ImageModelKind): KindChoice => `image:${kind}`;
const CHOICE_NAMES: Partial<Record<KindChoice, string>> = { ...KIND_NAMES };
for (const kind of IMAGE_MODEL_KINDS) {
  CHOICE_NAMES[imageChoice(kind)] = IMAGE_MODEL_KINDS_INFO[kind].name;
}

/** The model and how to train it: every limit shown as a message, never clamped. */
@customElement('ff-model-cell')
export class FfModelCell extends LitElement {
  static override styles = [cellStyles, modelCellStyles];

  @property({ attribute: false }) cell!: ModelCell;
  /** Flow-matching Model cells above this one, which can teach it by reflow (notebook order). */
  @property({ attribute: false }) teachers: readonly TeacherOption[] = [];
  /** Why this cell's reflow teacher cannot teach (shown under the pairing), or ''. */
  @property() teacherError = '';
  /** Why this model cannot learn its Data cell's data (a 2-D model on images, or back), or ''. */
  @property() dataProblem = '';
  /**
   * [channels, height, width] of the Data cell's image set; undefined for 2-D data. With it the
   * Model select offers the image kinds, with defaults sized for these images.
   */
  @property({ attribute: false }) imageShape: ImageShape | undefined;
  /** The label count of the Data cell's image set (0: unlabelled or 2-D): what a conditional model learns. */
  @property({ attribute: false }) imageClasses = 0;

  /** The Model select: a 2-D kind, or an image kind (with options sized for the images). */
  private chooseKind(choice: KindChoice): void {
    if (!choice.startsWith('image:')) {
      this.model({ kind: choice as ModelKind });
      return;
    }
    const kind = choice.slice('image:'.length) as ImageModelKind;
    // Without an image set above (an image model kept over points), size it for MNIST 14×14.
    const image = defaultImageModel(kind, this.imageShape ?? [1, 14, 14]);
    const patch: { model: ModelSettings; train?: TrainSettings } = {
      model: { ...this.cell.model, image },
    };
    // A 2-D model's batches (hundreds of points) are too big for images: start from image ones.
    if (!this.cell.model.image) patch.train = { ...IMAGE_TRAIN_DEFAULTS };
    emit(this, 'ff-cell-change', { id: this.cell.id, patch });
  }

  /**
   * The image model as last emitted, until the cell comes back with it: two option changes
   * within one frame (before the notebook re-renders this cell) must not undo each other.
   */
  private pendingImage: ModelSettings['image'];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('cell')) this.pendingImage = undefined;
  }

  private imageOption(key: string, value: number | string): void {
    const image = this.pendingImage ?? this.cell.model.image!;
    this.imageOptions({ ...image.options, [key]: value });
  }

  /** Emits the image model with these options (kept as pending until the cell comes back). */
  private imageOptions(options: NonNullable<ModelSettings['image']>['options']): void {
    const image = this.pendingImage ?? this.cell.model.image!;
    this.pendingImage = { ...image, options };
    const model = { ...this.cell.model, image: this.pendingImage };
    emit(this, 'ff-cell-change', { id: this.cell.id, patch: { model } });
  }

  private renderImageOption(option: ImageModelOption, value: number | string) {
    if (option.type === 'number') {
      return numberField({
        id: option.key,
        value: value as number,
        range: option.range,
        tip: option.tip,
        onChange: (next) => this.imageOption(option.key, next),
      });
    }
    return selectField<string>({
      id: option.key,
      label: option.label,
      value: value as string,
      choices: option.choices,
      names: option.names,
      tip: option.tip,
      onChange: (next) => this.imageOption(option.key, next),
    });
  }

  /** The kind choices: the 2-D kinds, and the image kinds where there are images (or one is held). */
  private kindChoices(): KindChoice[] {
    const choices: KindChoice[] = [...FLOW_KINDS, ...DIFFUSION_KINDS];
    if (!this.imageShape && !this.cell.model.image) return choices;
    return [...IMAGE_MODEL_KINDS.map(imageChoice), ...choices];
  }

  private model(patch: Partial<ModelSettings>): void {
    const model = { ...this.cell.model, ...patch };
    if (patch.kind) {
      model.family = familyOf(patch.kind);
      // A 2-D kind chosen: the cell's model is the 2-D one again.
      delete model.image;
    }
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

  private renderTraining() {
    const { train } = this.cell;
    return html`<h3>Training</h3>
      <div class="row">
        ${selectField({ id: 'optimizer', label: 'Optimizer', value: train.optimizer, choices: OPTIMIZERS, onChange: (optimizer) => this.train({ optimizer }) })}
        ${numberField({ id: 'learningRate', value: train.learningRate, range: TRAIN_LIMITS.learningRate, tip: TIPS.learningRate, onChange: (learningRate) => this.train({ learningRate }) })}
        ${selectField({ id: 'schedule', label: 'LR schedule', value: train.schedule, choices: LR_SCHEDULES, onChange: (schedule) => this.train({ schedule }) })}
        ${numberField({ id: 'batch', value: train.batch, range: TRAIN_LIMITS.batch, tip: TIPS.batch, onChange: (batch) => this.train({ batch }) })}
        ${numberField({ id: 'steps', value: train.steps, range: TRAIN_LIMITS.steps, tip: TIPS.steps, onChange: (steps) => this.train({ steps }) })}
      </div>`;
  }

  /** The cell's message about its data (a 2-D model on images, or back), if any. */
  private renderDataProblem() {
    return this.dataProblem
      ? html`<p class="note data-problem" role="status">${this.dataProblem}</p>`
      : nothing;
  }

  /** An image Model cell: the image kind's options, training, and how the kind works. */
  private renderImage() {
    const kind = this.cell.model.image!.kind;
    return html`${this.renderDataProblem()} ${this.renderImageModel()} ${this.renderTraining()}
      <details class="learn">
        <summary>How ${KIND_NAMES[kind]} works</summary>
        <ff-markdown .source=${EXPLANATIONS[kind]}></ff-markdown>
      </details>`;
  }

  private kindSelect() {
    const image = this.cell.model.image;
    return selectField<KindChoice>({
      id: 'kind',
      label: 'Model',
      value: image ? imageChoice(image.kind) : this.cell.model.kind,
      choices: this.kindChoices(),
      names: CHOICE_NAMES,
      tip: TIPS.kind,
      onChange: (choice) => this.chooseKind(choice),
    });
  }

  /** An image model: its kind's options, the seed, and why it cannot model these images. */
  private renderImageModel() {
    const image = this.cell.model.image!;
    const info = IMAGE_MODEL_KINDS_INFO[image.kind];
    const shapeProblem = this.imageShape ? imageModelErrors(image, this.imageShape)['shape'] : '';
    return html`<div class="row">
        ${this.kindSelect()}
        ${info.options
          .filter((option) => option.type !== 'number' || !option.optional)
          .map((option) => this.renderImageOption(option, image.options[option.key]!))}
        ${conditioningControls(image, this.imageClasses, (options) => this.imageOptions(options))}
        ${numberField({ id: 'seed', value: this.cell.model.seed, range: MODEL_LIMITS.seed, tip: TIPS.seed, onChange: (seed) => this.model({ seed }) })}
      </div>
      ${
        shapeProblem
          ? html`<p class="error image-problem" role="alert">${shapeProblem}</p>`
          : nothing
      }`;
  }

  override render() {
    const { model, train } = this.cell;
    if (model.image) return this.renderImage();
    const diffusion = model.family === 'diffusion';
    return html`${this.renderDataProblem()}
      <div class="row">
        ${this.kindSelect()}
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
      ${this.renderTraining()}
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
