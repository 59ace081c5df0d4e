import { expect } from '@esm-bundle/chai';
import {
  decodeShareLink,
  defaultNotebook,
  describeImageSource,
  encodeShareLink,
  imageDataProblem,
  imageSetHash,
  notebookFromFile,
  readNotebookFile,
  notebookToFile,
  parseNotebook,
  type DataSource,
  type Notebook,
} from '../../src/notebook';
import { IMAGE_CLASS_NAMES, IMAGE_DATASET_NAMES } from '../../src/data/images/assets';
import { MAX_IMAGE_SET_VALUES, MAX_IMAGE_SIDE } from '../../src/data/images/image-set';
import { IMAGE_SPLITS as LIB_SPLITS } from '../../src/data/images/image-dataset';
import {
  IMAGE_FILES_LIMITS,
  IMAGE_SET_CLASSES,
  IMAGE_SET_NAMES,
  IMAGE_SPLITS,
} from '../../src/notebook';
import { errorOf } from './errors';

const HASH = 'ab'.repeat(32);

/** The default notebook with its Data cell's source replaced by `source`. */
function withSource(source: unknown): Notebook {
  const notebook = defaultNotebook();
  const json = JSON.parse(JSON.stringify(notebook)) as { cells: Record<string, unknown>[] };
  json.cells[1]!['source'] = source;
  return json as unknown as Notebook;
}

const SHIPPED: DataSource = {
  kind: 'images',
  name: 'fashion-mnist',
  size: 14,
  classes: [0, 7, 9],
  split: 'test',
  seed: 5,
};
const FILES: DataSource = {
  kind: 'image-files',
  label: 'digits.zip',
  count: 120,
  channels: 1,
  size: 28,
  classNames: ['cats', 'dogs'],
  hash: HASH,
  seed: 1,
};

