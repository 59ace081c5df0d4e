/**
 * The PyTorch export from the page: Files → Export as PyTorch project downloads a .zip of the
 * project with the notebook's settings and the trained weights; the exported data are the
 * playground's own samples (Dataset's CPU twin) with its normalisation; notebooks that cannot
 * be exported say which cell and what to do. (The folder's Python runs in python/tests.)
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/ui/app/app';
import type { FfApp } from '../../src/ui/app/app';
import {
  DATA_POOL,
  ExportError,
  exportDatasetSpec,
  exportPytorchProject,
  fetchImageAsset,
  pytorchExportAssetFile,
  type ExportedFile,
} from '../../src/export';
import { Dataset } from '../../src/data/dataset';
import {
  defaultNotebook,
  notebookFromFile,
  readSafetensors,
  type DataSource,
  type ModelCell,
  type Notebook,
} from '../../src/notebook';
import { datasetSpec } from '../../src/specs';
import { testGpu } from '../support/gpu';
import { FakeWeightsClient, fakeParams, freshDb, settle } from '../ui/support/share-support';

/** Entries of a stored (uncompressed) .zip, read from its local headers. */
function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Uint8Array>();
  let at = 0;
  while (view.getUint32(at, true) === 0x04034b50) {
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extra = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 30, at + 30 + nameLength));
    const start = at + 30 + nameLength + extra;
    out.set(name, bytes.subarray(start, start + size));
    at = start + size;
  }
  return out;
}

function file(files: readonly ExportedFile[], path: string): Uint8Array {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`no ${path} in ${files.map((f) => f.path).join(', ')}`);
  return found.bytes;
}

function modelCell(notebook: Notebook): ModelCell {
  return notebook.cells.find((c): c is ModelCell => c.kind === 'model')!;
}

