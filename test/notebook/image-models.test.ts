import { expect } from '@esm-bundle/chai';
import {
  IMAGE_MODEL_KINDS,
  IMAGE_MODEL_KINDS_INFO,
  decodeShareLink,
  defaultImageModel,
  defaultNotebook,
  encodeShareLink,
  imageDataProblem,
  imageModelErrors,
  imageSettingsErrors,
  imageShapeOf,
  niceParameters,
  notebookFromFile,
  notebookToFile,
  parseNotebook,
  type DataSource,
  type ImageModelSettings,
  type ImageShape,
  type Notebook,
} from '../../src/notebook';
import { imageModelSpec } from '../../src/specs';
import {
  NICE_LIMITS,
  niceParameterCount,
  resolveNiceSpec,
} from '../../src/models/image-flows/nice-spec';
import {
  IMAGE_FM_LIMITS,
  resolveImageFlowMatchingSpec,
} from '../../src/models/image-diffusion/fm-spec';
import {
  MULTISCALE_LIMITS,
  multiscalePlan,
  resolveMultiscaleSpec,
  type ResolvedMultiscaleSpec,
} from '../../src/models/image-flows/multiscale-spec';
import { resolveImageDdpmSpec } from '../../src/models/image-diffusion/ddpm-spec';
import { MAX_TIMESTEPS, MIN_TIMESTEPS } from '../../src/models/diffusion/schedule';
import { multiscaleParameters } from '../../src/notebook/image-flow-kinds';
import { errorOf } from './errors';

const MNIST14: DataSource = { kind: 'images', name: 'mnist', size: 14, seed: 3 };

/** The default notebook with an image set and (optionally) an image model in its Model cell. */
function imageNotebook(image?: unknown, source: DataSource = MNIST14): Notebook {
  const json = JSON.parse(JSON.stringify(defaultNotebook())) as {
    cells: Record<string, Record<string, unknown>>[];
  };
  json.cells[1]!['source'] = source as never;
  if (image !== undefined) json.cells[2]!['model']!['image'] = image;
  return json as unknown as Notebook;
}

