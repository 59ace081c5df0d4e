/**
 * NICE on the GPU: the kernels (shaders/image-flows/*.wgsl, conditioners from nn/dense.wgsl)
 * and a binding of the whole flow to buffers for one batch size, which records forward (rows
 * y → z, log p and loss terms), inverse (z → y) and backward (parameter gradients of the loss).
 * Twin: nice-reference.ts. Rows are updated in place: after encodeForward `rows` holds h, the
 * couplings' output; encodeInverse leaves y there.
 */
import batchSource from '../../../shaders/image-flows/nice-batch.wgsl';
import couplingSource from '../../../shaders/image-flows/nice-coupling.wgsl';
import scalingSource from '../../../shaders/image-flows/scaling-prior.wgsl';
import {
  defineKernel,
  STORAGE_USAGE,
  workgroupsFor,
  type CompiledKernel,
  type GpuRuntime,
  type PooledBuffer,
} from '../../gpu';
import { FusedMlp } from '../../nn/fused-mlp';
import { DenseLayer } from '../../nn/layers';
import { linearLayers, MAX_HIDDEN_LAYERS, MAX_MLP_WIDTH } from '../../nn/mlp-shape';
import { TRAIN_STATE_LIBRARY } from '../../nn/train-state';
import { PHILOX_LIBRARY } from '../../rng/random-fill';
import { seedKey } from '../../rng/philox';
import { IMAGE_FLOW_PRIORS, niceConditionerShape, niceDims, niceLayout } from './nice-spec';
import type { ResolvedNiceSpec } from './nice-spec';

type Binding = GPUBufferBinding;

const flat = (items: number, workgroupSize: number) => workgroupsFor(items, workgroupSize);

const COUPLING_ENTRIES = [
  'take_conditioning',
  'coupling_forward',
  'coupling_inverse',
  'take_transformed',
  'coupling_backward',
] as const;
type CouplingEntry = (typeof COUPLING_ENTRIES)[number];

const couplingKernel = (entryPoint: CouplingEntry) =>
  defineKernel<number>({
    name: `image-flows/nice-${entryPoint}`,
    file: 'image-flows/nice-coupling.wgsl',
    source: couplingSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: flat,
  });

export const SCALING_ENTRIES = [
  'scale_forward',
  'scale_inverse',
  'scale_backward',
  'prior_sample',
] as const;
export type ScalingEntry = (typeof SCALING_ENTRIES)[number];

export const scalingKernel = (entryPoint: ScalingEntry) =>
  defineKernel<number>({
    name: `image-flows/nice-${entryPoint}`,
    file: 'image-flows/scaling-prior.wgsl',
    source: scalingSource,
    libraries: [PHILOX_LIBRARY],
    entryPoint,
    bindings: [
      'uniform',
      'read-only-storage',
      'storage',
      'storage',
      'read-only-storage',
      'storage',
      'storage',
      'storage',
    ],
    workgroupSize: 64,
    dispatch: flat,
  });

export const niceBatchKernel = defineKernel<number>({
  name: 'image-flows/nice-batch-gather',
  file: 'image-flows/nice-batch.wgsl',
  source: batchSource,
  libraries: [TRAIN_STATE_LIBRARY],
  entryPoint: 'gather',
  bindings: [
    'uniform',
    'read-only-storage',
    'read-only-storage',
    'read-only-storage',
    'storage',
    'storage',
  ],
  workgroupSize: 64,
  dispatch: flat,
});

/** Where a binding reads each row's pre-processing log-det (f32 bits): word b · stride + offset. */
export interface PreLogDetSource {
  buffer: Binding;
  /** 4 (offset 3) for an image sampler's items; 1 (offset 0) for one f32 per row. */
  stride: number;
  offset: number;
}

export interface NiceBindingSpec {
  batch: number;
  params: Binding;
  /** batch × D rows: y before encodeForward, h after; h before encodeInverse's couplings, y after. */
  rows: Binding;
  /** batch × D latents. */
  z: Binding;
  preLogDet: PreLogDetSource;
  /** 2 × batch floats: the loss terms, then log p of each row (nats). */
  perRow: Binding;
  /** With gradients: encodeBackward writes them (chunk 0 for s; dense layers by chunk). */
  grads?: { buffer: Binding; stride: number };
  /** Prior draws (encodeSample). */
  sample?: { seed: number; temperature: number };
}

export interface NiceBinding {
  encodeForward(pass: GPUComputePassEncoder): void;
  /** z → rows (y). */
  encodeInverse(pass: GPUComputePassEncoder): void;
  encodeBackward(pass: GPUComputePassEncoder): void;
  /** z ← temperature · prior draws (then encodeInverse gives the samples). */
  encodeSample(pass: GPUComputePassEncoder): void;
  /** Dispatches of encodeForward + encodeBackward. */
  readonly trainingDispatches: number;
  dispose(): void;
}

