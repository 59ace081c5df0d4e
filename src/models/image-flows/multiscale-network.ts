/**
 * RealNVP and Glow on the GPU: the kernels of every operation of the plan (multiscale-spec.ts) and
 * a binding of the whole flow to buffers for one batch size, which records forward (y → z with the
 * per-scale latents, log p and the loss terms), inverse (z → y), backward (the parameter gradients
 * of the loss) and the prior draws. The binding has the shape of NICE's (nice-network.ts), so
 * that NiceModel, its training task and the lab drive both. Twin: multiscale-reference.ts.
 *
 * Each operation i reads map i and writes map i + 1 (map 0 is `rows`); the backward pass keeps
 * one gradient map per map. The latents are gathered into one batch × D buffer (each image's
 * latents in the order they leave), which the prior (scaling-prior.wgsl with its scales bound
 * to zeros) turns into log p, the loss terms and dL/dz.
 */
import couplingSource from '../../../shaders/image-flows/affine-coupling.wgsl';
import invConvSource from '../../../shaders/image-flows/invconv.wgsl';
import plumbingSource from '../../../shaders/image-flows/multiscale-plumbing.wgsl';
import { defineKernel, workgroupsFor, type CompiledKernel, type GpuRuntime } from '../../gpu';
import { ActNorm } from '../../nn/conv/act-norm';
import { Conv2d } from '../../nn/conv/conv2d';
import { TaskBuffers } from '../../nn/conv/image-task-parts';
import { Resample2x2 } from '../../nn/conv/resample';
import type { MapShape } from '../../nn/reference/image';
import { seedKey } from '../../rng/philox';
import { conditionerShapes } from './flow-layers-reference';
import {
  bindOpSteps,
  COUPLING_ENTRIES,
  INVCONV_ENTRIES,
  type CouplingEntry,
  type InvConvEntry,
  type OpKernels,
  type OpSteps,
  type PlumbingEntry,
  type Step,
} from './multiscale-op-steps';
import {
  multiscaleDims,
  multiscalePlan,
  type MultiscaleOp,
  type ResolvedMultiscaleSpec,
} from './multiscale-spec';
import { IMAGE_FLOW_PRIORS } from './nice-spec';
import {
  SCALING_ENTRIES,
  scalingKernel,
  type NiceBinding,
  type NiceBindingSpec,
  type ScalingEntry,
} from './nice-network';

type Binding = GPUBufferBinding;
const FIVE = [
  'uniform',
  'read-only-storage',
  'read-only-storage',
  'read-only-storage',
  'storage',
] as const;

const couplingKernel = (entryPoint: CouplingEntry) =>
  defineKernel<number>({
    name: `image-flows/affine-coupling-${entryPoint}`,
    file: 'image-flows/affine-coupling.wgsl',
    source: couplingSource,
    entryPoint,
    bindings: FIVE,
    workgroupSize: 64,
    dispatch: workgroupsFor,
  });

const invConvKernel = (entryPoint: InvConvEntry) =>
  defineKernel<number>({
    name: `image-flows/invconv-${entryPoint}`,
    file: 'image-flows/invconv.wgsl',
    source: invConvSource,
    entryPoint,
    bindings: FIVE,
    workgroupSize: 64,
    dispatch: workgroupsFor,
  });

const PLUMBING_ENTRIES: readonly PlumbingEntry[] = [
  'copy',
  'log_det_params',
  'log_det_params_grad',
];
const plumbingKernel = (entryPoint: PlumbingEntry) =>
  defineKernel<number>({
    name: `image-flows/multiscale-${entryPoint}`,
    file: 'image-flows/multiscale-plumbing.wgsl',
    source: plumbingSource,
    entryPoint,
    bindings: ['uniform', 'read-only-storage', 'storage'],
    workgroupSize: 64,
    dispatch: workgroupsFor,
  });

const byName = <E extends string>(names: readonly E[], kernels: CompiledKernel[]) =>
  Object.fromEntries(names.map((n, i) => [n, kernels[i]!])) as Record<E, CompiledKernel>;

const mapSize = (s: MapShape) => s.channels * s.height * s.width;

/** The f32 bits of a number, for a uniform word. */
const f32Bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;

