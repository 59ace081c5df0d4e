/**
 * Which models a Compare cell compares, and the comparison itself: samples and log-densities
 * from the GPU side, turned into metrics on the page. The LabController runs it; the Compare
 * cell only shows the result.
 */
import {
  createCell,
  describeImageSource,
  isImageSource,
  trainInputs,
  viewSource,
  type CompareCell,
  type DataCell,
  type ModelCell,
  type Notebook,
  type ViewCell,
} from '../../notebook';
import type { LabClient, SamplerChoice } from '../controllers/lab-client';
import { samplerChoice } from '../view-cell/samplers';
import {
  energyDistance,
  klDataModel,
  NATS_TO_BITS_PER_DIM,
  nll,
  samplingNfe,
  type Estimate,
} from './metrics';
import { errorMessage } from '../error-message';
import { computeImageRows, type ImageCompareRow } from './image-comparison';

export interface CompareCandidate {
  trainId: string;
  /** "realnvp · Train 4": the model kind and the Train cell's heading. */
  label: string;
  model: ModelCell;
  data: DataCell;
}

/** The run facts a comparison needs (a subset of the controller's RunView). */
export interface TrainedRun {
  state: string;
  step: number;
  stepsPerSecond: number;
  key?: string;
}

export interface CompareRow {
  trainId: string;
  label: string;
  steps: number;
  /** −E_data[log p_model], nats. */
  nll: Estimate;
  bitsPerDim: number;
  /** KL(data ‖ model), nats; absent where the data density is not known. */
  kl?: Estimate;
  /** Squared energy distance between model samples and data samples. */
  energy: number;
  stepsPerSecond: number;
  /** Network evaluations per sample with the sampler the model was compared with. */
  nfe: number;
  parameters: number;
  samples: Float32Array;
}

export interface Comparison {
  state: 'computing' | 'done' | 'failed';
  rows: CompareRow[];
  /** The data samples every model was measured on. */
  data?: Float32Array;
  /** Why KL is missing (the data density is not known), if it is. */
  klNote?: string;
  /** Image models (an image Data cell): their own rows, and `rows` stays empty. */
  images?: ImageCompareRow[];
  error?: string;
}

/** The key the LabController gives a run created from these cells (stale when it differs). */
export function runKey(candidate: CompareCandidate): string {
  return JSON.stringify({ data: candidate.data.source, model: candidate.model.model });
}

/** Every Train cell above the Compare cell that has a Model and a Data cell above it. */
export function compareCandidates(notebook: Notebook, compareId: string): CompareCandidate[] {
  const index = notebook.cells.findIndex((cell) => cell.id === compareId);
  const out: CompareCandidate[] = [];
  notebook.cells.slice(0, Math.max(0, index)).forEach((cell, i) => {
    if (cell.kind !== 'train') return;
    const { model, data } = trainInputs(notebook, cell.id);
    if (model && data) {
      out.push({ trainId: cell.id, label: `${model.model.kind} · Train ${i + 1}`, model, data });
    }
  });
  return out;
}

function describeSource(data: DataCell): string {
  const source = data.source;
  if (source.kind === 'builtin') return source.name;
  if (isImageSource(source)) return describeImageSource(source);
  return source.kind === 'grid' ? 'a drawing' : 'points';
}

