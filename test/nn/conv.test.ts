import { expect } from '@esm-bundle/chai';
import {
  Conv2d,
  addConv2dParameters,
  type Conv2dShape,
  type Conv2dTuning,
} from '../../src/nn/conv/conv2d';
import { ParameterLayout } from '../../src/nn/parameters';
import { conv2dBackward, conv2dForward, convOutputSize } from '../../src/nn/reference/conv';
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

/** Odd sizes and channel counts that are not multiples of 4 exercise the kernels' edges. */
const CONFIGS: Conv2dShape[] = [
  {
    inputChannels: 3,
    outputChannels: 5,
    height: 6,
    width: 7,
    kernel: 3,
    stride: 1,
    activation: 'silu',
  },
  {
    inputChannels: 3,
    outputChannels: 5,
    height: 6,
    width: 7,
    kernel: 3,
    stride: 2,
    activation: 'silu',
  },
  // Odd height and width: the 3 × 3 stride-1 kernels' last block of two rows has one.
  {
    inputChannels: 5,
    outputChannels: 6,
    height: 5,
    width: 9,
    kernel: 3,
    stride: 1,
    activation: 'tanh',
  },
  {
    inputChannels: 4,
    outputChannels: 3,
    height: 6,
    width: 6,
    kernel: 1,
    stride: 1,
    activation: 'identity',
  },
  // Identity: no delta pass, backward reads dL/dy in place (the 3 × 3 hot and general paths).
  {
    inputChannels: 5,
    outputChannels: 3,
    height: 5,
    width: 9,
    kernel: 3,
    stride: 1,
    activation: 'identity',
  },
  {
    inputChannels: 3,
    outputChannels: 5,
    height: 6,
    width: 7,
    kernel: 3,
    stride: 2,
    activation: 'identity',
  },
  {
    inputChannels: 4,
    outputChannels: 3,
    height: 6,
    width: 6,
    kernel: 1,
    stride: 2,
    activation: 'silu',
  },
];

const describeShape = (s: Conv2dShape) =>
  `${s.kernel}×${s.kernel} stride ${s.stride}, ${s.inputChannels}→${s.outputChannels}, ` +
  `${s.height}×${s.width}, ${s.activation}`;

function setup(shape: Conv2dShape, seed: number) {
  const layout = new ParameterLayout();
  const offset = addConv2dParameters(layout, 'conv', shape);
  // Non-zero biases (the initializer's are zero), so that the bias path is tested too.
  const params = Float64Array.from(layout.initialize(seed));
  const bias = layout.view('conv.bias');
  testValues(bias.length, seed + 3, 0.5).forEach((v, i) => (params[bias.offset + i] = v));
  const x = testValues(BATCH * shape.inputChannels * shape.height * shape.width, seed + 1, 1.5);
  const out = convOutputSize(shape);
  const dy = testValues(BATCH * shape.outputChannels * out.height * out.width, seed + 2, 1);
  return { layout, offset, params, x, dy };
}

/**
 * An independent convolution for the oracle: zero-pad the image explicitly, correlate the
 * padded image with the kernel at every position, keep every stride-th row and column.
 */
function naiveConv(shape: Conv2dShape, params: Float64Array, x: Float64Array): Float64Array {
  const { inputChannels: cin, outputChannels: cout, height: h, width: w, kernel: k } = shape;
  const p = (k - 1) / 2;
  const hp = h + 2 * p;
  const wp = w + 2 * p;
  const result: number[] = [];
  for (let n = 0; n < BATCH; n++) {
    const padded = new Float64Array(cin * hp * wp);
    for (let c = 0; c < cin; c++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++)
          padded[(c * hp + y + p) * wp + xx + p] = x[((n * cin + c) * h + y) * w + xx]!;
    for (let co = 0; co < cout; co++) {
      for (let y = 0; y + k <= hp; y += shape.stride) {
        for (let xx = 0; xx + k <= wp; xx += shape.stride) {
          let sum = params[cout * cin * k * k + co]!;
          for (let c = 0; c < cin; c++)
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++)
                sum +=
                  params[((co * cin + c) * k + i) * k + j]! *
                  padded[(c * hp + y + i) * wp + xx + j]!;
          result.push(sum);
        }
      }
    }
  }
  return Float64Array.from(result);
}

describe('conv2d float64 twin', () => {
  for (const shape of CONFIGS) {
    it(`${describeShape(shape)}: forward equals a naive padded convolution`, () => {
      const { params, x } = setup(shape, 3);
      const identity = { ...shape, activation: 'identity' as const };
      const twin = conv2dForward(params, 0, identity, x, BATCH);
      const naive = naiveConv(shape, params, x);
      expect(twin.y.length).to.equal(naive.length);
      expect(maxRelativeError(twin.y, naive)).to.be.lessThan(1e-13);
    });

    it(`${describeShape(shape)}: backward equals central differences`, () => {
      const { layout, params, x, dy } = setup(shape, 5);
      const loss = (p: Float64Array, input: Float64Array) =>
        conv2dForward(p, 0, shape, input, BATCH).y.reduce((s, v, i) => s + v * dy[i]!, 0);
      const grads = new Float64Array(layout.total);
      const { cache } = conv2dForward(params, 0, shape, x, BATCH);
      const dx = conv2dBackward(params, 0, shape, cache, dy, BATCH, grads);
      const h = 1e-6;
      const central = (values: Float64Array, f: (v: Float64Array) => number) =>
        Array.from(values, (_, i) => {
          const plus = values.slice();
          const minus = values.slice();
          plus[i] = plus[i]! + h;
          minus[i] = minus[i]! - h;
          return (f(plus) - f(minus)) / (2 * h);
        });
      expect(
        normRelativeError(
          dx,
          central(x, (v) => loss(params, v)),
        ),
        'dL/dx',
      ).to.be.lessThan(1e-6);
      expect(
        normRelativeError(
          grads,
          central(params, (v) => loss(v, x)),
        ),
        'dL/dW, dL/db',
      ).to.be.lessThan(1e-6);
    });
  }
});

