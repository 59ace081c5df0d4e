/**
 * PyTorch parity: the same weights and batches through Flowfield on the GPU and through the
 * exported PyTorch models (python/flowfield_torch). The PyTorch side (autograd, float32) was
 * written by python/tests/make_parity_fixtures.py before this run (test/torch/run.mjs); this
 * file is the independent oracle for every backward kernel, the parameter layout and the
 * initialisation, and the training step (Adam, 200 steps on fixed batches).
 */
import { expect } from '@esm-bundle/chai';
import type { GpuRuntime, PooledBuffer } from '../../src/gpu';
import type { DatasetSampler } from '../../src/data/kernels';
import { FlowModel } from '../../src/models/flows/flow-model';
import type { FlowModelSpec } from '../../src/models/flows/flow-spec';
import { FlowTrainingTask } from '../../src/models/flows/flow-training';
import { DiffusionModel } from '../../src/models/diffusion/model';
import type { DiffusionModelSpec } from '../../src/models/diffusion/spec';
import type { X0Sampler } from '../../src/models/diffusion/training';
import type { TrainingTask } from '../../src/nn/trainer';
import { Trainer } from '../../src/nn/trainer';
import { initialTrainState } from '../../src/nn/train-state';
import { testGpu } from '../support/gpu';
import { normRelativeError } from '../models/flows/layer-checks';

interface Case {
  family: 'flow' | 'diffusion';
  spec: FlowModelSpec | DiffusionModelSpec;
  layout: { name: string; shape: number[] }[];
  init: number[];
  params: number[];
  normalization?: { shift: [number, number]; scale: [number, number] };
  batch: number[];
  loss: number;
  grads: number[];
  points?: number[];
  logProb?: number[];
  z?: number[];
  inverse?: number[];
  seed?: number;
  times?: number[];
  /** Reflow: the ε of each pair. */
  noise?: number[];
  train: {
    batch: number;
    lr: number;
    start: number[];
    batches: number[];
    noises?: number[];
    losses: number[];
    final: number[];
  };
}

let fixtures: Promise<{ torch: string; cases: Record<string, Case> }> | undefined;
function loadFixtures() {
  fixtures ??= fetch('/test/torch/generated/parity.json').then((r) => {
    if (!r.ok) {
      throw new Error(
        `test/torch/generated/parity.json is missing (HTTP ${r.status}): run the tests with ` +
          '`npm run test:browser`, which writes it with /usr/bin/python3 and PyTorch first.',
      );
    }
    return r.json();
  });
  return fixtures;
}

/** Reflow's pair sampler stand-in: given (x, ε) pairs, one batch per step. */
function fixedPairs(
  gpu: GpuRuntime,
  xs: Float32Array<ArrayBuffer>,
  noises: Float32Array<ArrayBuffer>,
  batch: number,
) {
  const x = fixedBatches(gpu, xs, batch);
  const z = fixedBatches(gpu, noises, batch);
  return {
    kind: 'pairs' as const,
    encodePairs(
      pass: GPUComputePassEncoder,
      x0Target: PooledBuffer,
      noiseTarget: PooledBuffer,
      request: { count: number; batches: number; step: number },
    ): PooledBuffer {
      z.encode(pass, noiseTarget, request).dispose();
      return x.encode(pass, x0Target, request);
    },
  };
}

/** A dataset sampler stand-in that writes given batches (one per step) into the batch bank. */
function fixedBatches(gpu: GpuRuntime, batches: Float32Array<ArrayBuffer>, batch: number) {
  return {
    encode(
      _pass: GPUComputePassEncoder,
      target: PooledBuffer,
      request: { count: number; batches?: number; step?: number },
    ): PooledBuffer {
      const first = (request.step ?? 0) * batch * 2;
      const count = (request.batches ?? 1) * batch * 2;
      gpu.device.queue.writeBuffer(target.buffer, 0, batches, first, count);
      return gpu.pool.acquire(16, GPUBufferUsage.UNIFORM, 'fixed batches (unused uniforms)');
    },
  };
}

