/**
 * The fused MLP's kernel variants side by side in one page, on the shapes that dominate the
 * NICE training step (conditioner 98 → 256 → 256 → 98, relu, batch 64: forward with stored
 * activations, backward) and diffusion sampling (34 → 128 × 3 → 2, silu, forward only, 4 096
 * points). Variants: the eight-row loops as they were (`rows8`), the same with the weights shared
 * through subgroup broadcasts (`rows8-subgroup`, shaders/nn/mlp-rows8-subgroup.wgsl), each at
 * several workgroup sizes. Every variant's dispatch is encoded `reps` times in one submit; the
 * fastest of `rounds` interleaved rounds is kept, and ratios are to the first variant (the
 * default before the subgroup kernels). Not a test (it asserts nothing but that variants agree):
 *   TEST_FILES=bench/profile/mlp-variants.profile.ts npm run test:browser
 * Compare figures from one run only: the machine is shared.
 */
import { FusedMlp } from '../../src/nn/fused-mlp';
import type { KernelTuning } from '../../src/nn/kernels';
import { addMlpParameters, type MlpShape } from '../../src/nn/mlp-shape';
import { ParameterLayout } from '../../src/nn/parameters';
import { testGpu } from '../../test/support/gpu';
import {
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../../test/support/gpu-helpers';

interface Workload {
  name: string;
  shape: MlpShape;
  batch: number;
  training: boolean;
}

const WORKLOADS: Workload[] = [
  {
    name: 'NICE conditioner, batch 64',
    shape: { inputs: 98, hidden: 256, hiddenLayers: 2, outputs: 98, activation: 'relu' },
    batch: 64,
    training: true,
  },
  {
    name: 'diffusion denoiser, 4096 points',
    shape: { inputs: 34, hidden: 128, hiddenLayers: 3, outputs: 2, activation: 'silu' },
    batch: 4096,
    training: false,
  },
];

const VARIANTS: { name: string; tuning: Partial<KernelTuning> }[] = [
  { name: 'rows8 wg16', tuning: { rows: 8, subgroups: false, workgroupSize: 16 } },
  { name: 'rows8 wg4', tuning: { rows: 8, subgroups: false, workgroupSize: 4 } },
  { name: 'rows8-subgroup wg16', tuning: { rows: 8, subgroups: true, workgroupSize: 16 } },
  { name: 'rows8-subgroup wg8', tuning: { rows: 8, subgroups: true, workgroupSize: 8 } },
  { name: 'rows8-subgroup wg4', tuning: { rows: 8, subgroups: true, workgroupSize: 4 } },
];

const ROUNDS = 4;

describe('profile', () => {
  it('fused MLP kernel variants', async function () {
    this.timeout(1_800_000);
    const gpu = await testGpu();
    const lines: string[] = [];
    for (const w of WORKLOADS) {
      const layout = new ParameterLayout();
      const { offset } = addMlpParameters(layout, 'mlp', w.shape);
      const params = uploadFloats(gpu, layout.initialize(3), 'params');
      const input = uploadFloats(gpu, testValues(w.batch * w.shape.inputs, 1, 1), 'x');
      const gradOutput = uploadFloats(gpu, testValues(w.batch * w.shape.outputs, 2, 1), 'dy');
      const runs = [];
      for (const v of VARIANTS) {
        const mlp = await FusedMlp.create(gpu, w.shape, {
          training: w.training,
          tuning: v.tuning,
        });
        const output = zeros(gpu, w.batch * w.shape.outputs, `y ${v.name}`);
        const cache = zeros(gpu, mlp.cacheFloats(w.batch), `cache ${v.name}`);
        const grads = zeros(gpu, mlp.chunks(w.batch) * layout.total, `grads ${v.name}`);
        const binding = mlp.bind({
          batch: w.batch,
          params: params.binding,
          paramOffset: offset,
          input: input.binding,
          output: output.binding,
          cache: cache.binding,
          gradOutput: gradOutput.binding,
          grads: grads.binding,
          gradStride: layout.total,
        });
        const macs = w.batch * mlp.parameterCount;
        const reps = Math.max(4, Math.round(4e8 / macs / (w.training ? 2 : 1)));
        const time = async (part: 'forward' | 'backward') => {
          const start = performance.now();
          runPass(gpu, (pass) => {
            for (let r = 0; r < reps; r++) {
              if (part === 'forward') binding.encodeForward(pass, w.training);
              else binding.encodeBackward(pass);
            }
          });
          await gpu.device.queue.onSubmittedWorkDone();
          return (performance.now() - start) / reps;
        };
        await time('forward');
        if (w.training) await time('backward');
        const y = await readFloats(gpu, output, w.batch * w.shape.outputs);
        runs.push({
          v,
          mlp,
          binding,
          time,
          y,
          macs,
          best: { forward: Infinity, backward: Infinity },
          owned: [output, cache, grads],
        });
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const r of runs) {
          r.best.forward = Math.min(r.best.forward, await r.time('forward'));
          if (w.training) r.best.backward = Math.min(r.best.backward, await r.time('backward'));
        }
      }
      lines.push(`${w.name}: ${JSON.stringify(w.shape)}`);
      const base = runs[0]!;
      for (const r of runs) {
        let diff = 0;
        for (let i = 0; i < r.y.length; i++) diff = Math.max(diff, Math.abs(r.y[i]! - base.y[i]!));
        const fwd = `forward ${r.best.forward.toFixed(2)} ms (${(r.macs / r.best.forward / 1e6).toFixed(2)} GMAC/s, ${(base.best.forward / r.best.forward).toFixed(2)}×)`;
        const bwd = w.training
          ? `  backward + dW ${r.best.backward.toFixed(2)} ms (${(base.best.backward / r.best.backward).toFixed(2)}×)`
          : '';
        lines.push(
          `  ${r.v.name.padEnd(20)} ${fwd}${bwd}  max |Δy| vs first ${diff.toExponential(1)}`,
        );
        r.binding.dispose();
        r.owned.forEach((b) => b.dispose());
      }
      [params, input, gradOutput].forEach((b) => b.dispose());
    }
    console.log(lines.join('\n'));
  });
});