interface DenseBound {
  encodeForward(pass: GPUComputePassEncoder): void;
  encodeBackward(pass: GPUComputePassEncoder): void;
  dispose(): void;
}

export class NiceNetwork {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly spec: ResolvedNiceSpec,
    /**
     * The conditioners' kernels: the fused MLP (one dispatch forward, one backward) where the
     * widths allow it (≤ MAX_MLP_WIDTH), else one dense layer per linear layer.
     */
    private readonly conditioner: { fused: FusedMlp } | { dense: DenseLayer[] },
    private readonly coupling: Record<CouplingEntry, CompiledKernel>,
    private readonly scaling: Record<ScalingEntry, CompiledKernel>,
  ) {}

  static async create(runtime: GpuRuntime, spec: ResolvedNiceSpec): Promise<NiceNetwork> {
    const mlp = niceConditionerShape(spec);
    const fits =
      Math.max(mlp.inputs, mlp.hidden) <= MAX_MLP_WIDTH && mlp.hiddenLayers <= MAX_HIDDEN_LAYERS;
    const [conditioner, coupling, scaling] = await Promise.all([
      fits
        ? FusedMlp.create(runtime, mlp, { gradInput: true }).then((fused) => ({ fused }))
        : Promise.all(
            linearLayers(mlp).map((layer, j) =>
              DenseLayer.create(runtime, {
                inputs: layer.inputs,
                outputs: layer.outputs,
                activation: j === mlp.hiddenLayers ? 'identity' : 'relu',
              }),
            ),
          ).then((dense) => ({ dense })),
      Promise.all(COUPLING_ENTRIES.map((e) => runtime.pipelines.get(couplingKernel(e)))),
      Promise.all(SCALING_ENTRIES.map((e) => runtime.pipelines.get(scalingKernel(e)))),
    ]);
    const byName = <E extends string>(names: readonly E[], kernels: CompiledKernel[]) =>
      Object.fromEntries(names.map((n, i) => [n, kernels[i]!])) as Record<E, CompiledKernel>;
    return new NiceNetwork(
      runtime,
      spec,
      conditioner,
      byName(COUPLING_ENTRIES, coupling),
      byName(SCALING_ENTRIES, scaling),
    );
  }

  /** Gradient chunks of the dense layers' weight gradients at this batch size. */
  gradientChunks(batch: number): number {
    const c = this.conditioner;
    return 'fused' in c ? c.fused.chunks(batch) : Math.max(...c.dense.map((d) => d.chunks(batch)));
  }

  bind(spec: NiceBindingSpec, label: string): NiceBinding {
    const { runtime } = this;
    const { pool, device } = runtime;
    const { batch } = spec;
    const dims = niceDims(this.spec);
    const half = dims / 2;
    const mlp = niceConditionerShape(this.spec);
    const { conditioners, scale } = niceLayout(this.spec);
    const owned: PooledBuffer[] = [];
    const floats = (n: number, name: string) => {
      const buffer = pool.acquire(Math.max(4, n) * 4, STORAGE_USAGE, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    const uniform = (words: Uint32Array, name: string) => {
      const buffer = pool.upload(words, GPUBufferUsage.UNIFORM, `${label} ${name}`);
      owned.push(buffer);
      return buffer.binding;
    };
    const train = spec.grads !== undefined;
    const widths = linearLayers(mlp).map((layer) => layer.outputs);
    const c = this.conditioner;
    // Per coupling: the conditioner's input and caches (the weight gradients read them); m and
    // the gradient scratch are shared by all couplings.
    const m = floats(batch * half, 'm(x_a)');
    const gradM = train ? floats(batch * half, 'dL/dm') : undefined;
    const gradXa = train ? floats(batch * half, 'dL/dx_a') : undefined;
    const gradHidden =
      train && 'dense' in c
        ? widths.slice(0, -1).map((w, j) => floats(batch * w, `dL/dhidden ${j}`))
        : [];
    const gradRows = train ? floats(batch * dims, 'dL/dh') : floats(4, 'no dL/dh');
    const trainingGrads = (gradOutput: Binding, gradInput: Binding) =>
      train
        ? { gradOutput, gradInput, grads: spec.grads!.buffer, gradStride: spec.grads!.stride }
        : {};
    const couplings = conditioners.map((offset, l) => {
      const input = floats(batch * half, `x_a ${l}`);
      let dense: DenseBound[];
      if ('fused' in c) {
        const bound = c.fused.bind(
          {
            batch,
            params: spec.params,
            paramOffset: offset,
            input,
            output: m,
            cache: floats(c.fused.cacheFloats(batch), `conditioner cache ${l}`),
            ...trainingGrads(gradM!, gradXa!),
          },
          `${label} conditioner ${l}`,
        );
        dense = [
          {
            encodeForward: (pass) => bound.encodeForward(pass, train),
            encodeBackward: (pass) => bound.encodeBackward(pass),
            dispose: () => bound.dispose(),
          },
        ];
      } else {
        const hidden = widths.slice(0, -1).map((w, j) => floats(batch * w, `hidden ${l}.${j}`));
        const acts = [input, ...hidden, m];
        const gradActs = train ? [gradXa!, ...gradHidden, gradM!] : [];
        const layers = linearLayers(mlp);
        dense = c.dense.map((layer, j) =>
          layer.bind({
            batch,
            params: spec.params,
            paramOffset: offset + layers[j]!.weightOffset,
            input: acts[j]!,
            output: acts[j + 1]!,
            cache: floats(layer.cacheFloats(batch), `dense cache ${l}.${j}`),
            ...trainingGrads(gradActs[j + 1]!, gradActs[j]!),
          }),
        );
      }
      const u = uniform(new Uint32Array([batch, dims, l % 2, 0]), `coupling ${l} uniforms`);
      const group = (from: Binding, to: Binding, name: string) =>
        this.coupling.take_conditioning.bind(device, [u, from, to], `${label} ${name} ${l}`);
      return {
        dense,
        takeConditioning: group(spec.rows, input, 'x_a'),
        addM: group(m, spec.rows, 'y_b = x_b ± m'),
        takeTransformed: train ? group(gradRows, gradM!, 'dL/dm') : undefined,
        addGradXa: train ? group(gradXa!, gradRows, 'dL/dx_a') : undefined,
      };
    });
    const seed = seedKey(spec.sample?.seed ?? 0);
    const scalingWords = new Uint32Array(12);
    scalingWords.set([
      batch,
      dims,
      scale,
      IMAGE_FLOW_PRIORS.indexOf(this.spec.prior),
      0,
      spec.preLogDet.stride,
      spec.preLogDet.offset,
      0,
      seed[0],
      seed[1],
    ]);
    const scalingFloats = new Float32Array(scalingWords.buffer);
    scalingFloats[4] = 1 / (dims * Math.LN2 * batch);
    scalingFloats[7] = spec.sample?.temperature ?? 1;
    const scalingGroup = this.scaling.scale_forward.bind(
      device,
      [
        uniform(scalingWords, 'scaling uniforms'),
        spec.params,
        spec.rows,
        spec.z,
        spec.preLogDet.buffer,
        spec.perRow,
        gradRows,
        spec.grads?.buffer ?? floats(4, 'no gradients'),
      ],
      `${label} scaling and prior`,
    );
    const { coupling, scaling } = this;
    const halfValues = batch * half;
    return {
      encodeForward(pass) {
        for (const c of couplings) {
          coupling.take_conditioning.encode(pass, c.takeConditioning, halfValues);
          for (const d of c.dense) d.encodeForward(pass);
          coupling.coupling_forward.encode(pass, c.addM, halfValues);
        }
        scaling.scale_forward.encode(pass, scalingGroup, batch);
      },
      encodeInverse(pass) {
        scaling.scale_inverse.encode(pass, scalingGroup, batch * dims);
        for (let l = couplings.length - 1; l >= 0; l--) {
          const c = couplings[l]!;
          coupling.take_conditioning.encode(pass, c.takeConditioning, halfValues);
          for (const d of c.dense) d.encodeForward(pass);
          coupling.coupling_inverse.encode(pass, c.addM, halfValues);
        }
      },
      encodeBackward(pass) {
        if (!train) throw new Error(`${label} was bound without gradients: pass grads to bind().`);
        scaling.scale_backward.encode(pass, scalingGroup, dims);
        for (let l = couplings.length - 1; l >= 0; l--) {
          const c = couplings[l]!;
          coupling.take_transformed.encode(pass, c.takeTransformed!, halfValues);
          for (let j = c.dense.length - 1; j >= 0; j--) c.dense[j]!.encodeBackward(pass);
          coupling.coupling_backward.encode(pass, c.addGradXa!, halfValues);
        }
      },
      encodeSample(pass) {
        scaling.prior_sample.encode(pass, scalingGroup, Math.ceil((batch * dims) / 4));
      },
      // Per coupling: take x_a and add m (forward), take dL/dm and add dL/dx_a (backward), and
      // the conditioner's own (fused: forward, backward and one weight gradient per linear
      // layer; dense: 3 per layer); then the scaling forward and backward.
      trainingDispatches:
        couplings.length * (4 + ('fused' in c ? c.fused.trainingDispatches : 3 * c.dense.length)) +
        2,
      dispose() {
        for (const c of couplings) for (const d of c.dense) d.dispose();
        for (const buffer of owned) buffer.dispose();
        owned.length = 0;
      },
    };
  }
}
