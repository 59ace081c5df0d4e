import { expect } from '@esm-bundle/chai';
import evalSource from '../../shaders/lib/philox-eval.wgsl';
import { defineKernel, workgroupsFor } from '../../src/gpu';
import { fillRandomCpu, philox4x32_10, type Counter, type Key } from '../../src/rng/philox';
import { fillRandom, PHILOX_LIBRARY } from '../../src/rng/random-fill';
import { testGpu } from '../support/gpu';
import { ksStatistic, mean, normalCdf, variance } from '../support/stats';

// Random123 kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words), expected (4 words).
const KNOWN_ANSWERS: { counter: Counter; key: Key; expected: number[] }[] = [
  {
    counter: [0, 0, 0, 0],
    key: [0, 0],
    expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

const evalKernel = defineKernel<number>({
  name: 'test/philox-eval',
  file: 'lib/philox-eval.wgsl',
  source: evalSource,
  libraries: [PHILOX_LIBRARY],
  bindings: ['read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (n, wg) => workgroupsFor(n, wg),
});

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors on the CPU', () => {
    for (const { counter, key, expected } of KNOWN_ANSWERS) {
      expect(Array.from(philox4x32_10(counter, key))).to.deep.equal(expected);
    }
  });

  it('matches the Random123 known-answer vectors on the GPU', async () => {
    const gpu = await testGpu();
    const input = new Uint32Array(KNOWN_ANSWERS.length * 8);
    KNOWN_ANSWERS.forEach(({ counter, key }, i) => input.set([...counter, ...key, 0, 0], i * 8));
    const inputs = gpu.pool.upload(input, GPUBufferUsage.STORAGE, 'philox kat inputs');
    const outputs = gpu.pool.acquire(
      KNOWN_ANSWERS.length * 16,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'philox kat outputs',
    );
    const kernel = await gpu.pipelines.get(evalKernel);
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    kernel.encode(
      pass,
      kernel.bind(gpu.device, [inputs.binding, outputs.binding]),
      KNOWN_ANSWERS.length,
    );
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const got = await gpu.readback.readUint32(outputs.buffer, 0, KNOWN_ANSWERS.length * 4);
    inputs.dispose();
    outputs.dispose();
    KNOWN_ANSWERS.forEach(({ expected }, i) => {
      expect(Array.from(got.subarray(4 * i, 4 * i + 4))).to.deep.equal(expected);
    });
  });

  it('GPU raw bits and uniforms equal the TypeScript twin bit for bit on 1e5 draws', async () => {
    const gpu = await testGpu();
    const blocks = 25_000;
    for (const kind of ['bits', 'uniform'] as const) {
      const out = await fillRandom(gpu.device, gpu.pipelines, gpu.pool, {
        kind,
        seed: 2 ** 40 + 12345,
        stream: 7,
        step: 3,
        blocks,
      });
      const bytes = await gpu.readback.read(out.buffer, 0, blocks * 16);
      out.dispose();
      const cpu = fillRandomCpu(kind, 2 ** 40 + 12345, 7, 3, blocks);
      const gpuValues = kind === 'bits' ? new Uint32Array(bytes) : new Float32Array(bytes);
      let mismatches = 0;
      for (let i = 0; i < cpu.length; i++) if (gpuValues[i] !== cpu[i]) mismatches++;
      expect(mismatches, `${kind}: values differing from the twin`).to.equal(0);
    }
  });

  it('GPU normals match the twin within f32 rounding and are standard normal (mean, variance, KS)', async () => {
    const gpu = await testGpu();
    const blocks = 25_000;
    const out = await fillRandom(gpu.device, gpu.pipelines, gpu.pool, {
      kind: 'normal',
      seed: 99,
      stream: 1,
      step: 0,
      blocks,
    });
    const values = await gpu.readback.readFloat32(out.buffer, 0, blocks * 4);
    out.dispose();
    const cpu = fillRandomCpu('normal', 99, 1, 0, blocks);
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) {
      worst = Math.max(worst, Math.abs(values[i]! - cpu[i]!));
    }
    // GPU log/sqrt/sin/cos are f32 approximations (WGSL allows a few ulp, more near log(1)):
    // an absolute 1e-3 is far below any statistical effect and far above what a bug produces.
    expect(worst).to.be.lessThan(1e-3);
    const n = values.length;
    // Mean of n standard normals has sd 1/sqrt(n); variance estimate has sd sqrt(2/n). 5-sigma bounds.
    expect(Math.abs(mean(values))).to.be.lessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance(values) - 1)).to.be.lessThan(5 * Math.sqrt(2 / n));
    // KS critical value at the 0.1% level: 1.95 / sqrt(n).
    expect(ksStatistic(values, normalCdf)).to.be.lessThan(1.95 / Math.sqrt(n));
  });

  it('different seeds, streams and steps give different numbers', () => {
    const base = fillRandomCpu('bits', 1, 0, 0, 4);
    expect(Array.from(fillRandomCpu('bits', 2, 0, 0, 4))).not.to.deep.equal(Array.from(base));
    expect(Array.from(fillRandomCpu('bits', 1, 1, 0, 4))).not.to.deep.equal(Array.from(base));
    expect(Array.from(fillRandomCpu('bits', 1, 0, 1, 4))).not.to.deep.equal(Array.from(base));
  });
});