describe('image sources in notebooks: schema, validation, links and files', () => {
  it('the notebook mirrors the library’s image set names, classes, splits and limits', () => {
    expect([...IMAGE_SET_NAMES]).to.deep.equal([...IMAGE_DATASET_NAMES]);
    for (const name of IMAGE_SET_NAMES) {
      expect([...IMAGE_SET_CLASSES[name]]).to.deep.equal([...IMAGE_CLASS_NAMES[name]]);
    }
    expect([...IMAGE_SPLITS]).to.deep.equal([...LIB_SPLITS]);
    expect(IMAGE_FILES_LIMITS.size.max).to.equal(MAX_IMAGE_SIDE);
    expect(IMAGE_FILES_LIMITS.values).to.equal(MAX_IMAGE_SET_VALUES);
  });

  it('a shipped set and a files reference survive a link and a file unchanged', async () => {
    const minimal: DataSource = { kind: 'images', name: 'mnist', size: 28, seed: 0 };
    for (const source of [SHIPPED, FILES, minimal]) {
      const notebook = parseNotebook(withSource(source));
      expect(notebook.cells[1]).to.deep.include({ source });
      const link = await encodeShareLink({ notebook, weights: [] });
      const fromLink = await decodeShareLink(link);
      expect(fromLink.notebook).to.deep.equal(notebook);
      const fromFile = notebookFromFile(notebookToFile({ notebook, weights: [] }));
      expect(fromFile.notebook).to.deep.equal(notebook);
      // Optional fields absent stay absent (a round trip adds no defaults).
      expect(
        Object.keys(fromLink.notebook.cells[1]!['source' as never] as object).sort(),
      ).to.deep.equal(Object.keys(source).sort());
    }
  });

  it('a files reference is small: the link carries no pixels', async () => {
    const link = await encodeShareLink({ notebook: parseNotebook(withSource(FILES)), weights: [] });
    const plain = await encodeShareLink({ notebook: defaultNotebook(), weights: [] });
    expect(link.length - plain.length).to.be.below(300);
  });

  it('a files reference written before sizes and RGB (no size, no channels) reads as 28×28 grey', () => {
    const old = { ...FILES } as Record<string, unknown>;
    delete old['size'];
    delete old['channels'];
    const cell = parseNotebook(withSource(old)).cells[1]!;
    expect(cell.kind === 'data' && cell.source).to.deep.equal({ ...FILES, size: 28, channels: 1 });
    // Present values are still checked: the default is only for absent ones.
    expect(errorOf(withSource({ ...old, channels: 2 })).path).to.equal('cells[1].source.channels');
    const rgb = parseNotebook(withSource({ ...old, size: 8, channels: 3 })).cells[1]!;
    expect(rgb.kind === 'data' && rgb.source).to.deep.include({ size: 8, channels: 3 });
  });

  it('says what was expected, what was received, and where', () => {
    const cases: [unknown, string, string][] = [
      [
        { ...SHIPPED, name: 'cifar' },
        'cells[1].source.name',
        `cells[1].source.name: expected one of 'mnist', 'fashion-mnist', received the text "cifar".`,
      ],
      [
        { ...SHIPPED, size: 32 },
        'cells[1].source.size',
        'cells[1].source.size: expected 28 or 14 (pixels a side), received 32.',
      ],
      [
        { ...SHIPPED, classes: [7, 3] },
        'cells[1].source.classes[1]',
        'cells[1].source.classes[1]: expected distinct fashion-mnist labels in ascending order, 0 to 9 (0: T-shirt/top, 1: Trouser, 2: Pullover, 3: Dress, 4: Coat, 5: Sandal, 6: Shirt, 7: Sneaker, 8: Bag, 9: Ankle boot), received 3.',
      ],
      [
        { ...SHIPPED, classes: [] },
        'cells[1].source.classes',
        'cells[1].source.classes: expected at least one label (or no classes field for all 10), received a list of 0.',
      ],
      [
        { ...SHIPPED, split: 'validation' },
        'cells[1].source.split',
        `cells[1].source.split: expected one of 'train', 'test', 'all', received the text "validation".`,
      ],
      [
        { ...FILES, hash: 'xyz' },
        'cells[1].source.hash',
        'cells[1].source.hash: expected 64 lowercase hex digits (SHA-256 of the pixels and labels), received the text "xyz".',
      ],
      [
        { ...FILES, channels: 2 },
        'cells[1].source.channels',
        'cells[1].source.channels: expected 1 (grey) or 3 (RGB), received 2.',
      ],
      [
        { ...FILES, count: 1 },
        'cells[1].source.count',
        'cells[1].source.count: expected Images: a whole number from 2 to 67,108,864, received 1.',
      ],
      [
        { ...FILES, channels: 3, count: 30_000 },
        'cells[1].source.count',
        'cells[1].source.count: expected at most 67,108,864 pixel values in all (count × channels × size × size; here 70,560,000), received 30000.',
      ],
      [
        { ...FILES, classNames: ['only'] },
        'cells[1].source.classNames',
        'cells[1].source.classNames: expected no class names (an unlabelled set) or 2 to 256 of them, received a list of 1.',
      ],
    ];
    for (const [source, path, message] of cases) {
      const error = errorOf(withSource(source));
      expect(error.path, JSON.stringify(source)).to.equal(path);
      expect(error.message).to.equal(message);
    }
  });

  it('names the source and tells a 2-D Model or Train cell to choose an image model', () => {
    expect(describeImageSource(SHIPPED as never)).to.equal(
      'Fashion-MNIST 14×14 (test split; classes T-shirt/top, Sneaker, Ankle boot)',
    );
    expect(describeImageSource({ kind: 'images', name: 'mnist', size: 28, seed: 0 })).to.equal(
      'MNIST 28×28',
    );
    expect(describeImageSource(FILES as never)).to.equal(
      'your images “digits.zip” (120 of 28×28 grey)',
    );
    const notebook = parseNotebook(withSource(SHIPPED));
    const model = imageDataProblem(notebook, 'model-1');
    expect(model).to.match(/^The Data cell “Data” above holds an image set, Fashion-MNIST 14×14/);
    expect(model).to.match(/Choose an image model in the Model cell/);
    expect(imageDataProblem(notebook, 'train-1')).to.equal(model);
    expect(imageDataProblem(defaultNotebook(), 'train-1')).to.equal('');
  });

  it('hashes pixels then labels with SHA-256 (known answer: "abc")', async () => {
    const ab = new TextEncoder().encode('ab');
    const c = new TextEncoder().encode('c');
    expect(await imageSetHash(ab, c)).to.equal(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await imageSetHash(new TextEncoder().encode('abc'))).to.equal(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('a file carries the pixels of the sets its notebook references, and checks them', async () => {
    const pixels = Uint8Array.from({ length: 2 * 4 * 4 }, (_, i) => (i * 37) % 256);
    const labels = Uint8Array.from([0, 1]);
    const hash = await imageSetHash(pixels, labels);
    const source = { ...FILES, count: 2, size: 4, hash };
    const notebook = parseNotebook(withSource(source));
    const set = { hash, count: 2, channels: 1 as const, size: 4, pixels, labels };
    const stray = { ...set, hash: 'cd'.repeat(32) };
    const text = notebookToFile({ notebook, weights: [], imageSets: [set, stray] });
    const doc = JSON.parse(text) as { imageSets: { hash: string }[] };
    expect(
      doc.imageSets.map((s) => s.hash),
      'only referenced sets',
    ).to.deep.equal([hash]);
    const back = notebookFromFile(text);
    expect(back.notebook).to.deep.equal(notebook);
    expect(back.imageSets).to.deep.equal([set]);
    expect(await readNotebookFile(text), 'the page reader').to.deep.equal(back);
    // Files without image sets have no such field, and open as before.
    const plain = notebookToFile({ notebook: defaultNotebook(), weights: [] });
    expect(plain).to.not.contain('imageSets');
    expect(notebookFromFile(plain)).to.deep.equal({ notebook: defaultNotebook(), weights: [] });

    const broken = (edit: (entry: Record<string, unknown>) => void) => {
      const copy = JSON.parse(text) as { imageSets: Record<string, unknown>[] };
      edit(copy.imageSets[0]!);
      try {
        notebookFromFile(JSON.stringify(copy));
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected notebookFromFile to throw');
    };
    expect(broken((e) => (e['pixels'] = 'AAAA'))).to.equal(
      'imageSets[0].pixels: expected base64 of 32 bytes (count × channels × size × size), received the text "AAAA".',
    );
    expect(broken((e) => (e['hash'] = 'cd'.repeat(32)))).to.match(
      /^imageSets\[0\]\.hash: expected the hash of an 'image-files' Data cell \([0-9a-f]{8}…\), received the text "cdcd/,
    );
    expect(broken((e) => (e['count'] = 3))).to.equal(
      'imageSets[0].count: expected 2, as its Data cell says, received 3.',
    );
    expect(broken((e) => (e['labels'] = 'AA'))).to.equal(
      'imageSets[0].labels: expected base64 of 2 bytes (one label per image), received the text "AA".',
    );
  });
});