async function compileOp(runtime: GpuRuntime, op: MultiscaleOp): Promise<OpKernels> {
  const { pipelines } = runtime;
  switch (op.kind) {
    case 'coupling': {
      const [first, second] = conditionerShapes(op);
      const constants = {
        C: op.shape.channels,
        H: op.shape.height,
        W: op.shape.width,
        CHANNEL_MASK: op.mask === 'channel' ? 1 : 0,
        PARITY: op.parity,
        N: op.conditionChannels,
      };
      const [one, two, kernels] = await Promise.all([
        Conv2d.create(runtime, first),
        Conv2d.create(runtime, second),
        Promise.all(COUPLING_ENTRIES.map((e) => pipelines.get(couplingKernel(e), constants))),
      ]);
      return { kind: 'coupling', convs: [one, two], k: byName(COUPLING_ENTRIES, kernels) };
    }
    case 'actnorm':
      return { kind: 'actnorm', layer: await ActNorm.create(runtime, op.shape) };
    case 'invconv': {
      const constants = { C: op.shape.channels, PIXELS: op.shape.height * op.shape.width };
      const kernels = await Promise.all(
        INVCONV_ENTRIES.map((e) => pipelines.get(invConvKernel(e), constants)),
      );
      return { kind: 'invconv', k: byName(INVCONV_ENTRIES, kernels) };
    }
    case 'squeeze':
      return { kind: 'squeeze', layer: await Resample2x2.create(runtime, 'squeeze', op.shape) };
    case 'factor':
      return { kind: 'factor' };
  }
}

