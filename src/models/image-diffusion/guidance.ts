/**
 * The network a sampler evaluates, with or without classifier-free guidance: a bound U-Net (or
 * two, the class's and the null class's, joined by shaders/image-diffusion/guidance.wgsl) that
 * reads x and t and writes the prediction. Convention: ε̂ = ε̂(x, ∅) + w (ε̂(x, c) − ε̂(x, ∅)),
 * so w = 0 is the unconditional model and w = 1 the conditional one. Twin: guidedOutput in
 * guidance-reference.ts.
 */
import guidanceSource from '../../../shaders/image-diffusion/guidance.wgsl';
import {
  defineKernel,
  STORAGE_USAGE,
  workgroupsFor,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import type { UNet } from '../../nn/conv/unet';
import { nullClass } from '../../nn/reference/unet';
import type { Guidance } from './guidance-reference';

export const guidanceKernel = defineKernel<number>({
  name: 'image-diffusion/guidance',
  file: 'image-diffusion/guidance.wgsl',
  source: guidanceSource,
  bindings: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  workgroupSize: 64,
  dispatch: (values, wg) => workgroupsFor(values, wg),
});

export interface DenoiserBinding {
  encode(pass: GPUComputePassEncoder): void;
  dispose(): void;
}

/**
 * The U-Net of `weights` on `n` images bound for sampling: reads `input` and `time`, writes
 * `output`; a class-conditional net without guidance runs with the null class.
 */
export async function bindDenoiser(
  runtime: GpuRuntime,
  unet: UNet,
  spec: {
    n: number;
    params: PooledBuffer;
    paramOffset: number;
    input: PooledBuffer;
    time: PooledBuffer;
    output: PooledBuffer;
    /** Floats of input and output (n × C × H × W). */
    values: number;
    guidance: Guidance | undefined;
    label: string;
  },
): Promise<DenoiserBinding> {
  const { pool, device } = runtime;
  const { n, guidance, label } = spec;
  const owned: PooledBuffer[] = [];
  const conditional = Boolean(unet.shape.classes);
  const labels = (values: readonly number[], name: string) => {
    const buffer = pool.upload(new Uint32Array(values), STORAGE_USAGE, `${label} ${name}`);
    owned.push(buffer);
    return buffer.binding;
  };
  const bind = (output: PooledBuffer, classes: readonly number[] | undefined, name: string) =>
    unet.bind(
      {
        batch: n,
        params: spec.params.binding,
        paramOffset: spec.paramOffset,
        input: spec.input.binding,
        time: spec.time.binding,
        output: output.binding,
        ...(classes ? { labels: labels(classes, `${name} labels`) } : {}),
      },
      `${label} ${name}`,
    );
  const nullLabels = conditional ? new Array<number>(n).fill(nullClass(unet.shape)) : undefined;
  if (!guidance) {
    const plain = bind(spec.output, nullLabels, 'u-net');
    return {
      encode: (pass) => plain.encodeForward(pass),
      dispose: () => {
        plain.dispose();
        owned.forEach((buffer) => buffer.dispose());
      },
    };
  }
  const values = spec.values;
  const floats = (name: string) => {
    const buffer = pool.acquire(values * 4, STORAGE_USAGE, `${label} ${name}`);
    owned.push(buffer);
    return buffer;
  };
  const cond = floats('conditional output');
  const uncond = floats('unconditional output');
  const withClass = bind(cond, guidance.classes, 'u-net (class)');
  const withNull = bind(uncond, nullLabels, 'u-net (null class)');
  const kernel = await runtime.pipelines.get(guidanceKernel);
  const words = new Uint32Array(4);
  words[0] = values;
  new Float32Array(words.buffer).set([guidance.scale], 1);
  const uniforms = pool.upload(words, GPUBufferUsage.UNIFORM, `${label} guidance uniforms`);
  owned.push(uniforms);
  const group = kernel.bind(
    device,
    [uniforms.binding, cond.binding, uncond.binding, spec.output.binding],
    `${label} guidance`,
  );
  return {
    encode: (pass) => {
      withNull.encodeForward(pass);
      withClass.encodeForward(pass);
      kernel.encode(pass, group, values);
    },
    dispose: () => {
      withClass.dispose();
      withNull.dispose();
      owned.forEach((buffer) => buffer.dispose());
    },
  };
}