async function createModel(gpu: GpuRuntime, c: Case) {
  if (c.family === 'flow') {
    const model = await FlowModel.create(gpu, c.spec as FlowModelSpec);
    return {
      model,
      parameterCount: model.parameterCount,
      layout: model.layout,
      task: (state: GPUBuffer, batches: Float32Array<ArrayBuffer>, batch: number, steps: number) =>
        FlowTrainingTask.create(
          gpu,
          model,
          fixedBatches(gpu, batches, batch) as unknown as DatasetSampler,
          { batch, seed: 0, maxStepsPerSubmit: steps },
          state,
        ) as Promise<TrainingTask>,
    };
  }
  const model = await DiffusionModel.create(gpu, c.spec as DiffusionModelSpec);
  return {
    model,
    parameterCount: model.parameterCount,
    layout: model.layout,
    task: (
      state: GPUBuffer,
      batches: Float32Array<ArrayBuffer>,
      batch: number,
      steps: number,
      noises?: Float32Array<ArrayBuffer>,
    ) =>
      model.createTrainingTask(
        state,
        noises
          ? fixedPairs(gpu, batches, noises, batch)
          : (fixedBatches(gpu, batches, batch) as X0Sampler),
        {
          batch,
          seed: c.seed!,
          maxStepsPerSubmit: steps,
        },
      ) as Promise<TrainingTask>,
  };
}