async function runGpu(shape: Conv2dShape, seed: number, tuning?: Conv2dTuning) {
  const gpu = await testGpu();
  const { layout, offset, params, x, dy } = setup(shape, seed);
  const layer = await Conv2d.create(gpu, shape, tuning);
  const b = {
    params: uploadFloats(gpu, params, 'params'),
    x: uploadFloats(gpu, x, 'x'),
    y: zeros(gpu, layer.outputFloats(BATCH), 'y'),
    cache: zeros(gpu, layer.cacheFloats(BATCH), 'cache'),
    dy: uploadFloats(gpu, dy, 'dy'),
    dx: zeros(gpu, layer.inputFloats(BATCH), 'dx'),
    grads: zeros(gpu, layout.total, 'grads'),
  };
  const bound = layer.bind({
    batch: BATCH,
    params: b.params.binding,
    paramOffset: offset,
    input: b.x.binding,
    output: b.y.binding,
    cache: b.cache.binding,
    gradOutput: b.dy.binding,
    gradInput: b.dx.binding,
    grads: b.grads.binding,
  });
  runPass(gpu, (pass) => {
    bound.encodeForward(pass);
    bound.encodeBackward(pass);
  });
  const [y, dx, grads, cache] = await Promise.all([
    readFloats(gpu, b.y, layer.outputFloats(BATCH)),
    readFloats(gpu, b.dx, layer.inputFloats(BATCH)),
    readFloats(gpu, b.grads, layout.total),
    readFloats(gpu, b.cache, layer.cacheFloats(BATCH)),
  ]);
  bound.dispose();
  Object.values(b).forEach((buffer) => buffer.dispose());
  return { layout, params, x, dy, y, dx, grads, cache };
}

describe('conv2d on the GPU vs the float64 twin', () => {
  const cases = [
    ...CONFIGS.map((shape) => ({ shape, tuning: undefined })),
    // Heights 6 and 5 default to blocks of 2 rows: blocks of 4 end in a partial one (2 rows, 1).
    ...CONFIGS.filter((s) => s.kernel === 3 && s.stride === 1).map((shape) => ({
      shape,
      tuning: { rows: 4 } as const,
    })),
  ];
  for (const { shape, tuning } of cases) {
    const rows = tuning ? `, ${tuning.rows} rows per invocation` : '';
    it(`${describeShape(shape)}${rows}: y, dL/dx, dW, db`, async () => {
      const run = await runGpu(shape, 7, tuning);
      const ref = conv2dForward(run.params, 0, shape, run.x, BATCH);
      const refGrads = new Float64Array(run.layout.total);
      const refDx = conv2dBackward(run.params, 0, shape, ref.cache, run.dy, BATCH, refGrads);
      expect(maxRelativeError(run.y, ref.y), 'y').to.be.lessThan(1e-5);
      expect(maxRelativeError(run.dx, refDx), 'dL/dx').to.be.lessThan(1e-5);
      expect(maxRelativeError(run.grads, refGrads), 'dW, db').to.be.lessThan(1e-5);
    });
  }

  it('two runs agree bit for bit (fixed-order reductions, no atomics)', async () => {
    const shape = CONFIGS[0]!;
    const first = await runGpu(shape, 11);
    const second = await runGpu(shape, 11);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    expect(bits(second.y)).to.deep.equal(bits(first.y));
    expect(bits(second.dx)).to.deep.equal(bits(first.dx));
    expect(bits(second.grads)).to.deep.equal(bits(first.grads));
  });

  it('identity: neither z nor δ is written (backward reads dL/dy in place); silu writes both', async () => {
    const identity = await runGpu(
      CONFIGS.find((s) => s.activation === 'identity')!,
      5,
    );
    expect(identity.cache.every((v) => v === 0)).to.equal(true);
    const silu = await runGpu(CONFIGS[0]!, 5);
    const half = silu.cache.length / 2;
    expect(
      silu.cache.subarray(0, half).some((v) => v !== 0),
      'z',
    ).to.equal(true);
    expect(
      silu.cache.subarray(half).some((v) => v !== 0),
      'δ',
    ).to.equal(true);
  });

  it('says what to do when a shape is not supported', async () => {
    const gpu = await testGpu();
    const bad = { ...CONFIGS[0]!, kernel: 5 as 3 };
    let message = '';
    await Conv2d.create(gpu, bad).catch((e: Error) => (message = e.message));
    expect(message).to.contain('kernel must be 1 or 3, got 5');
  });
});
