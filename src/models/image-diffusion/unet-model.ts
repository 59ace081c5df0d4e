/**
 * What the image diffusion models (flow matching, DDPM) share: the U-Net, its flat parameter
 * buffer and an optional EMA of those parameters (the weights samplers read by default once
 * training left one), read and written whole.
 */
import { STORAGE_USAGE, type GpuRuntime, type PooledBuffer } from '../../gpu';
import { UNet, addUNetParameters, type UNetShape } from '../../nn/conv/unet';
import { readParameters, writeParameters } from '../../nn/parameter-buffer';
import { ParameterLayout } from '../../nn/parameters';

/** Which weights a sampler reads: the trained parameters or their EMA. */
export type ImageWeights = 'params' | 'ema';

// STORAGE_USAGE already holds COPY_SRC | COPY_DST (read back, written whole). Not GPUBufferUsage:
// this module loads in the CPU backend's worker too, where WebGPU's globals do not exist.
const PARAM_USAGE = STORAGE_USAGE;

export interface UNetWeights {
  unet: UNet;
  layout: ParameterLayout;
  offset: number;
  params: PooledBuffer;
}

/** The U-Net, its parameter layout and the initial weights of `seed` on the GPU. */
export async function createUNetWeights(
  runtime: GpuRuntime,
  shape: UNetShape,
  seed: number,
  label: string,
): Promise<UNetWeights> {
  const layout = new ParameterLayout();
  const offset = addUNetParameters(layout, 'unet', shape);
  const unet = await UNet.create(runtime, shape);
  const params = runtime.pool.upload(layout.initialize(seed), PARAM_USAGE, `${label} params`);
  return { unet, layout, offset, params };
}

export class ImageUNetModel {
  protected disposed = false;
  private ema: PooledBuffer | undefined;
  readonly unet: UNet;
  readonly layout: ParameterLayout;
  /** Offset of the U-Net's parameters in the flat buffer. */
  readonly offset: number;
  readonly params: PooledBuffer;

  protected constructor(
    readonly runtime: GpuRuntime,
    weights: UNetWeights,
    private readonly label: string,
  ) {
    ({ unet: this.unet, layout: this.layout, offset: this.offset, params: this.params } = weights);
  }

  get parameterCount(): number {
    return this.layout.total;
  }

  /** Values per image (C × H × W). */
  get dims(): number {
    const { channels, height, width } = this.unet.shape;
    return channels * height * width;
  }

  /** Whether an EMA of the weights is held (after training with one, or importParams(…, 'ema')). */
  get hasEma(): boolean {
    return this.ema !== undefined;
  }

  /** The buffer a sampler binds: `which` (default: the EMA when one is held, else the params). */
  protected weightsBuffer(which?: ImageWeights): PooledBuffer {
    if (this.disposed) throw new Error('This image model was disposed; create a new one.');
    const chosen = which ?? (this.ema ? 'ema' : 'params');
    if (chosen !== 'params' && chosen !== 'ema') {
      throw new RangeError(`weights must be 'params' or 'ema', got ${JSON.stringify(which)}.`);
    }
    if (chosen === 'ema' && !this.ema) {
      throw new Error(
        "No EMA weights: train with optimizer.emaDecay > 0, or importParams(values, 'ema').",
      );
    }
    return chosen === 'ema' ? this.ema! : this.params;
  }

  /** The parameters, or their EMA ('ema': the parameters when none is held). */
  exportParams(which: ImageWeights = 'params'): Promise<Float32Array> {
    const buffer = which === 'ema' && this.ema ? this.ema : this.params;
    return readParameters(this.runtime, buffer.buffer, this.parameterCount);
  }

  /** Replaces the parameters, or the EMA the samplers read (made on first use). */
  importParams(values: Float32Array, which: ImageWeights = 'params'): void {
    if (which === 'ema') {
      this.ema ??= this.runtime.pool.acquire(
        this.parameterCount * 4,
        PARAM_USAGE,
        `${this.label} EMA params`,
      );
    }
    const target = which === 'ema' ? this.ema! : this.params;
    writeParameters(this.runtime, target.buffer, values, this.parameterCount);
  }

  /** Drops the EMA: samplers read the parameters again. */
  clearEma(): void {
    this.ema?.dispose();
    this.ema = undefined;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
    this.clearEma();
  }
}