describe('PyTorch export', () => {
  it('Files → Export as PyTorch project: a .zip with the settings and the trained weights', async () => {
    const client = new FakeWeightsClient();
    const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
    await settle(app);
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    await app.lab!.play('train-1');
    await settle(app);
    const button = app.renderRoot.querySelector<HTMLButtonElement>('button.export-pytorch');
    expect(button, 'the Files menu entry').to.not.equal(null);
    button!.click();
    for (let i = 0; i < 50 && !app.session.lastDownload?.name.endsWith('.zip'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const download = app.session.lastDownload!;
    expect(download.name).to.match(/-pytorch\.zip$/);
    const stem = download.name.replace(/\.zip$/, '');
    const entries = unzip(download.bytes);
    for (const path of [
      'config.json',
      'train.py',
      'sample.py',
      'README.md',
      'flowfield_torch/flows.py',
    ])
      expect(entries.has(`${stem}/${path}`), path).to.equal(true);
    const config = JSON.parse(new TextDecoder().decode(entries.get(`${stem}/config.json`)));
    const model = modelCell(app.store.notebook);
    expect(config.model).to.deep.equal(model.model);
    expect(config.train).to.deep.equal(model.train);
    expect(config.trainId).to.equal('train-1');
    const weights = readSafetensors(entries.get(`${stem}/weights.safetensors`)!);
    expect(weights.tensors['params']!.data).to.deep.equal(
      fakeParams(model.model.seed, app.lab!.run('train-1').step),
    );
    expect(JSON.parse(weights.metadata['flowfield.normalization']!)).to.deep.equal({
      shift: [0.5, 0.25],
      scale: [0.9, 0.5],
    });
  });

  it("built-ins go as a density name and parameters, other data as the playground's own samples, each with its normalisation", async () => {
    const sources: DataSource[] = [
      { kind: 'builtin', name: 'pinwheel', seed: 4 },
      { kind: 'points', text: '0 0\n1 2\n-1 0.5\n3 3', jitter: 0.1, seed: 2 },
      { kind: 'grid', width: 2, height: 2, weights: [1, 0, 2, 1], seed: 7 },
    ];
    const gpu = await testGpu();
    for (const source of sources) {
      // The export's spec mapping is the worker's (src/specs' datasetSpec), grid bounds included.
      expect(exportDatasetSpec(source)).to.deep.equal(datasetSpec(source));
      const notebook = defaultNotebook();
      const data = notebook.cells.find((c) => c.kind === 'data')!;
      if (data.kind === 'data') data.source = source;
      const files = exportPytorchProject(notebook);
      const dataset = new Dataset(gpu, datasetSpec(source));
      const config = JSON.parse(new TextDecoder().decode(file(files, 'config.json')));
      // For built-ins these are the statistics of the playground's fixed moment sample.
      expect(config.data.normalization).to.deep.equal({
        shift: [...dataset.normalizer.shift],
        scale: [...dataset.normalizer.scale],
      });
      if (source.kind === 'builtin') {
        // densities.py draws it afresh each step, with the playground's parameters (defaults filled).
        expect(config.data.source).to.deep.equal({
          kind: 'builtin',
          name: 'pinwheel',
          seed: 4,
          params: { arms: 5, radialStd: 0.3, tangentialStd: 0.1, rate: 0.25 },
        });
        expect(files.some((f) => f.path === 'data.safetensors')).to.equal(false);
        dataset.dispose();
        continue;
      }
      const pool = readSafetensors(file(files, 'data.safetensors')).tensors['points']!;
      expect(pool.shape).to.deep.equal([DATA_POOL, 2]);
      const twin = dataset.sampleCpu(100, { seed: source.seed });
      dataset.dispose();
      for (let i = 0; i < 200; i++) expect(pool.data[i]).to.equal(Math.fround(twin[i]!));
    }
  });

  it('notebooks that cannot be exported name the cell and what to do', () => {
    const notebook = defaultNotebook();
    const expectError = (n: Notebook, cell: string, text: string, trainId?: string) => {
      try {
        exportPytorchProject(n, trainId ? { trainId } : {});
      } catch (error) {
        expect(error).to.be.instanceOf(ExportError);
        expect((error as ExportError).cell).to.equal(cell);
        expect((error as Error).message).to.contain(text);
        return;
      }
      expect.fail('no error');
    };
    expectError({ ...notebook, cells: [] }, '', 'no Train cell');
    expectError(notebook, 'train-9', 'Train cells are train-1', 'train-9');
    const model = modelCell(notebook);
    const reflow = structuredClone(notebook);
    modelCell(reflow).model = {
      ...model.model,
      family: 'diffusion',
      kind: 'flow-matching',
      pairing: 'reflow',
      reflow: { teacher: 'model-0', pairs: 4096, teacherSteps: 16 },
    };
    expectError(reflow, model.id, 'The reflow teacher "model-0" is not in this notebook');
    const noData = { ...notebook, cells: notebook.cells.filter((c) => c.kind !== 'data') };
    expectError(noData, model.id, 'has no Data cell above it');
  });

  it("a NICE image notebook: the lab spec, the Data cell's images, the image set file; other image models are refused", () => {
    const notebook = structuredClone(defaultNotebook());
    const data = notebook.cells.find((c) => c.kind === 'data')!;
    if (data.kind !== 'data') throw new Error('no Data cell');
    data.source = { kind: 'images', name: 'mnist', size: 14, classes: [3, 5], seed: 2 };
    const model = modelCell(notebook);
    model.model.image = {
      kind: 'nice',
      options: { layers: 2, hidden: 8, hiddenLayers: 1, prior: 'gaussian' },
    };
    expect(pytorchExportAssetFile(notebook)).to.equal('mnist-14.bin.gz');
    const asset = new Uint8Array([31, 139, 1, 2, 3]);
    const files = new Map(
      exportPytorchProject(notebook, { imageAsset: asset }).map((f) => [f.path, f.bytes]),
    );
    expect(files.get('images/mnist-14.bin.gz')).to.deep.equal(asset);
    expect(files.has('data.safetensors')).to.equal(false);
    expect(files.has('flowfield_torch/image_flows.py')).to.equal(true);
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
    expect(config.imageModel).to.deep.equal({
      layers: 2,
      hidden: 8,
      hiddenLayers: 1,
      prior: 'gaussian',
      family: 'image-flow',
      kind: 'nice',
      shape: [1, 14, 14],
      seed: model.model.seed,
    });
    expect(config.data.file).to.equal('images/mnist-14.bin.gz');
    expect(config.data.source).to.deep.equal({
      kind: 'images',
      name: 'mnist',
      size: 14,
      split: 'train',
      seed: 2,
      classes: [3, 5],
    });
    // Without the file (a caller that has none) the project still names where it goes.
    const bare = exportPytorchProject(notebook).map((f) => f.path);
    expect(bare).to.not.include('images/mnist-14.bin.gz');
    model.model.image = { kind: 'glow', options: { levels: 2, stepsPerLevel: 2, channels: 8 } };
    expect(pytorchExportAssetFile(notebook)).to.equal(undefined);
    expect(() => exportPytorchProject(notebook)).to.throw(
      ExportError,
      'trains NICE among the image models',
    );
  });

  it("the page's image set for the export is the file dist/data/ serves (manifest checksum)", async () => {
    const manifest = (await fetch('/dist/data/manifest.json').then((r) => r.json())) as Record<
      string,
      { file: string; gzipBytes: number; sha256: string }
    >;
    const bytes = await fetchImageAsset('mnist-14.bin.gz');
    expect(bytes.length).to.equal(manifest['mnist-14']!.gzipBytes);
    // The file as stored (gzip), not a copy the server decompressed on the way.
    const raw = await new Response(
      new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip')),
    ).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    expect(hex, 'sha256 of the uncompressed set').to.equal(manifest['mnist-14']!.sha256);
    let failed = '';
    await fetchImageAsset('no-such-set.bin.gz').catch((e: Error) => (failed = e.message));
    expect(failed).to.contain('did not load (HTTP 404');
  });

  it("a reflow student goes with its teacher's weights and how the playground makes the pairs", async () => {
    const text = await fetch('/public/gallery/straight-paths.flowfield.json').then((r) => r.text());
    const { notebook, weights } = notebookFromFile(text);
    const student = notebook.cells.find((c): c is ModelCell => c.id === 'model-ot')!;
    student.model = {
      ...student.model,
      pairing: 'reflow',
      reflow: { teacher: 'model-independent', pairs: 2048, teacherSteps: 12 },
    };
    const teacherWeights = weights.find((w) => w.trainId === 'train-independent')!;
    const files = exportPytorchProject(notebook, { trainId: 'train-ot', weights });
    const config = JSON.parse(new TextDecoder().decode(file(files, 'config.json')));
    const teacher = notebook.cells.find((c): c is ModelCell => c.id === 'model-independent')!;
    expect(config.reflow).to.deep.equal({
      teacher: {
        cell: 'model-independent',
        trainId: 'train-independent',
        model: teacher.model,
        weights: 'teacher.safetensors',
      },
      pairs: 2048,
      steps: 12,
      sampler: 'rk4',
      seed: student.model.seed,
    });
    // The pairs live in the teacher's model coordinates: the student trains under its normalisation.
    expect(config.data.normalization).to.deep.equal(teacherWeights.normalization);
    const teacherFile = readSafetensors(file(files, 'teacher.safetensors'));
    expect(teacherFile.tensors['params']!.data).to.deep.equal(teacherWeights.params);
    const untrained = weights.filter((w) => w.trainId !== 'train-independent');
    try {
      exportPytorchProject(notebook, { trainId: 'train-ot', weights: untrained });
      expect.fail('no error');
    } catch (error) {
      expect(error).to.be.instanceOf(ExportError);
      expect((error as Error).message).to.contain('train the teacher cell first');
    }
  });
});
