/**
 * The GPU steps of one operation of a multi-scale image flow (multiscale-network.ts binds them in
 * order): forward (map i → map i + 1, with its log|det| added to each image's accumulator),
 * inverse (map i + 1 → map i) and backward (dL/dmap i + 1 → dL/dmap i and the parameter
 * gradients, with the log|det| term of the loss).
 */
import type { CompiledKernel } from '../../gpu';
import type { ActNorm } from '../../nn/conv/act-norm';
import type { Conv2d } from '../../nn/conv/conv2d';
import type { Resample2x2 } from '../../nn/conv/resample';
import type { TaskBuffers } from '../../nn/conv/image-task-parts';
import type { MultiscaleOp } from './multiscale-spec';

type Binding = GPUBufferBinding;
export type Step = (pass: GPUComputePassEncoder) => void;

export const COUPLING_ENTRIES = [
  'gather',
  'forward',
  'inverse',
  'log_det',
  'backward_out',
  'backward_input',
] as const;
export type CouplingEntry = (typeof COUPLING_ENTRIES)[number];
export const INVCONV_ENTRIES = ['forward', 'inverse', 'backward_input', 'backward_params'] as const;
export type InvConvEntry = (typeof INVCONV_ENTRIES)[number];
export type PlumbingEntry = 'copy' | 'log_det_params' | 'log_det_params_grad';

export type OpKernels =
  | { kind: 'coupling'; convs: [Conv2d, Conv2d]; k: Record<CouplingEntry, CompiledKernel> }
  | { kind: 'actnorm'; layer: ActNorm }
  | { kind: 'invconv'; k: Record<InvConvEntry, CompiledKernel> }
  | { kind: 'squeeze'; layer: Resample2x2 }
  | { kind: 'factor' };

export interface OpSteps {
  forward: Step[];
  inverse: Step[];
  backward: Step[];
  trainingDispatches: number;
}

type Plumb = (
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
) => Step;

export interface OpContext {
  batch: number;
  params: Binding;
  /** Map i (the op's input) and map i + 1 (its output), and their gradients when training. */
  x: Binding;
  y: Binding;
  gx?: Binding;
  gy?: Binding;
  grads?: Binding;
  /** Each image's log|det| accumulator, and dL/d(log|det| of an image). */
  logDet: Binding;
  gradLogDet: number;
  /** batch × dims latents and their gradients; a factor op writes at latentOffset. */
  latentCat: Binding;
  gradLatents: Binding;
  dims: number;
  latentOffset: number;
  buffers: TaskBuffers;
  floats(n: number, name: string): Binding;
  plumb: Plumb;
  copy(
    count: number,
    src: Binding,
    from: [number, number],
    dst: Binding,
    to: [number, number],
    name: string,
  ): Step;
  /** Releases what the layers' bindings own (their uniforms). */
  disposers: (() => void)[];
  label: string;
}

const f32Bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;

