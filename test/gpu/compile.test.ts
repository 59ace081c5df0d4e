/**
 * A device lost while compiling is a device loss, never "fix the WGSL": the failures Chromium
 * gives when a worker's WebGPU instance is dropped (getCompilationInfo and popErrorScope reject
 * with "Instance dropped …", device.lost resolves with reason 'destroyed') are replayed on a
 * stand-in device, since a real one cannot be made to drop its instance on demand. Real WGSL
 * errors on the real device are tested in kernel.test.ts and render.test.ts.
 */
import { expect } from '@esm-bundle/chai';
import {
  GpuDeviceLostError,
  ShaderError,
  createCheckedModule,
  settlePipeline,
  type CompileSource,
} from '../../src/gpu';

const SOURCE: CompileSource = {
  key: 'flows/base-to_model',
  code: '@compute @workgroup_size(1) fn main() {}',
  segments: [{ file: 'flows/base.wgsl', firstLine: 1, lineCount: 1 }],
  file: 'flows/base.wgsl',
};

interface Behaviour {
  compilationInfo: () => Promise<GPUCompilationInfo>;
  scope: () => Promise<GPUError | null>;
  /** undefined: the device is never lost. */
  lost?: GPUDeviceLostInfo;
}

/** The few GPUDevice members the compile path touches, behaving as `b` says. */
function standIn(b: Behaviour): GPUDevice {
  return {
    lost: b.lost ? Promise.resolve(b.lost) : new Promise(() => undefined),
    pushErrorScope: () => undefined,
    popErrorScope: b.scope,
    createShaderModule: () => ({ getCompilationInfo: b.compilationInfo }),
  } as unknown as GPUDevice;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const dropped = (where: string) => () =>
  Promise.reject(new DOMException(`Instance dropped in ${where}`, 'OperationError'));
const destroyed = { reason: 'destroyed', message: 'Device was destroyed.' } as GPUDeviceLostInfo;

describe('compiling on a lost device', () => {
  let unhandled: unknown[] = [];
  const record = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
  beforeEach(() => {
    unhandled = [];
    window.addEventListener('unhandledrejection', record);
  });
  afterEach(() => window.removeEventListener('unhandledrejection', record));

  it('a dropped instance is the loss (reason from device.lost), and no rejection goes unhandled', async () => {
    const device = standIn({
      compilationInfo: dropped('getCompilationInfo'),
      scope: dropped('popErrorScope'),
      lost: destroyed,
    });
    const error = await failure(createCheckedModule(device, SOURCE));
    expect(error).to.be.instanceOf(GpuDeviceLostError);
    expect(error).not.to.be.instanceOf(ShaderError);
    expect((error as GpuDeviceLostError).reason).to.equal('destroyed');
    expect(error.message).to.equal(
      'The GPU device was lost (destroyed): Device was destroyed. Acquire a new device and ' +
        'rebuild from the last checkpoint.',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).to.deep.equal([]);
  });

  it('a dropped instance whose device.lost never comes is still a loss, named by its message', async () => {
    const device = standIn({
      compilationInfo: dropped('getCompilationInfo'),
      scope: async () => null,
    });
    const error = await failure(createCheckedModule(device, SOURCE));
    expect(error).to.be.instanceOf(GpuDeviceLostError);
    expect((error as GpuDeviceLostError).reason).to.equal('unknown');
    expect(error.message).to.contain('Instance dropped in getCompilationInfo');
  });

  it('a validation error without a compiler message on a lost device is the loss', async () => {
    const device = standIn({
      compilationInfo: async () => ({ messages: [] }) as unknown as GPUCompilationInfo,
      scope: async () => ({ message: 'Invalid ShaderModule' }) as GPUError,
      lost: destroyed,
    });
    expect(await failure(createCheckedModule(device, SOURCE))).to.be.instanceOf(GpuDeviceLostError);
  });

  it('the same error on a live device is a ShaderError that does not point into the WGSL', async () => {
    const device = standIn({
      compilationInfo: async () => ({ messages: [] }) as unknown as GPUCompilationInfo,
      scope: async () => ({ message: 'Invalid ShaderModule' }) as GPUError,
    });
    const error = await failure(createCheckedModule(device, SOURCE));
    expect(error).to.be.instanceOf(ShaderError);
    expect(error.message).to.contain('flows/base.wgsl: Invalid ShaderModule');
    expect(error.message).not.to.contain('positions above');
    expect(error.message).to.contain('The compiler gave no position');
  });

  it('a pipeline refused on a lost device is the loss; on a live one a ShaderError', async () => {
    const refused = () => Promise.reject(new Error('Pipeline creation failed'));
    const lost = await failure(
      settlePipeline(standIn({ ...noModule, lost: destroyed }), SOURCE, refused()),
    );
    expect(lost).to.be.instanceOf(GpuDeviceLostError);
    const live = await failure(settlePipeline(standIn(noModule), SOURCE, refused()));
    expect(live).to.be.instanceOf(ShaderError);
    const scoped = await failure(
      settlePipeline(standIn(noModule), SOURCE, Promise.resolve({}), dropped('popErrorScope')()),
    );
    expect(scoped).to.be.instanceOf(GpuDeviceLostError);
  });
});

const noModule: Behaviour = {
  compilationInfo: async () => ({ messages: [] }) as unknown as GPUCompilationInfo,
  scope: async () => null,
};
