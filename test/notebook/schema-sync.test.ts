import { expect } from '@esm-bundle/chai';
import { BUILTIN_NAMES } from '../../src/data/builtins';
import { DIFFUSION_KINDS as MODEL_DIFFUSION_KINDS } from '../../src/models/diffusion/spec';
import { FLOW_KINDS as MODEL_FLOW_KINDS } from '../../src/models/flows/flow-spec';
import { DATASET_NAMES, DIFFUSION_KINDS, FLOW_KINDS } from '../../src/notebook/schema';

// The notebook keeps its own copies of these names so the UI bundle does not pull in dataset and
// model code; this test keeps the copies honest.
describe('notebook schema names match the library', () => {
  it('datasets, flow kinds and diffusion kinds', () => {
    expect([...DATASET_NAMES]).to.deep.equal([...BUILTIN_NAMES]);
    expect([...FLOW_KINDS]).to.deep.equal([...MODEL_FLOW_KINDS]);
    expect([...DIFFUSION_KINDS]).to.deep.equal([...MODEL_DIFFUSION_KINDS]);
  });
});
