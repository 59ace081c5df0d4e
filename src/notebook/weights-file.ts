/**
 * Files → Open weights: a .safetensors file in the layout `modelSafetensors` (and
 * python/flowfield_torch's train.py) writes, matched to the Train cell whose Model cell it fits.
 * Pure: it reads bytes and the notebook and either returns the weights for one Train cell or
 * throws a NotebookError('weights') saying what was expected and what was received, so a
 * mismatch changes nothing.
 */
import { NotebookError, describeValue } from './errors';
import { readSafetensors } from './safetensors';
import { trainInputs } from './links';
import type { ModelSettings, Notebook } from './schema';
import type { ModelWeights } from './weights';

/**
 * Settings that fix the parameter layout or what the parameters mean: weights move between
 * Model cells that agree on all of them (the seed and training settings may differ).
 */
const MATCHED_SETTINGS = [
  'family',
  'kind',
  'layers',
  'hidden',
  'hiddenLayers',
  'activation',
  'timesteps',
  'noiseSchedule',
  'prediction',
] as const satisfies readonly (keyof ModelSettings)[];

/** The tensor holding the flat parameters in the worker's exportParams order. */
export const PARAMS_TENSOR = 'params';

function refuse(path: string, message: string): never {
  throw new NotebookError('weights', path, message);
}

/** "model.hidden: expected 32, received 64; …" for the matched settings that differ. */
export function settingsDifferences(expected: ModelSettings, received: ModelSettings): string[] {
  const family = expected.family;
  return MATCHED_SETTINGS.filter((key) => {
    // Diffusion-only settings do not matter between flows.
    if (family === 'flow' && ['timesteps', 'noiseSchedule', 'prediction'].includes(key))
      return false;
    if (key === 'layers' && family === 'diffusion') return false;
    return expected[key] !== received[key];
  }).map(
    (key) =>
      `model.${key}: expected ${JSON.stringify(expected[key])}, received ${JSON.stringify(received[key])}`,
  );
}

function fileSettings(metadata: Record<string, string>): ModelSettings {
  const text = metadata['flowfield.model'];
  if (text === undefined) {
    refuse(
      '__metadata__.flowfield.model',
      'This .safetensors file has no "flowfield.model" metadata: expected weights written by ' +
        'Flowfield (Files → Weights of …) or by an exported PyTorch project (train.py), which say ' +
        'which model they belong to.',
    );
  }
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch {
    refuse('__metadata__.flowfield.model', 'Its "flowfield.model" metadata is not JSON.');
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    refuse(
      '__metadata__.flowfield.model',
      `Its "flowfield.model" metadata should be the model settings object, received ${describeValue(settings)}.`,
    );
  }
  return settings as ModelSettings;
}

function normalization(metadata: Record<string, string>): ModelWeights['normalization'] {
  const identity: ModelWeights['normalization'] = { shift: [0, 0], scale: [1, 1] };
  const text = metadata['flowfield.normalization'];
  if (text === undefined) return identity;
  const pairOf = (value: unknown, positive: boolean): value is [number, number] =>
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  let n: { shift?: unknown; scale?: unknown } | undefined;
  try {
    n = JSON.parse(text) as typeof n;
  } catch {
    n = undefined;
  }
  if (!n || !pairOf(n.shift, false) || !pairOf(n.scale, true)) {
    refuse(
      '__metadata__.flowfield.normalization',
      `Its "flowfield.normalization" metadata should be {"shift": [a, b], "scale": [c, d]} with ` +
        `positive scales, received ${describeValue(text)}.`,
    );
  }
  return { shift: [n.shift[0], n.shift[1]], scale: [n.scale[0], n.scale[1]] };
}

export interface WeightsTarget {
  /** Only Train cells under this Model cell (a file dropped on it). */
  modelId?: string;
  /** The parameter count of a Train cell's model, when the caller knows it: checks the shape. */
  parameterCount?: (trainId: string) => number | undefined;
}

/**
 * The weights in `bytes` for the Train cell they fit: the one named in the file's metadata when
 * its Model cell matches, else the first Train cell whose Model cell matches.
 */
export function weightsForNotebook(
  bytes: Uint8Array,
  notebook: Notebook,
  { modelId, parameterCount }: WeightsTarget = {},
): ModelWeights {
  const { tensors, metadata } = readSafetensors(bytes);
  const settings = fileSettings(metadata);
  const trainIds = notebook.cells.filter((c) => c.kind === 'train').map((c) => c.id);
  const candidates = trainIds.flatMap((id) => {
    const model = trainInputs(notebook, id).model;
    return model && (modelId === undefined || model.id === modelId)
      ? [{ id, model: model.model, modelId: model.id }]
      : [];
  });
  if (candidates.length === 0) {
    refuse(
      '',
      `This notebook has no Train cell under ${modelId ? `Model cell ${modelId}` : 'a Model cell'} to load weights into: add ` +
        `a Model cell (${settings.kind ?? 'the model'} of the file) and a Train cell, then open the weights again.`,
    );
  }
  const fitting = candidates.filter((c) => settingsDifferences(c.model, settings).length === 0);
  const named = fitting.find((c) => c.id === metadata['flowfield.trainId']);
  const target = named ?? fitting[0];
  if (!target) {
    const nearest = candidates.find((c) => c.model.kind === settings.kind) ?? candidates[0]!;
    refuse(
      '__metadata__.flowfield.model',
      `These weights are for another model than Model cell ${nearest.modelId}: ` +
        `${settingsDifferences(nearest.model, settings).join('; ')}. Open them in a notebook ` +
        'whose Model cell has these settings, or change the Model cell to match.',
    );
  }
  const tensor = tensors[PARAMS_TENSOR];
  const count = parameterCount?.(target.id);
  const expectedShape = count === undefined ? '[number of parameters]' : `[${count}]`;
  if (!tensor) {
    const names = Object.keys(tensors);
    refuse(
      PARAMS_TENSOR,
      `Tensor "${PARAMS_TENSOR}" is missing: expected one F32 tensor "${PARAMS_TENSOR}" of shape ` +
        `${expectedShape} for Train cell ${target.id}, received ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'no tensors'}.`,
    );
  }
  if (tensor.shape.length !== 1 || (count !== undefined && tensor.shape[0] !== count)) {
    refuse(
      PARAMS_TENSOR,
      `Tensor "${PARAMS_TENSOR}" has shape [${tensor.shape.join(', ')}]; Model cell ` +
        `${target.modelId} expects ${expectedShape}.`,
    );
  }
  if (!tensor.data.every(Number.isFinite)) {
    refuse(PARAMS_TENSOR, `Tensor "${PARAMS_TENSOR}" holds NaN or infinite values.`);
  }
  const steps = Number(metadata['flowfield.steps'] ?? '0');
  return {
    trainId: target.id,
    steps: Number.isSafeInteger(steps) && steps >= 0 ? steps : 0,
    params: tensor.data,
    normalization: normalization(metadata),
  };
}
