import { expect } from '@esm-bundle/chai';
import { Resample2x2, type ResampleKind } from '../../src/nn/conv/resample';
import { TimeAdd } from '../../src/nn/conv/time-add';
import {
  avgPool2Backward,
  avgPool2Forward,
  squeeze,
  timeAddBackward,
  timeAddForward,
  unsqueeze,
  upsample2Backward,
  upsample2Forward,
  type MapShape,
} from '../../src/nn/reference/image';
import { normRelativeError } from '../models/flows/layer-checks';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';

const BATCH = 2;
const SHAPE: MapShape = { channels: 3, height: 6, width: 6 };
const LARGE = BATCH * 3 * 6 * 6;

const TWINS: Record<
  ResampleKind,
  {
    forward: (x: ArrayLike<number>) => Float64Array;
    backward: (dy: ArrayLike<number>) => Float64Array;
  }
> = {
  squeeze: {
    forward: (x) => squeeze(SHAPE, x, BATCH),
    backward: (dy) => unsqueeze(SHAPE, dy, BATCH),
  },
  unsqueeze: {
    forward: (x) => unsqueeze(SHAPE, x, BATCH),
    backward: (dy) => squeeze(SHAPE, dy, BATCH),
  },
  'avg-pool': {
    forward: (x) => avgPool2Forward(SHAPE, x, BATCH),
    backward: (dy) => avgPool2Backward(SHAPE, dy, BATCH),
  },
  upsample: {
    forward: (x) => upsample2Forward(SHAPE, x, BATCH),
    backward: (dy) => upsample2Backward(SHAPE, dy, BATCH),
  },
};

/** Gradient of L = Σ r ⊙ f(x) by central differences. */
function centralGradient(f: (x: Float64Array) => Float64Array, x: Float64Array, r: Float64Array) {
  const loss = (v: Float64Array) => f(v).reduce((s, y, i) => s + y * r[i]!, 0);
  return Array.from(x, (_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] = plus[i]! + 1e-6;
    minus[i] = minus[i]! - 1e-6;
    return (loss(plus) - loss(minus)) / 2e-6;
  });
}

describe('squeeze / unsqueeze (space ↔ channels, 2 × 2)', () => {
  it('known answer: a 1 × 4 × 4 map becomes 4 × 2 × 2 in Glow order', () => {
    const x = Array.from({ length: 16 }, (_, i) => i);
    const y = squeeze({ channels: 1, height: 4, width: 4 }, x, 1);
    // Channel 2·dy + dx holds the pixels (2i + dy, 2j + dx).
    expect(Array.from(y)).to.deep.equal([0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15]);
  });

  it('twin: unsqueeze ∘ squeeze and squeeze ∘ unsqueeze are the identity, exactly', () => {
    const x = testValues(LARGE, 21, 3);
    expect(Array.from(unsqueeze(SHAPE, squeeze(SHAPE, x, BATCH), BATCH))).to.deep.equal(
      Array.from(x),
    );
    expect(Array.from(squeeze(SHAPE, unsqueeze(SHAPE, x, BATCH), BATCH))).to.deep.equal(
      Array.from(x),
    );
  });

  it('GPU: squeeze equals the twin exactly, and unsqueeze gives the input back bit for bit', async () => {
    const gpu = await testGpu();
    const x = Float32Array.from(testValues(LARGE, 22, 3));
    const [sq, unsq] = await Promise.all([
      Resample2x2.create(gpu, 'squeeze', SHAPE),
      Resample2x2.create(gpu, 'unsqueeze', SHAPE),
    ]);
    const b = {
      x: uploadFloats(gpu, x, 'x'),
      y: zeros(gpu, LARGE, 'y'),
      back: zeros(gpu, LARGE, 'back'),
    };
    const first = sq.bind({ batch: BATCH, input: b.x.binding, output: b.y.binding });
    const second = unsq.bind({ batch: BATCH, input: b.y.binding, output: b.back.binding });
    runPass(gpu, (pass) => {
      first.encodeForward(pass);
      second.encodeForward(pass);
    });
    const [y, back] = await Promise.all([
      readFloats(gpu, b.y, LARGE),
      readFloats(gpu, b.back, LARGE),
    ]);
    first.dispose();
    second.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    expect(Array.from(y)).to.deep.equal(Array.from(squeeze(SHAPE, x, BATCH)));
    expect(Array.from(back)).to.deep.equal(Array.from(x));
  });
});