export function bindOpSteps(
  op: MultiscaleOp,
  kernels: OpKernels,
  device: GPUDevice,
  ctx: OpContext,
): OpSteps {
  const { batch, params, x, y, gx, gy, grads, label } = ctx;
  const train = gx !== undefined && gy !== undefined && grads !== undefined;
  const pixels = op.shape.height * op.shape.width;
  const size = op.shape.channels * pixels;
  switch (op.kind) {
    case 'coupling': {
      if (kernels.kind !== 'coupling') throw new Error('multiscale: kernel/op mismatch');
      const { k, convs } = kernels;
      const [one, two] = convs;
      const hiddenSize = op.hidden * pixels;
      const outSize = op.outputChannels * pixels;
      const conditionInput = ctx.floats(batch * op.conditionChannels * pixels, `${op.kind} input`);
      const hidden = ctx.floats(batch * hiddenSize, 'hidden');
      const out = ctx.floats(batch * outSize, 'conditioner output');
      const gradOut = train ? ctx.floats(batch * outSize, 'dL/dout') : undefined;
      const gradHidden = train ? ctx.floats(batch * hiddenSize, 'dL/dhidden') : undefined;
      const gradInput = train
        ? ctx.floats(batch * op.conditionChannels * pixels, 'dL/dinput')
        : undefined;
      const trainSpec = (gradOutput?: Binding, gradIn?: Binding) =>
        train ? { gradOutput: gradOutput!, gradInput: gradIn!, grads: grads! } : {};
      const conv1 = one.bind(
        {
          batch,
          params,
          paramOffset: op.conv1,
          input: conditionInput,
          output: hidden,
          cache: ctx.floats(one.cacheFloats(batch), 'conv1 cache'),
          ...trainSpec(gradHidden, gradInput),
        },
        `${label} conv1`,
      );
      const conv2 = two.bind(
        {
          batch,
          params,
          paramOffset: op.conv2,
          input: hidden,
          output: out,
          cache: ctx.floats(two.cacheFloats(batch), 'conv2 cache'),
          ...trainSpec(gradOut, gradHidden),
        },
        `${label} conv2`,
      );
      ctx.disposers.push(conv1.dispose, conv2.dispose);
      const u = ctx.buffers.uniforms(
        [batch, 0, 0, f32Bits(ctx.gradLogDet)],
        `${label} uniforms`,
      ).binding;
      const step = (entry: CouplingEntry, bindings: Binding[], items: number): Step => {
        const group = k[entry].bind(device, [u, ...bindings], `${label} ${entry}`);
        return (pass) => k[entry].encode(pass, group, items);
      };
      const conditioner: Step = (pass) => {
        conv1.encodeForward(pass);
        conv2.encodeForward(pass);
      };
      const values = batch * size;
      const gatherItems = batch * op.conditionChannels * pixels;
      return {
        forward: [
          step('gather', [x, x, x, conditionInput], gatherItems),
          conditioner,
          step('forward', [x, out, x, y], values),
          step('log_det', [x, out, x, ctx.logDet], batch),
        ],
        inverse: [
          step('gather', [y, y, y, conditionInput], gatherItems),
          conditioner,
          step('inverse', [y, out, y, x], values),
        ],
        backward: train
          ? [
              step('backward_out', [x, out, gy, gradOut!], batch * outSize),
              (pass) => {
                conv2.encodeBackward(pass);
                conv1.encodeBackward(pass);
              },
              step('backward_input', [gy, out, gradInput!, gx], values),
            ]
          : [],
        trainingDispatches: 4 + 2 + 2 + two.backwardDispatches(true) + one.backwardDispatches(true),
      };
    }
    case 'actnorm': {
      if (kernels.kind !== 'actnorm') throw new Error('multiscale: kernel/op mismatch');
      const base = { batch, params, paramOffset: op.offset };
      const forward = kernels.layer.bind(
        {
          ...base,
          input: x,
          output: y,
          ...(train ? { gradOutput: gy, gradInput: gx, grads } : {}),
        },
        `${label} forward`,
      );
      const inverse = kernels.layer.bind(
        { ...base, input: y, output: x, inverse: true },
        `${label} inverse`,
      );
      ctx.disposers.push(forward.dispose, inverse.dispose);
      const c = op.shape.channels;
      const logDet = ctx.plumb(
        'log_det_params',
        { count: c, param: op.offset, factor: pixels },
        params,
        ctx.logDet,
        batch,
        `${label} log-det`,
      );
      const gradLogDet = train
        ? ctx.plumb(
            'log_det_params_grad',
            { count: c, param: op.offset, factor: pixels * batch * ctx.gradLogDet },
            params,
            grads,
            c,
            `${label} log-det gradient`,
          )
        : undefined;
      return {
        forward: [forward.encodeForward, logDet],
        inverse: [inverse.encodeForward],
        backward: train ? [forward.encodeBackward, gradLogDet!] : [],
        trainingDispatches: 2 + 3,
      };
    }
    case 'invconv': {
      if (kernels.kind !== 'invconv') throw new Error('multiscale: kernel/op mismatch');
      const { k } = kernels;
      const c = op.shape.channels;
      const u = ctx.buffers.uniforms(
        [batch, op.offset, 0, f32Bits(ctx.gradLogDet)],
        `${label} uniforms`,
      ).binding;
      const step = (entry: InvConvEntry, bindings: Binding[], items: number): Step => {
        const group = k[entry].bind(device, [u, params, ...bindings], `${label} ${entry}`);
        return (pass) => k[entry].encode(pass, group, items);
      };
      const logDet = ctx.plumb(
        'log_det_params',
        { count: c, param: op.offset + c * c, factor: pixels },
        params,
        ctx.logDet,
        batch,
        `${label} log-det`,
      );
      return {
        forward: [step('forward', [x, x, y], batch * pixels), logDet],
        inverse: [step('inverse', [y, y, x], batch * pixels)],
        backward: train
          ? [
              step('backward_input', [x, gy, gx], batch * pixels),
              step('backward_params', [x, gy, grads], c * c + c),
            ]
          : [],
        trainingDispatches: 4,
      };
    }
    case 'squeeze': {
      if (kernels.kind !== 'squeeze') throw new Error('multiscale: kernel/op mismatch');
      // A permutation: its inverse is its backward (unsqueeze) applied to the output map.
      const forward = kernels.layer.bind(
        { batch, input: x, output: y, gradOutput: y, gradInput: x },
        `${label}`,
      );
      const backward = train
        ? kernels.layer.bind(
            { batch, input: x, output: y, gradOutput: gy, gradInput: gx },
            `${label} backward`,
          )
        : undefined;
      ctx.disposers.push(forward.dispose, ...(backward ? [backward.dispose] : []));
      return {
        forward: [forward.encodeForward],
        inverse: [forward.encodeBackward],
        backward: backward ? [backward.encodeBackward] : [],
        trainingDispatches: 2,
      };
    }
    case 'factor': {
      const kept = Math.floor(op.shape.channels / 2) * pixels;
      const latent = size - kept;
      const { dims, latentOffset: at, copy } = ctx;
      return {
        forward: [
          copy(kept, x, [size, 0], y, [kept, 0], `${label} kept`),
          copy(latent, x, [size, kept], ctx.latentCat, [dims, at], `${label} latent`),
        ],
        inverse: [
          copy(kept, y, [kept, 0], x, [size, 0], `${label} kept`),
          copy(latent, ctx.latentCat, [dims, at], x, [size, kept], `${label} latent`),
        ],
        backward: train
          ? [
              copy(kept, gy, [kept, 0], gx, [size, 0], `${label} dL/dkept`),
              copy(latent, ctx.gradLatents, [dims, at], gx, [size, kept], `${label} dL/dlatent`),
            ]
          : [],
        trainingDispatches: 4,
      };
    }
  }
}