/** One forward + backward on the GPU (no optimizer step): the loss and dL/dθ. */
async function gpuLossAndGrads(gpu: GpuRuntime, c: Case) {
  const built = await createModel(gpu, c);
  built.model.importParams(Float32Array.from(c.params));
  const state = gpu.pool.upload(
    new Uint8Array(initialTrainState()),
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    'parity train state',
  );
  const n = c.batch.length / 2;
  const task = await built.task(
    state.buffer,
    Float32Array.from(c.batch),
    n,
    1,
    c.noise ? Float32Array.from(c.noise) : undefined,
  );
  const encoder = gpu.device.createCommandEncoder({ label: 'parity step' });
  const pass = encoder.beginComputePass({ label: 'parity step' });
  const transient = task.encodeChunkStart?.(pass, 0, 1) ?? [];
  task.encodeStep(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  transient.forEach((b) => b.dispose());
  const p = task.parameterCount;
  const [chunks, terms] = await Promise.all([
    gpu.readback.readFloat32(task.grads, 0, task.gradientChunks * p),
    gpu.readback.readFloat32(task.lossTerms, 0, task.lossTermCount),
  ]);
  const grads = new Float64Array(p);
  for (let k = 0; k < task.gradientChunks; k++)
    for (let i = 0; i < p; i++) grads[i] = grads[i]! + chunks[k * p + i]!;
  const loss = terms.reduce((a, b) => a + b, 0);
  const inside: Record<string, Float32Array> = {};
  const buffers = (task as { buffers?: Record<string, PooledBuffer> }).buffers;
  if (buffers) {
    for (const key of ['noised', 'netTime', 'targets', 'output'])
      inside[key] = await gpu.readback.readFloat32(
        buffers[key]!.buffer,
        0,
        key === 'netTime' ? n : 2 * n,
      );
  }
  task.dispose();
  state.dispose();
  return { built, loss, grads, inside };
}

const FLOW_CASES = ['nice', 'realnvp', 'glow', 'spline'];
const DIFFUSION_CASES = [
  'ddpm-eps-linear',
  'ddpm-v-cosine',
  'flow-matching',
  'flow-matching-reflow',
];
/**
 * Relative tolerance of loss and gradients, every kind: 1e-4 (float32), as the issue asks. The
 * diffusion denoisers' time features are sin/cos of angles up to 1000 rad; the GPU reduces them
 * exactly and evaluates its own polynomials (shaders/nn/embedding.wgsl), so they agree with
 * PyTorch's float64 features to ~1e-7 (reflow, whose ε is given exactly, measured 1e-7 on the
 * gradient). DDPM and independent flow matching still draw ε on the GPU by Box–Muller with WGSL's
 * float32 log and cos (within 3e-4 of the exact Philox normals PyTorch uses, checked below): the
 * largest residual (measured ~5e-5 for DDPM ε-prediction on SwiftShader).
 */
const TOLERANCE = 1e-4;

describe('PyTorch parity (python/flowfield_torch against Flowfield on the GPU)', () => {
  for (const name of [...FLOW_CASES, ...DIFFUSION_CASES]) {
    it(`${name}: same parameter names, shapes, order and initial weights`, async () => {
      const c = (await loadFixtures()).cases[name]!;
      const gpu = await testGpu();
      const built = await createModel(gpu, c);
      const views = built.layout.views.map((v) => ({ name: v.name, shape: [...v.shape] }));
      const init = await built.model.exportParams();
      built.model.dispose();
      expect(views).to.deep.equal(c.layout);
      expect(init.length).to.equal(c.init.length);
      // Philox in Python and TypeScript: the same float32 values (up to libm's last bit in the
      // LU layers' cos/sin/log).
      let worst = 0;
      for (let i = 0; i < init.length; i++)
        worst = Math.max(
          worst,
          Math.abs(init[i]! - c.init[i]!) / Math.max(1, Math.abs(c.init[i]!)),
        );
      expect(worst, 'initial weights').to.be.at.most(1e-6);
    });

    it(`${name}: loss and gradients equal PyTorch autograd (${TOLERANCE} relative, float32)`, async () => {
      const c = (await loadFixtures()).cases[name]!;
      const gpu = await testGpu();
      const { built, loss, grads, inside } = await gpuLossAndGrads(gpu, c);
      // The batch the GPU trained on: the same times (exact), x_t and targets (to ε's precision).
      for (const [key, values] of Object.entries(inside)) {
        const ref = (c as unknown as Record<string, number[]>)[key]!;
        const worst = Math.max(...Array.from(values, (v, i) => Math.abs(v - ref[i]!)));
        if (key === 'netTime') expect(worst, 'network times').to.equal(0);
        if (key === 'noised' || key === 'targets') expect(worst, key).to.be.below(1e-3);
      }
      built.model.dispose();
      const error = normRelativeError(grads, c.grads);
      const lossError = Math.abs(loss - c.loss) / Math.abs(c.loss);
      console.log(
        `[torch parity] ${name}: loss ${loss} vs ${c.loss} (${lossError.toExponential(2)}); ‖Δ∇‖/‖∇‖ = ${error.toExponential(2)}`,
      );
      expect(lossError, 'loss').to.be.below(TOLERANCE);
      expect(error, 'gradient').to.be.below(TOLERANCE);
    });
  }

  for (const name of FLOW_CASES) {
    it(`${name}: logProb equals PyTorch's log_prob (1e-4 nats) and sampling's inverse map agrees`, async () => {
      const c = (await loadFixtures()).cases[name]!;
      const gpu = await testGpu();
      const model = await FlowModel.create(gpu, c.spec as FlowModelSpec);
      model.importParams(Float32Array.from(c.params));
      model.normalization = c.normalization!;
      const [logProb, inverse] = await Promise.all([model.logProb(c.points!), model.inverse(c.z!)]);
      model.dispose();
      let worst = 0;
      for (let i = 0; i < logProb.length; i++)
        worst = Math.max(worst, Math.abs(logProb[i]! - c.logProb![i]!));
      console.log(`[torch parity] ${name}: max |Δ log p| = ${worst.toExponential(2)} nats`);
      expect(worst, 'log p (nats)').to.be.below(1e-4);
      expect(normRelativeError(inverse, c.inverse!), 'x = f⁻¹(z)').to.be.below(1e-5);
    });
  }

  for (const name of [...FLOW_CASES, ...DIFFUSION_CASES]) {
    it(`${name}: 200 Adam steps on the same batches land on PyTorch's parameters`, async () => {
      const c = (await loadFixtures()).cases[name]!;
      const gpu = await testGpu();
      const built = await createModel(gpu, c);
      built.model.importParams(Float32Array.from(c.train.start));
      const steps = c.train.losses.length;
      const trainer = await Trainer.create(
        gpu,
        (state) =>
          built.task(
            state,
            Float32Array.from(c.train.batches),
            c.train.batch,
            50,
            c.train.noises ? Float32Array.from(c.train.noises) : undefined,
          ),
        { optimizer: { kind: 'adam', lr: c.train.lr }, maxStepsPerSubmit: 50 },
      );
      const losses: number[] = [];
      for (let done = 0; done < steps; done += 50)
        losses.push(...(await trainer.runChunk(50)).losses);
      const final = await gpu.readback.readFloat32(trainer.task.params, 0, built.parameterCount);
      trainer.dispose();
      built.model.dispose();
      const moved = normRelativeError(c.train.start, c.train.final);
      const error = normRelativeError(final, c.train.final);
      console.log(
        `[torch parity] ${name}: after ${steps} steps ‖Δθ‖/‖θ‖ = ${error.toExponential(2)} ` +
          `(training moved θ by ${moved.toExponential(2)}); first loss ${losses[0]} vs ${c.train.losses[0]}`,
      );
      expect(Math.abs(losses[0]! - c.train.losses[0]!)).to.be.below(
        TOLERANCE * Math.abs(c.train.losses[0]!),
      );
      expect(error, 'parameters after training').to.be.below(1e-3 * moved);
    });
  }
});