describe('2 × 2 layers: GPU vs twin, twin backward vs finite differences', () => {
  for (const kind of ['squeeze', 'unsqueeze', 'avg-pool', 'upsample'] as const) {
    it(`${kind}: forward and dL/dx`, async () => {
      const gpu = await testGpu();
      const layer = await Resample2x2.create(gpu, kind, SHAPE);
      const nIn = layer.inputFloats(BATCH);
      const nOut = layer.outputFloats(BATCH);
      const x = testValues(nIn, 23, 2);
      const dy = testValues(nOut, 24, 1);
      const b = {
        x: uploadFloats(gpu, x, 'x'),
        y: zeros(gpu, nOut, 'y'),
        dy: uploadFloats(gpu, dy, 'dy'),
        dx: zeros(gpu, nIn, 'dx'),
      };
      const bound = layer.bind({
        batch: BATCH,
        input: b.x.binding,
        output: b.y.binding,
        gradOutput: b.dy.binding,
        gradInput: b.dx.binding,
      });
      runPass(gpu, (pass) => {
        bound.encodeForward(pass);
        bound.encodeBackward(pass);
      });
      const [y, dx] = await Promise.all([readFloats(gpu, b.y, nOut), readFloats(gpu, b.dx, nIn)]);
      bound.dispose();
      Object.values(b).forEach((buffer) => buffer.dispose());
      const twin = TWINS[kind];
      expect(maxRelativeError(y, twin.forward(x)), 'y').to.be.lessThan(1e-6);
      expect(maxRelativeError(dx, twin.backward(dy)), 'dx').to.be.lessThan(1e-6);
      expect(
        normRelativeError(twin.backward(dy), centralGradient(twin.forward, x, dy)),
      ).to.be.lessThan(1e-6);
    });
  }

  it('says what to do with odd sizes', async () => {
    const gpu = await testGpu();
    let message = '';
    await Resample2x2.create(gpu, 'avg-pool', { channels: 1, height: 5, width: 6 }).catch(
      (e: Error) => (message = e.message),
    );
    expect(message).to.contain('even height and width, got 5 × 6');
  });
});

describe('time-embedding add', () => {
  it('GPU vs twin (y, dL/de), twin vs finite differences, dL/de bit for bit twice', async () => {
    const gpu = await testGpu();
    const layer = await TimeAdd.create(gpu, SHAPE);
    const x = testValues(LARGE, 25, 2);
    const e = testValues(BATCH * SHAPE.channels, 26, 1);
    const dy = testValues(LARGE, 27, 1);
    const b = {
      x: uploadFloats(gpu, x, 'x'),
      e: uploadFloats(gpu, e, 'e'),
      y: zeros(gpu, LARGE, 'y'),
      dy: uploadFloats(gpu, dy, 'dy'),
      de: zeros(gpu, BATCH * SHAPE.channels, 'de'),
      de2: zeros(gpu, BATCH * SHAPE.channels, 'de again'),
    };
    const spec = { batch: BATCH, input: b.x.binding, embedding: b.e.binding, output: b.y.binding };
    const bound = layer.bind({ ...spec, gradOutput: b.dy.binding, gradEmbedding: b.de.binding });
    const again = layer.bind({ ...spec, gradOutput: b.dy.binding, gradEmbedding: b.de2.binding });
    runPass(gpu, (pass) => {
      bound.encodeForward(pass);
      bound.encodeBackward(pass);
      again.encodeBackward(pass);
    });
    const planes = BATCH * SHAPE.channels;
    const [y, de, de2] = await Promise.all([
      readFloats(gpu, b.y, LARGE),
      readFloats(gpu, b.de, planes),
      readFloats(gpu, b.de2, planes),
    ]);
    bound.dispose();
    again.dispose();
    Object.values(b).forEach((buffer) => buffer.dispose());
    expect(maxRelativeError(y, timeAddForward(SHAPE, x, e, BATCH)), 'y').to.be.lessThan(1e-6);
    const refDe = timeAddBackward(SHAPE, dy, BATCH);
    expect(maxRelativeError(de, refDe), 'de').to.be.lessThan(1e-5);
    expect(Array.from(new Uint32Array(de2.buffer, de2.byteOffset, de2.length))).to.deep.equal(
      Array.from(new Uint32Array(de.buffer, de.byteOffset, de.length)),
    );
    const fdE = centralGradient((v) => timeAddForward(SHAPE, x, v, BATCH), e, dy);
    expect(normRelativeError(refDe, fdE), 'dL/de vs differences').to.be.lessThan(1e-6);
    const fdX = centralGradient((v) => timeAddForward(SHAPE, v, e, BATCH), x, dy);
    expect(normRelativeError(dy, fdX), 'dL/dx = dL/dy').to.be.lessThan(1e-6);
  });
});
