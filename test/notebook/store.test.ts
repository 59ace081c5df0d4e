import { expect } from '@esm-bundle/chai';
import {
  defaultNotebook,
  reduce,
  trainInputs,
  viewSource,
  NotebookStore,
} from '../../src/notebook';

describe('notebook store', () => {
  it('adds, duplicates, moves, collapses, updates and removes cells without mutating', () => {
    const start = defaultNotebook();
    const frozen = JSON.stringify(start);
    let nb = reduce(start, { type: 'add', kind: 'note', after: 'intro' });
    expect(nb.cells[1]!.kind).to.equal('note');
    const added = nb.cells[1]!.id;
    nb = reduce(nb, { type: 'duplicate', id: 'data-1' });
    expect(nb.cells.filter((c) => c.kind === 'data')).to.have.length(2);
    nb = reduce(nb, { type: 'move', id: added, by: -1 });
    expect(nb.cells[0]!.id).to.equal(added);
    nb = reduce(nb, { type: 'move-to', id: added, index: 99 });
    expect(nb.cells[nb.cells.length - 1]!.id).to.equal(added);
    nb = reduce(nb, { type: 'toggle-collapse', id: added });
    expect(nb.cells[nb.cells.length - 1]!.collapsed).to.equal(true);
    nb = reduce(nb, {
      type: 'update',
      id: 'model-1',
      patch: { title: 'M', id: 'x', kind: 'note' },
    });
    const model = nb.cells.find((c) => c.id === 'model-1')!;
    expect(model.kind).to.equal('model');
    expect((model as { title: string }).title).to.equal('M');
    nb = reduce(nb, { type: 'remove', id: added });
    expect(nb.cells.some((c) => c.id === added)).to.equal(false);
    expect(JSON.stringify(start)).to.equal(frozen);
    expect(JSON.parse(JSON.stringify(nb))).to.deep.equal(nb);
  });

  it('links train cells to the model and data above them, views to the train above', () => {
    const nb = defaultNotebook();
    const { model, data } = trainInputs(nb, 'train-1');
    expect(model!.id).to.equal('model-1');
    expect(data!.id).to.equal('data-1');
    expect(viewSource(nb, 'view-1')!.id).to.equal('train-1');
    const moved = reduce(nb, { type: 'move-to', id: 'data-1', index: 4 });
    expect(trainInputs(moved, 'train-1').data).to.equal(undefined);
  });

  it('notifies subscribers once per change and not for no-ops', () => {
    const store = new NotebookStore(defaultNotebook());
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.dispatch({ type: 'remove', id: 'nope' });
    store.dispatch({ type: 'toggle-collapse', id: 'intro' });
    off();
    store.dispatch({ type: 'toggle-collapse', id: 'intro' });
    expect(calls).to.equal(1);
  });
});
