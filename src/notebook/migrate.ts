/**
 * Upgrades a notebook of any older version to the current one (see the version history in
 * schema.ts). Each step is a pure function of the previous version's JSON; nothing is validated
 * here beyond what a step needs: parseNotebook validates the result.
 */
import { createCell } from './cells';
import { NotebookError, describeValue } from './errors';
import { NOTEBOOK_VERSION, type ModelCell, type ViewCell } from './schema';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const READS = `this app reads notebook versions 1 to ${NOTEBOOK_VERSION}`;

/**
 * Version 1 → 2: model cells gain noise schedule and prediction, view cells gain overlay, sampler,
 * sampler steps and scrubber position, all at the defaults of new cells. Version 1 allowed
 * T from 2, but the library never trained T < 10 (it refused at the start of training), so such
 * a T becomes 10: the notebook opens and trains instead of failing validation.
 */
function v1ToV2(doc: Json): Json {
  const model = (createCell('model', 'defaults') as ModelCell).model;
  const view = createCell('view', 'defaults') as ViewCell;
  const cells = Array.isArray(doc['cells'])
    ? doc['cells'].map((cell: unknown, index) => {
        if (!isObject(cell)) return cell;
        if (cell['kind'] === 'compare') {
          throw new NotebookError(
            'schema',
            `cells[${index}].kind`,
            `cells[${index}].kind: Compare cells exist from notebook version 2 on, but this notebook says it is version 1.`,
          );
        }
        if (cell['kind'] === 'model' && isObject(cell['model'])) {
          const { noiseSchedule, prediction } = model;
          const settings: Json = { noiseSchedule, prediction, ...cell['model'] };
          const t = settings['timesteps'];
          if (typeof t === 'number' && t >= 2 && t < 10) settings['timesteps'] = 10;
          return { ...cell, model: settings };
        }
        if (cell['kind'] === 'view') {
          const { overlay, sampler, samplerSteps, position } = view;
          return { overlay, sampler, samplerSteps, position, ...cell };
        }
        return cell;
      })
    : doc['cells'];
  return { ...doc, version: 2, cells };
}

/**
 * Version 2 → 3: a flow-matching model's `coupling` (how training pairs data with noise) is
 * renamed `pairing`, values unchanged; a model without it stays without it (independent).
 */
function v2ToV3(doc: Json): Json {
  const cells = Array.isArray(doc['cells'])
    ? doc['cells'].map((cell: unknown) => {
        if (!isObject(cell) || cell['kind'] !== 'model' || !isObject(cell['model'])) return cell;
        if (!('coupling' in cell['model'])) return cell;
        const { coupling, ...model } = cell['model'];
        return { ...cell, model: { ...model, pairing: coupling } };
      })
    : doc['cells'];
  return { ...doc, version: 3, cells };
}

/** MIGRATIONS[v] turns version v into version v + 1. */
const MIGRATIONS: Record<number, (doc: Json) => Json> = { 1: v1ToV2, 2: v2ToV3 };

/**
 * The notebook JSON `value` (any supported version) as current-version JSON, not yet validated.
 * `value` is not mutated. Throws NotebookError('version') for versions this app does not read.
 */
export function migrateNotebook(value: unknown): unknown {
  if (!isObject(value)) {
    throw new NotebookError(
      'schema',
      '',
      `Expected a notebook (a JSON object with version, title and cells), received ${describeValue(value)}.`,
    );
  }
  const version = value['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new NotebookError(
      'version',
      'version',
      `version: expected a notebook version (a whole number from 1 to ${NOTEBOOK_VERSION}), received ${describeValue(version)}; ${READS}.`,
    );
  }
  if (version > NOTEBOOK_VERSION) {
    throw new NotebookError(
      'version',
      'version',
      `This notebook was made by a newer Flowfield (notebook version ${version}); ${READS}. Reload the page to get the latest app, then open it again.`,
    );
  }
  let doc: Json = value;
  for (let v = version; v < NOTEBOOK_VERSION; v++) doc = MIGRATIONS[v]!(doc);
  return doc;
}