export class MultiscaleNetwork {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly spec: ResolvedMultiscaleSpec,
    private readonly ops: MultiscaleOp[],
    private readonly kernels: OpKernels[],
    private readonly plumbing: Record<PlumbingEntry, CompiledKernel>,
    private readonly scaling: Record<ScalingEntry, CompiledKernel>,
  ) {}

  static async create(
    runtime: GpuRuntime,
    spec: ResolvedMultiscaleSpec,
  ): Promise<MultiscaleNetwork> {
    const { ops } = multiscalePlan(spec);
    const [kernels, plumbing, scaling] = await Promise.all([
      Promise.all(ops.map((op) => compileOp(runtime, op))),
      Promise.all(PLUMBING_ENTRIES.map((e) => runtime.pipelines.get(plumbingKernel(e)))),
      Promise.all(SCALING_ENTRIES.map((e) => runtime.pipelines.get(scalingKernel(e)))),
    ]);
    return new MultiscaleNetwork(
      runtime,
      spec,
      ops,
      kernels,
      byName(PLUMBING_ENTRIES, plumbing),
      byName(SCALING_ENTRIES, scaling),
    );
  }

  /** Every layer writes its whole parameter gradient: one chunk. */
  gradientChunks(): number {
    return 1;
  }

  bind(spec: NiceBindingSpec, label: string): NiceBinding {
    const { device, pool } = this.runtime;
    const { batch } = spec;
    const dims = multiscaleDims(this.spec);
    const { latents } = multiscalePlan(this.spec);
    const buffers = new TaskBuffers(pool, label);
    const floats = (n: number, name: string) => buffers.floats(Math.max(4, n), name).binding;
    const train = spec.grads !== undefined;
    const grads = spec.grads?.buffer;
    const gradLogDet = -1 / (dims * Math.LN2 * batch);
    const ops = this.ops;
    const outputShape = (i: number) => (i + 1 < ops.length ? ops[i + 1]!.shape : latents.at(-1)!);
    const maps = [
      spec.rows,
      ...ops.map((_, i) => floats(batch * mapSize(outputShape(i)), `map ${i + 1}`)),
    ];
    const gradMaps = train
      ? [
          floats(batch * dims, 'dL/dy'),
          ...ops.map((_, i) => floats(batch * mapSize(outputShape(i)), `dL/dmap ${i + 1}`)),
        ]
      : [];
    const latentCat = floats(batch * dims, 'latents');
    const gradLatents = train ? floats(batch * dims, 'dL/dz') : floats(4, 'no dL/dz');
    const logDet = floats(batch, 'log-dets');
    const latentOffsets: number[] = [];
    latents.reduce((at, shape) => (latentOffsets.push(at), at + mapSize(shape)), 0);

    const plumb = (
      entry: PlumbingEntry,
      words: {
        count: number;
        src?: [number, number];
        dst?: [number, number];
        param?: number;
        factor?: number;
      },
      src: Binding,
      dst: Binding,
      items: number,
      name: string,
    ): Step => {
      const u = buffers.uniforms(
        [
          batch,
          words.count,
          ...(words.src ?? [0, 0]),
          ...(words.dst ?? [0, 0]),
          words.param ?? 0,
          f32Bits(words.factor ?? 0),
        ],
        `${name} uniforms`,
      );
      const kernel = this.plumbing[entry];
      const group = kernel.bind(device, [u.binding, src, dst], `${label} ${name}`);
      return (pass) => kernel.encode(pass, group, items);
    };
    /** Copies `count` values per image between two batches of per-image blocks. */
    const copy = (
      count: number,
      src: Binding,
      from: [number, number],
      dst: Binding,
      to: [number, number],
      name: string,
    ) => plumb('copy', { count, src: from, dst: to }, src, dst, batch * count, name);

    const disposers: (() => void)[] = [];
    const steps: OpSteps[] = ops.map((op, i) =>
      bindOpSteps(op, this.kernels[i]!, device, {
        batch,
        params: spec.params,
        x: maps[i]!,
        y: maps[i + 1]!,
        ...(train ? { gx: gradMaps[i]!, gy: gradMaps[i + 1]!, grads: grads! } : {}),
        logDet,
        gradLogDet,
        latentCat,
        gradLatents,
        dims,
        latentOffset: op.kind === 'factor' ? latentOffsets[op.latent]! : 0,
        buffers,
        floats,
        plumb,
        copy,
        disposers,
        label: `${label} op ${i} ${op.kind}`,
      }),
    );
    const last = latents.at(-1)!;
    const lastSize = mapSize(last);
    const lastOffset = latentOffsets.at(-1)!;
    const initLogDet = copy(
      1,
      spec.preLogDet.buffer,
      [spec.preLogDet.stride, spec.preLogDet.offset],
      logDet,
      [1, 0],
      'log-det init',
    );
    const lastForward = copy(
      lastSize,
      maps.at(-1)!,
      [lastSize, 0],
      latentCat,
      [dims, lastOffset],
      'last map → z',
    );
    const lastInverse = copy(
      lastSize,
      latentCat,
      [dims, lastOffset],
      maps.at(-1)!,
      [lastSize, 0],
      'z → last map',
    );
    const lastBackward = train
      ? copy(
          lastSize,
          gradLatents,
          [dims, lastOffset],
          gradMaps.at(-1)!,
          [lastSize, 0],
          'dL/dz → last map',
        )
      : undefined;

    const seed = seedKey(spec.sample?.seed ?? 0);
    const words = [
      batch,
      dims,
      0,
      IMAGE_FLOW_PRIORS.indexOf(this.spec.prior),
      f32Bits(-gradLogDet),
      1,
      0,
    ];
    words.push(f32Bits(spec.sample?.temperature ?? 1), seed[0], seed[1], 0, 0);
    const scalingGroup = this.scaling.scale_forward.bind(
      device,
      [
        buffers.uniforms(words, 'prior uniforms').binding,
        buffers.upload(new Float32Array(dims), 'zero scales').binding,
        latentCat,
        spec.z,
        logDet,
        spec.perRow,
        gradLatents,
        floats(dims, 'unused scale gradients'),
      ],
      `${label} prior`,
    );
    const { scaling } = this;
    return {
      encodeForward(pass) {
        initLogDet(pass);
        for (const s of steps) for (const step of s.forward) step(pass);
        lastForward(pass);
        scaling.scale_forward.encode(pass, scalingGroup, batch);
      },
      encodeInverse(pass) {
        scaling.scale_inverse.encode(pass, scalingGroup, batch * dims);
        lastInverse(pass);
        for (let i = steps.length - 1; i >= 0; i--)
          for (const step of steps[i]!.inverse) step(pass);
      },
      encodeBackward(pass) {
        if (!lastBackward)
          throw new Error(`${label} was bound without gradients: pass grads to bind().`);
        scaling.scale_backward.encode(pass, scalingGroup, dims);
        lastBackward(pass);
        for (let i = steps.length - 1; i >= 0; i--)
          for (const step of steps[i]!.backward) step(pass);
      },
      encodeSample(pass) {
        scaling.prior_sample.encode(pass, scalingGroup, Math.ceil((batch * dims) / 4));
      },
      // log-det init, the last map's copies and the prior, forward and backward, plus each op's.
      trainingDispatches: 4 + steps.reduce((sum, s) => sum + s.trainingDispatches, 0),
      dispose() {
        for (const s of disposers) s();
        buffers.dispose();
      },
    };
  }
}