/** Whether the library's own validation accepts the spec the notebook makes (its message if not). */
function libraryVerdict(image: ImageModelSettings, shape: ImageShape): string {
  const spec = imageModelSpec(image, shape, 7);
  try {
    if (spec.family === 'image-flow' && spec.kind === 'nice') resolveNiceSpec(spec);
    else if (spec.family === 'image-flow') resolveMultiscaleSpec(spec);
    else if (spec.kind === 'flow-matching') resolveImageFlowMatchingSpec(spec);
    else resolveImageDdpmSpec(spec);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('image models in notebooks: the kinds table, validation, links and the lab spec', () => {
  it('mirrors the library’s limits, and agrees with its validation on every edge', () => {
    const nice = IMAGE_MODEL_KINDS_INFO.nice.options;
    const range = (key: string) => {
      const option = nice.find((o) => o.key === key)!;
      return option.type === 'number' ? [option.range.min, option.range.max] : [];
    };
    expect(range('layers')).to.deep.equal([...NICE_LIMITS.layers]);
    expect(range('hidden')).to.deep.equal([...NICE_LIMITS.hidden]);
    expect(range('hiddenLayers')).to.deep.equal([...NICE_LIMITS.hiddenLayers]);
    const fm = IMAGE_MODEL_KINDS_INFO['flow-matching'].options[0]!;
    expect(fm.type === 'number' && [fm.range.min, fm.range.max]).to.deep.equal([
      ...IMAGE_FM_LIMITS.channels,
    ]);
    const rangeOf = (kind: keyof typeof IMAGE_MODEL_KINDS_INFO, key: string) => {
      const option = IMAGE_MODEL_KINDS_INFO[kind].options.find((o) => o.key === key)!;
      return option.type === 'number' ? [option.range.min, option.range.max] : option.choices;
    };
    expect(rangeOf('realnvp', 'scales')).to.deep.equal([...MULTISCALE_LIMITS.scales]);
    expect(rangeOf('realnvp', 'couplingsPerScale')).to.deep.equal([...MULTISCALE_LIMITS.steps]);
    expect(rangeOf('glow', 'levels')).to.deep.equal([...MULTISCALE_LIMITS.scales]);
    expect(rangeOf('glow', 'stepsPerLevel')).to.deep.equal([...MULTISCALE_LIMITS.steps]);
    expect(rangeOf('glow', 'channels')).to.deep.equal([...MULTISCALE_LIMITS.hidden]);
    expect(rangeOf('realnvp', 'channels')).to.deep.equal([...MULTISCALE_LIMITS.hidden]);
    expect(rangeOf('ddpm', 'channels')).to.deep.equal([...IMAGE_FM_LIMITS.channels]);
    expect(rangeOf('ddpm', 'timesteps')).to.deep.equal([MIN_TIMESTEPS, MAX_TIMESTEPS]);
    expect(rangeOf('ddpm', 'schedule')).to.deep.equal(['linear', 'cosine']);
    // Shapes and options on both sides of each limit: the notebook says "fine" exactly when the
    // library accepts the spec it makes, so no image model fails later on the GPU side.
    const shapes: ImageShape[] = [
      [1, 14, 14],
      [1, 28, 28],
      [3, 8, 8],
      [1, 7, 7], // odd sides: NICE (49 values) and the U-Net both refuse
      [3, 7, 7], // 147 values: odd
      [1, 5, 6], // odd height: NICE fine (30 values), U-Net not
      [5, 8, 8], // too many channels
      [1, 1, 2], // too small a side
      [1, 12, 12], // RealNVP: 3 scales fit (÷4), 4 not (÷8); Glow: 2 levels fit, 3 not
      [1, 16, 8], // Glow: 3 levels fit, 4 not (8 ÷ 16)
      [1, 6, 10], // one squeeze only
      [1, 64, 64], // the largest side
      [3, 64, 64], // deep, wide flows on RGB go over the parameter cap
      [4, 64, 64],
      [1, 65, 64], // over the largest side
    ];
    const variants: ImageModelSettings[] = [
      defaultImageModel('nice', [1, 28, 28]),
      { kind: 'nice', options: { layers: 16, hidden: 1024, hiddenLayers: 5, prior: 'gaussian' } },
      { kind: 'nice', options: { layers: 2, hidden: 1024, hiddenLayers: 5, prior: 'logistic' } },
      { kind: 'flow-matching', options: { channels: 16 } },
      { kind: 'flow-matching', options: { channels: 6 } }, // not divisible by 4 groups
      { kind: 'flow-matching', options: { channels: 3 } },
      defaultImageModel('realnvp', [1, 28, 28]),
      defaultImageModel('glow', [1, 28, 28]),
      realnvp(3, 2, 16),
      realnvp(4, 1, 8),
      realnvp(1, 16, 256),
      // Either side of the 8M cap on 3×64×64 (7,978,592 | 8,016,937) and 4×64×64 (… | 8,024,749).
      realnvp(4, 16, 208),
      realnvp(4, 16, 209),
      realnvp(4, 16, 157),
      glow(2, 4, 16),
      glow(3, 1, 8),
      glow(4, 2, 8),
      glow(1, 16, 256),
      // Either side of the cap on 3×64×64 (7,996,160 | 8,035,104) and 4×64×64 (7,993,408 | …).
      glow(4, 16, 200),
      glow(4, 16, 201),
      glow(4, 16, 147),
      { kind: 'ddpm', options: { channels: 16, schedule: 'cosine', timesteps: 10 } },
      { kind: 'ddpm', options: { channels: 12, schedule: 'linear', timesteps: 1000 } },
      { kind: 'ddpm', options: { channels: 10, schedule: 'linear', timesteps: 100 } },
    ];
    let refusals = 0;
    for (const shape of shapes) {
      for (const image of variants) {
        const ours = imageModelErrors(image, shape)['shape'] ?? '';
        const theirs = libraryVerdict(image, shape);
        const what = `${image.kind} ${JSON.stringify(image.options)} on ${shape.join('×')}: ${ours} | ${theirs}`;
        expect(ours === '', what).to.equal(theirs === '');
        if (ours) refusals++;
      }
    }
    expect(refusals).to.be.above(40);
  });

  it('class conditioning: the notebook accepts exactly the classes and pUncond the library does', async () => {
    const rangeOf = (kind: 'flow-matching' | 'ddpm', key: string) => {
      const option = IMAGE_MODEL_KINDS_INFO[kind].options.find((o) => o.key === key)!;
      return option.type === 'number' ? [option.range.min, option.range.max] : [];
    };
    for (const kind of ['flow-matching', 'ddpm'] as const) {
      expect(rangeOf(kind, 'classes')).to.deep.equal([...IMAGE_FM_LIMITS.classes]);
      expect(rangeOf(kind, 'pUncond')).to.deep.equal([0, 1]);
      const base = defaultImageModel(kind, [1, 14, 14]);
      // Left out by default: the library's own defaults (unconditional; pUncond 0.1) apply.
      expect(base.options).to.not.have.any.keys('classes', 'pUncond');
      const resolved =
        kind === 'ddpm'
          ? resolveImageDdpmSpec(imageModelSpec(base, [1, 14, 14], 1) as never)
          : resolveImageFlowMatchingSpec(imageModelSpec(base, [1, 14, 14], 1) as never);
      expect([resolved.classes, resolved.pUncond]).to.deep.equal([0, 0.1]);
      const cases: Record<string, unknown>[] = [
        ...[-1, 0, 1, 10, 256, 257, 2.5, '10'].map((classes) => ({ classes })),
        ...[-0.01, 0, 0.1, 1, 1.01, '0.1'].map((pUncond) => ({ classes: 10, pUncond })),
        { pUncond: 0.3 }, // a null-class probability of an unconditional model: harmless
      ];
      let refused = 0;
      for (const extra of cases) {
        const image = { kind, options: { ...base.options, ...extra } } as ImageModelSettings;
        const theirs = libraryVerdict(image, [1, 14, 14]);
        const ours = Object.values(imageModelErrors(image, [1, 14, 14])).join(' ');
        const what = `${kind} ${JSON.stringify(extra)}: ${ours} | ${theirs}`;
        expect(ours === '', what).to.equal(theirs === '');
        // The validator (links, files, autosave) agrees with the library too.
        let parsed = '';
        try {
          parseNotebook(imageNotebook(image));
        } catch (error) {
          parsed = (error as Error).message;
        }
        expect(parsed === '', `validator: ${what} | ${parsed}`).to.equal(theirs === '');
        if (theirs) refused++;
      }
      expect(refused).to.equal(7);
      // A conditional model survives a link and a file unchanged.
      const conditional = { kind, options: { ...base.options, classes: 10, pUncond: 0.2 } };
      const notebook = parseNotebook(imageNotebook(conditional));
      const cell = notebook.cells[2]!;
      expect(cell.kind === 'model' && cell.model.image).to.deep.equal(conditional);
      const fromLink = await decodeShareLink(await encodeShareLink({ notebook, weights: [] }));
      expect(fromLink.notebook).to.deep.equal(notebook);
      expect(imageModelSpec(conditional, [1, 14, 14], 5)).to.deep.include({
        classes: 10,
        pUncond: 0.2,
      });
    }
  });

  it('counts RealNVP’s and Glow’s parameters as the library’s plan lays them out', () => {
    const cases: [ImageModelSettings, ImageShape][] = [
      [realnvp(2, 3, 16), [1, 28, 28]],
      [realnvp(3, 2, 7), [3, 12, 12]],
      [realnvp(4, 16, 256), [4, 64, 64]], // over the cap: not resolvable, but laid out
      [glow(2, 4, 16), [1, 28, 28]],
      [glow(3, 5, 33), [3, 8, 8]],
      [glow(4, 16, 256), [4, 64, 64]],
    ];
    for (const [image, shape] of cases) {
      const resolved = {
        family: 'image-flow',
        kind: image.kind,
        shape: [...shape],
        seed: 0,
        ...image.options,
      } as unknown as ResolvedMultiscaleSpec;
      const kind = image.kind as 'realnvp' | 'glow';
      expect(multiscaleParameters(kind, shape, image.options), JSON.stringify(image)).to.equal(
        multiscalePlan(resolved).layout.total,
      );
    }
    const over = imageModelErrors(glow(4, 16, 256), [4, 64, 64]);
    expect(over['shape']).to.match(/^This Glow has 13,650,944 parameters, more than the 8,000,000/);
  });

  it('counts NICE’s parameters as the library does (the 8M cap is checked in the cell)', () => {
    const cases: [ImageShape, { layers: number; hidden: number; hiddenLayers: number }][] = [
      [[1, 28, 28], { layers: 4, hidden: 512, hiddenLayers: 2 }],
      [[3, 8, 8], { layers: 3, hidden: 17, hiddenLayers: 4 }],
      [[1, 28, 28], { layers: 16, hidden: 1024, hiddenLayers: 5 }], // over the cap
    ];
    for (const [shape, options] of cases) {
      expect(niceParameters(shape, options)).to.equal(libraryNiceParameters(shape, options));
    }
    const over = imageModelErrors(
      { kind: 'nice', options: { ...cases[2]![1], prior: 'logistic' } },
      [1, 28, 28],
    );
    expect(over['shape']).to.include(
      `This NICE has ${libraryNiceParameters(...cases[2]!).toLocaleString('en')} parameters, more than the 8,000,000 allowed`,
    );
  });

  it('defaults suit the set: every kind’s defaults are accepted on MNIST 14/28 and 8×8 RGB', () => {
    for (const kind of IMAGE_MODEL_KINDS) {
      for (const shape of [
        [1, 14, 14],
        [1, 28, 28],
        [3, 8, 8],
      ] as ImageShape[]) {
        const image = defaultImageModel(kind, shape);
        expect(imageModelErrors(image, shape), `${kind} ${shape.join('×')}`).to.deep.equal({});
        expect(libraryVerdict(image, shape)).to.equal('');
      }
    }
    expect(defaultImageModel('nice', [1, 28, 28]).options['hidden']).to.equal(512);
    expect(imageShapeOf(MNIST14)).to.deep.equal([1, 14, 14]);
    expect(imageShapeOf({ kind: 'builtin', name: 'moons', seed: 0 })).to.equal(undefined);
  });

  it('an image model survives a link and a file unchanged; older notebooks have none', async () => {
    for (const image of [
      defaultImageModel('nice', [1, 14, 14]),
      defaultImageModel('flow-matching', [1, 14, 14]),
    ]) {
      const notebook = parseNotebook(imageNotebook(image));
      const cell = notebook.cells[2]!;
      expect(cell.kind === 'model' && cell.model.image).to.deep.equal(image);
      const fromLink = await decodeShareLink(await encodeShareLink({ notebook, weights: [] }));
      expect(fromLink.notebook).to.deep.equal(notebook);
      expect(notebookFromFile(notebookToFile({ notebook, weights: [] })).notebook).to.deep.equal(
        notebook,
      );
    }
    const plain = parseNotebook(defaultNotebook()).cells[2]!;
    expect(plain.kind === 'model' && 'image' in plain.model).to.equal(false);
  });

  it('a broken image model names the field, what was expected and what was received', () => {
    const nice = defaultImageModel('nice', [1, 14, 14]);
    const cases: [unknown, string, RegExp][] = [
      [
        { ...nice, kind: 'spline' },
        'cells[2].model.image.kind',
        /expected one of 'nice', 'realnvp', 'glow', 'flow-matching', 'ddpm', received the text "spline"/,
      ],
      [{ kind: 'nice' }, 'cells[2].model.image.options', /expected an object/],
      [
        { ...nice, options: { ...nice.options, layers: 17 } },
        'cells[2].model.image.options.layers',
        /Coupling layers: a whole number from 1 to 16, received 17/,
      ],
      [
        { ...nice, options: { ...nice.options, prior: 'cauchy' } },
        'cells[2].model.image.options.prior',
        /'logistic', 'gaussian'/,
      ],
      [
        { ...nice, options: { ...nice.options, channels: 8 } },
        'cells[2].model.image.options.channels',
        /no such option \(a 'nice' image model has 'layers', 'hidden', 'hiddenLayers', 'prior'\)/,
      ],
      [
        { kind: 'flow-matching', options: {} },
        'cells[2].model.image.options.channels',
        /U-Net channels/,
      ],
      ['nice', 'cells[2].model.image', /expected an object/],
    ];
    for (const [image, path, message] of cases) {
      const error = errorOf(imageNotebook(image));
      expect(error.path, JSON.stringify(image)).to.equal(path);
      expect(error.message).to.match(message);
    }
  });

  it('a 2-D model on an image set, or an image model on points, is explained both ways', () => {
    const twoD = parseNotebook(imageNotebook());
    const problem = imageDataProblem(twoD, 'model-1');
    expect(problem).to.match(/holds an image set, MNIST 14×14, and the 2-D models learn points/);
    expect(problem).to.match(/Choose an image model in the Model cell/);
    expect(imageDataProblem(twoD, 'train-1')).to.equal(problem);
    const image = parseNotebook(imageNotebook(defaultImageModel('nice', [1, 14, 14])));
    expect(imageDataProblem(image, 'model-1')).to.equal('');
    expect(imageDataProblem(image, 'train-1')).to.equal('');
    const onPoints = parseNotebook(
      imageNotebook(defaultImageModel('nice', [1, 14, 14]), {
        kind: 'builtin',
        name: 'moons',
        seed: 0,
      }),
    );
    expect(imageDataProblem(onPoints, 'train-1')).to.match(
      /holds an image model, NICE on images, but the Data cell “.*” above holds 2-D points/,
    );
    expect(imageDataProblem(defaultNotebook(), 'train-1')).to.equal('');
  });

  it('checks an image cell’s own settings, not the 2-D ones it leaves unused', () => {
    const notebook = parseNotebook(imageNotebook(defaultImageModel('flow-matching', [1, 14, 14])));
    const cell = notebook.cells[2]!;
    if (cell.kind !== 'model') throw new Error('cell 2 is the Model cell');
    const model = { ...cell.model, hidden: 9999 };
    expect(imageSettingsErrors(model, cell.train, [1, 14, 14])).to.deep.equal({});
    const odd = imageSettingsErrors(model, { ...cell.train, batch: 0 }, [1, 7, 7]);
    expect(odd['batch']).to.match(/Batch size must be between 1/);
    expect(odd['shape']).to.match(/height and width must be even; these images are 1×7×7/);
  });
});

function realnvp(scales: number, couplingsPerScale: number, channels: number): ImageModelSettings {
  return { kind: 'realnvp', options: { scales, couplingsPerScale, channels, prior: 'gaussian' } };
}

function glow(levels: number, stepsPerLevel: number, channels: number): ImageModelSettings {
  return { kind: 'glow', options: { levels, stepsPerLevel, channels, prior: 'logistic' } };
}

/** NICE's parameter count by the library's formula, for options over its cap (no validation). */
function libraryNiceParameters(
  shape: ImageShape,
  options: { layers: number; hidden: number; hiddenLayers: number },
): number {
  return niceParameterCount({
    family: 'image-flow',
    kind: 'nice',
    shape: [shape[0], shape[1], shape[2]],
    prior: 'logistic',
    seed: 0,
    ...options,
  });
}