/** What to compare now, or a message that says why nothing can be compared and what to do. */
export function comparePlan(
  notebook: Notebook,
  cell: CompareCell,
  run: (trainId: string) => TrainedRun,
): { targets: CompareCandidate[]; untrained: string[] } | { error: string } {
  const candidates = compareCandidates(notebook, cell.id);
  const chosen = cell.trainIds.length
    ? candidates.filter((c) => cell.trainIds.includes(c.trainId))
    : candidates;
  if (chosen.length < 2) {
    return {
      error:
        `Compare needs two or more models: add Model and Train cells above this cell` +
        (cell.trainIds.length ? ' or tick more of them below' : '') +
        ` (found ${chosen.length}).`,
    };
  }
  const trained = (c: CompareCandidate) => {
    const r = run(c.trainId);
    return r.step > 0 && r.state !== 'running' && r.state !== 'preparing' && r.key === runKey(c);
  };
  const targets = chosen.filter(trained);
  const untrained = chosen.filter((c) => !trained(c)).map((c) => c.label);
  if (targets.length < 2) {
    return {
      error:
        `Train at least two of these models first: ${targets.length} of ${chosen.length} ` +
        `trained with their current settings` +
        (untrained.length ? ` (not trained: ${untrained.join(', ')}).` : '.'),
    };
  }
  const first = JSON.stringify(targets[0]!.data.source);
  const other = targets.find((t) => JSON.stringify(t.data.source) !== first);
  if (other) {
    return {
      error:
        `These models were trained on different data (${targets[0]!.label}: ` +
        `${describeSource(targets[0]!.data)}; ${other.label}: ${describeSource(other.data)}). ` +
        'Compare models of the same Data cell, or untick the others.',
    };
  }
  return { targets, untrained };
}

/**
 * The sampler a model is compared with: that of the first View cell showing it (what the user
 * sees), else a fresh View cell's default; undefined for flows (one inverse pass).
 */
function samplerOf(notebook: Notebook, target: CompareCandidate): SamplerChoice | undefined {
  const view =
    notebook.cells.find(
      (cell): cell is ViewCell =>
        cell.kind === 'view' && viewSource(notebook, cell.id)?.id === target.trainId,
    ) ?? (createCell('view', 'default') as ViewCell);
  return samplerChoice(view, target.model.model.kind);
}

type CompareClient = Pick<
  LabClient,
  | 'sampleData'
  | 'dataLogProb'
  | 'modelLogProb'
  | 'sampleModel'
  | 'parameterCount'
  | 'sampleImages'
  | 'heldOutBits'
  | 'frechet'
>;

/**
 * Measures every target on the same data samples (the cell's count and seed): NLL and KL from
 * log-densities at the data samples, energy distance from as many model samples.
 */
export async function computeComparison(
  client: CompareClient,
  notebook: Notebook,
  cell: CompareCell,
  targets: readonly CompareCandidate[],
  run: (trainId: string) => TrainedRun,
): Promise<Comparison> {
  if (isImageSource(targets[0]!.data.source)) {
    const images = await computeImageRows(client, notebook, targets, (id) => run(id).step);
    return { state: 'done', rows: [], images };
  }
  if (!client.modelLogProb || !client.parameterCount || !client.dataLogProb) {
    throw new Error(
      'This GPU client cannot compute log-densities, so the models cannot be compared.',
    );
  }
  const source = targets[0]!.data.source;
  const data = await client.sampleData(source, cell.sampleCount, cell.seed);
  let dataLogProb: Float32Array | undefined;
  let klNote: string | undefined;
  try {
    dataLogProb = await client.dataLogProb(source, data);
  } catch (error) {
    klNote = `KL needs the exact data density, which ${describeSource(targets[0]!.data)} does not have (${errorMessage(error)}).`;
  }
  const rows: CompareRow[] = [];
  for (const target of targets) {
    const modelLogProb = await client.modelLogProb(target.trainId, data);
    // A different seed from the data's, so model and data samples are independent.
    const sampler = samplerOf(notebook, target);
    const samples = await client.sampleModel(
      target.trainId,
      cell.sampleCount,
      (cell.seed + 1) >>> 0,
      sampler,
    );
    const estimate = nll(modelLogProb);
    const facts = run(target.trainId);
    rows.push({
      trainId: target.trainId,
      label: target.label,
      steps: facts.step,
      nll: estimate,
      bitsPerDim: estimate.value * NATS_TO_BITS_PER_DIM,
      ...(dataLogProb ? { kl: klDataModel(dataLogProb, modelLogProb) } : {}),
      energy: energyDistance(samples, data),
      stepsPerSecond: facts.stepsPerSecond,
      nfe: sampler ? samplingNfe(target.model.model, sampler.sampler, sampler.steps) : 1,
      parameters: await client.parameterCount(target.trainId),
      samples,
    });
  }
  return { state: 'done', rows, data, ...(klNote ? { klNote } : {}) };
}
