import { expect } from '@esm-bundle/chai';
import copyScaleSource from '../../shaders/lib/copy-scale.wgsl';
import {
  ShaderError,
  assembleSource,
  defineKernel,
  kernelKey,
  workgroupsFor,
  MAX_WORKGROUPS_PER_DIMENSION,
} from '../../src/gpu';
import { testGpu } from '../support/gpu';

const copyScale = defineKernel<number>({
  name: 'test/copy-scale',
  file: 'lib/copy-scale.wgsl',
  source: copyScaleSource,
  bindings: ['read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (n, wg) => workgroupsFor(n, wg),
});

// A library of 3 lines, then a kernel whose 4th line has a type error (f32 assigned to u32).
const BROKEN_LIBRARY = {
  file: 'lib/helper.wgsl',
  source: 'fn helper() -> f32 {\n  return 1.0;\n}',
};
const BROKEN_SOURCE = [
  '@group(0) @binding(0) var<storage, read_write> out: array<u32>;',
  '@compute @workgroup_size(1)',
  'fn main() {',
  '  let bad: u32 = helper();',
  '  out[0] = bad;',
  '}',
].join('\n');

describe('kernels and the pipeline cache', () => {
  it('turns a broken WGSL into a ShaderError with the kernel name and the line in its own file', async () => {
    const gpu = await testGpu();
    const broken = defineKernel({
      name: 'test/broken',
      file: 'test/broken.wgsl',
      source: BROKEN_SOURCE,
      libraries: [BROKEN_LIBRARY],
      bindings: ['storage'],
      workgroupSize: 1,
      dispatch: () => [1, 1, 1],
    });
    let caught: unknown;
    try {
      await gpu.pipelines.get(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ShaderError);
    const error = caught as ShaderError;
    expect(error.kernel).to.equal('test/broken');
    const first = error.messages.find((m) => m.type === 'error');
    expect(first, 'an error message').not.to.equal(undefined);
    expect(first!.file).to.equal('test/broken.wgsl');
    expect(first!.line).to.equal(4);
    expect(first!.column).to.be.greaterThan(0);
    expect(error.message).to.contain('test/broken.wgsl:4:');
  });

  it('compiles each (name, constants) once, sharing in-flight compiles', async () => {
    const gpu = await testGpu();
    const before = gpu.pipelines.compileCount;
    const [a, b, c] = await Promise.all([
      gpu.pipelines.get(copyScale, { SCALE: 2.5 }),
      gpu.pipelines.get(copyScale, { SCALE: 2.5 }),
      gpu.pipelines.get(copyScale, { SCALE: -1 }),
    ]);
    expect(a).to.equal(b);
    expect(a).not.to.equal(c);
    expect(gpu.pipelines.compileCount - before).to.equal(2);
    expect(a.pipeline.label).to.equal('test/copy-scale[SCALE=2.5]');
  });

  it('runs a kernel with substituted constants, folding large dispatches into y', async () => {
    const gpu = await testGpu();
    const n = 64 * MAX_WORKGROUPS_PER_DIMENSION + 100; // needs two rows of workgroups
    expect(workgroupsFor(n, 64)[1]).to.equal(2);
    const input = new Float32Array(n).map((_, i) => (i % 1000) - 500);
    const source = gpu.pool.upload(input, GPUBufferUsage.STORAGE, 'copy-scale input');
    const target = gpu.pool.acquire(
      n * 4,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      'copy-scale output',
    );
    const kernel = await gpu.pipelines.get(copyScale, { SCALE: 2.5 });
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    kernel.encode(pass, kernel.bind(gpu.device, [source.binding, target.binding]), n);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
    const out = await gpu.readback.readFloat32(target.buffer, 0, n);
    source.dispose();
    target.dispose();
    let wrong = 0;
    for (let i = 0; i < n; i++) if (out[i] !== input[i]! * 2.5) wrong++;
    expect(wrong).to.equal(0);
  });

  it('rejects missing and unused constants with the names involved', () => {
    expect(() => assembleSource(copyScale, {}, 64)).to.throw(/uses \{\{SCALE\}\}/);
    expect(() => assembleSource(copyScale, { SCALE: 1, SCAEL: 2 }, 64)).to.throw(
      /SCAEL are not used/,
    );
  });

  it('keys the cache independently of constant order', () => {
    expect(kernelKey('k', { A: 1, B: 2 })).to.equal(kernelKey('k', { B: 2, A: 1 }));
  });
});
