import { expect } from '@esm-bundle/chai';
import { BUILTIN_NAMES } from '../../src/data/builtins';
import { MAX_TIMESTEPS, MIN_TIMESTEPS } from '../../src/models/diffusion/schedule';
import { DIFFUSION_KINDS as MODEL_DIFFUSION_KINDS } from '../../src/models/diffusion/spec';
import { MAX_OT_BATCH as LIB_MAX_OT_BATCH } from '../../src/models/diffusion/assignment';
import { MAX_REFLOW_PAIRS } from '../../src/models/diffusion/reflow';
import { PAIRINGS as MODEL_PAIRINGS } from '../../src/models/diffusion/spec';
import { MAX_OT_BATCH, MODEL_LIMITS, REFLOW_LIMITS } from '../../src/notebook/limits';
import { migrateNotebook } from '../../src/notebook/migrate';
import fixture from './fixtures/notebook-v1.json' with { type: 'json' };
import { FLOW_KINDS as MODEL_FLOW_KINDS } from '../../src/models/flows/flow-spec';
import { PAIRINGS, DATASET_NAMES, DIFFUSION_KINDS, FLOW_KINDS } from '../../src/notebook/schema';

// The notebook keeps its own copies of these names so the UI bundle does not pull in dataset and
// model code; this test keeps the copies honest.
describe('notebook schema names match the library', () => {
  it('datasets, flow kinds and diffusion kinds', () => {
    expect([...DATASET_NAMES]).to.deep.equal([...BUILTIN_NAMES]);
    expect([...FLOW_KINDS]).to.deep.equal([...MODEL_FLOW_KINDS]);
    expect([...DIFFUSION_KINDS]).to.deep.equal([...MODEL_DIFFUSION_KINDS]);
  });

  it('pairings, the minibatch-OT batch limit and the most reflow pairs match the library', () => {
    expect([...PAIRINGS]).to.deep.equal([...MODEL_PAIRINGS]);
    expect(MAX_OT_BATCH).to.equal(LIB_MAX_OT_BATCH);
    expect(REFLOW_LIMITS.pairs.max).to.be.at.most(MAX_REFLOW_PAIRS);
  });

  it('the notebook allows exactly the noise levels T the library trains', () => {
    expect(MODEL_LIMITS.timesteps.min).to.equal(MIN_TIMESTEPS);
    expect(MODEL_LIMITS.timesteps.max).to.equal(MAX_TIMESTEPS);
  });

  it('a version-1 T below the library minimum migrates to the minimum', () => {
    const v1 = structuredClone(fixture) as {
      cells: { kind: string; model?: { timesteps: number } }[];
    };
    const cell = v1.cells.find((c) => c.kind === 'model')!;
    cell.model!.timesteps = 3;
    const migrated = migrateNotebook(v1) as typeof v1;
    expect(migrated.cells.find((c) => c.kind === 'model')!.model!.timesteps).to.equal(
      MIN_TIMESTEPS,
    );
  });
});
