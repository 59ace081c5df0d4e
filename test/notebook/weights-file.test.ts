import { expect } from '@esm-bundle/chai';
import {
  NotebookError,
  defaultNotebook,
  modelSafetensors,
  weightsForNotebook,
  writeSafetensors,
  type ModelCell,
  type ModelSettings,
  type Notebook,
} from '../../src/notebook';

function firstModel(notebook: Notebook): ModelCell {
  return notebook.cells.find((c): c is ModelCell => c.kind === 'model')!;
}

function firstTrainId(notebook: Notebook): string {
  return notebook.cells.find((c) => c.kind === 'train')!.id;
}

const NORMALIZATION = {
  shift: [0.25, -1.5] as [number, number],
  scale: [2, 0.5] as [number, number],
};

function fileFor(model: ModelSettings, params: Float32Array, trainId = 'elsewhere'): Uint8Array {
  return modelSafetensors({ trainId, steps: 321, params, normalization: NORMALIZATION }, model);
}

function refusal(run: () => unknown): NotebookError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(NotebookError);
    return error as NotebookError;
  }
  throw new Error('expected weightsForNotebook to refuse the file');
}

describe('Open weights (.safetensors → the matching Train cell)', () => {
  it('round trip: modelSafetensors → weightsForNotebook gives the exact params, steps and normalisation', () => {
    const notebook = defaultNotebook();
    const params = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i) * 1e3 + 1 / (i + 3));
    const before = JSON.stringify(notebook);
    const weights = weightsForNotebook(fileFor(firstModel(notebook).model, params), notebook, {
      parameterCount: () => 37,
    });
    expect(weights.trainId).to.equal(firstTrainId(notebook));
    expect(weights.steps).to.equal(321);
    expect(Array.from(weights.params)).to.deep.equal(Array.from(params));
    expect(weights.normalization).to.deep.equal(NORMALIZATION);
    expect(JSON.stringify(notebook), 'the notebook is not touched').to.equal(before);
  });

  it('another seed or training settings still match; other widths name the setting', () => {
    const notebook = defaultNotebook();
    const model = firstModel(notebook).model;
    const params = new Float32Array(4);
    expect(
      weightsForNotebook(fileFor({ ...model, seed: model.seed + 9 }, params), notebook).trainId,
    ).to.equal(firstTrainId(notebook));
    const error = refusal(() =>
      weightsForNotebook(fileFor({ ...model, hidden: model.hidden * 2 }, params), notebook),
    );
    expect(error.message).to.contain(
      `model.hidden: expected ${model.hidden}, received ${model.hidden * 2}`,
    );
    expect(error.message).to.contain(firstModel(notebook).id);
  });

  it('another kind is refused with both kinds named', () => {
    const notebook = defaultNotebook();
    const model = firstModel(notebook).model;
    const other = model.kind === 'realnvp' ? 'nice' : 'realnvp';
    const error = refusal(() =>
      weightsForNotebook(
        fileFor({ ...model, kind: other } as ModelSettings, new Float32Array(4)),
        notebook,
      ),
    );
    expect(error.message).to.contain(
      `model.kind: expected ${JSON.stringify(model.kind)}, received ${JSON.stringify(other)}`,
    );
  });

  it('a wrong shape says which tensor and which shape was expected vs received', () => {
    const notebook = defaultNotebook();
    const model = firstModel(notebook).model;
    const error = refusal(() =>
      weightsForNotebook(fileFor(model, new Float32Array(36)), notebook, {
        parameterCount: () => 37,
      }),
    );
    expect(error.path).to.equal('params');
    expect(error.message).to.contain('Tensor "params" has shape [36]');
    expect(error.message).to.contain('expects [37]');
  });

  it('a missing tensor names it and lists what the file holds', () => {
    const notebook = defaultNotebook();
    const model = firstModel(notebook).model;
    const bytes = writeSafetensors(
      { weight: { shape: [2, 2], data: new Float32Array(4) } },
      { format: 'flowfield', 'flowfield.model': JSON.stringify(model) },
    );
    const error = refusal(() => weightsForNotebook(bytes, notebook, { parameterCount: () => 37 }));
    expect(error.message).to.contain('Tensor "params" is missing');
    expect(error.message).to.contain('[37]');
    expect(error.message).to.contain('"weight"');
  });

  it('a drop on a Model cell only loads into Train cells under it', () => {
    const notebook = defaultNotebook();
    const model = firstModel(notebook);
    const bytes = fileFor(model.model, new Float32Array(4));
    expect(weightsForNotebook(bytes, notebook, { modelId: model.id }).trainId).to.equal(
      firstTrainId(notebook),
    );
    expect(
      refusal(() => weightsForNotebook(bytes, notebook, { modelId: 'data-1' })).message,
    ).to.contain('no Train cell under Model cell data-1');
  });

  it('a file without Flowfield metadata and a corrupted file are refused with the reason', () => {
    const notebook = defaultNotebook();
    const plain = writeSafetensors({ params: { shape: [4], data: new Float32Array(4) } });
    expect(refusal(() => weightsForNotebook(plain, notebook)).message).to.contain(
      'flowfield.model',
    );
    const corrupted = fileFor(firstModel(notebook).model, new Float32Array(8)).slice(0, 60);
    expect(refusal(() => weightsForNotebook(corrupted, notebook)).message).to.contain(
      'not a readable safetensors file',
    );
  });
});
