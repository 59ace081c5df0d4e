import { expect } from '@esm-bundle/chai';
import type { Activation } from '../../src/nn/activations';
import { FusedMlp } from '../../src/nn/fused-mlp';
import type { KernelTuning } from '../../src/nn/kernels';
import { addMlpParameters, type MlpShape } from '../../src/nn/mlp-shape';
import { ParameterLayout } from '../../src/nn/parameters';
import { mlpBackward, mlpForward } from '../../src/nn/reference/dense';
import { testGpu } from '../support/gpu';
import {
  maxRelativeError,
  readFloats,
  runPass,
  testValues,
  uploadFloats,
  zeros,
} from '../support/gpu-helpers';

// f32 kernels against the float64 twin: values are O(1) and sums have ≤ 40 terms per output,
// and ≤ 37 samples per gradient, so 1e-4 (relative to max(1, |value|)) is a generous f32 bound.
const F32_TOLERANCE = 1e-4;

async function checkAgainstTwin(
  activation: Activation,
  gradInput: boolean,
  tuning: Partial<KernelTuning> = { rows: 4 },
) {
  const gpu = await testGpu();
  const shape: MlpShape = { inputs: 3, hidden: 16, hiddenLayers: 2, outputs: 2, activation };
  const batch = 37; // not a multiple of the samples per invocation, and 3 gradient chunks of 16
  const layout = new ParameterLayout();
  layout.add('padding', [5], { kind: 'constant', value: 0 }); // the MLP does not start at 0
  const { offset } = addMlpParameters(layout, 'mlp', shape);
  const params = layout.initialize(7);
  const x = testValues(batch * shape.inputs, 1, 1.5);
  const dy = testValues(batch * shape.outputs, 2, 1);

  const mlp = await FusedMlp.create(gpu, shape, {
    gradInput,
    tuning: { subgroups: false, ...tuning, chunkSize: 16 },
  });
  // The variant asked for is the one that runs (a device without the feature would fall back).
  expect(mlp.tuning.subgroups, 'subgroup kernels').to.equal(tuning.subgroups ?? false);
  const chunks = mlp.chunks(batch);
  expect(chunks).to.equal(3);
  const buffers = {
    params: uploadFloats(gpu, params, 'params'),
    input: uploadFloats(gpu, x, 'x'),
    output: zeros(gpu, batch * shape.outputs, 'y'),
    cache: zeros(gpu, mlp.cacheFloats(batch), 'cache'),
    gradOutput: uploadFloats(gpu, dy, 'dy'),
    gradInput: zeros(gpu, batch * shape.inputs, 'dx'),
    grads: zeros(gpu, chunks * layout.total, 'grads'),
  };
  const binding = mlp.bind({
    batch,
    params: buffers.params.binding,
    paramOffset: offset,
    input: buffers.input.binding,
    output: buffers.output.binding,
    cache: buffers.cache.binding,
    gradOutput: buffers.gradOutput.binding,
    gradInput: buffers.gradInput.binding,
    grads: buffers.grads.binding,
    gradStride: layout.total,
  });
  runPass(gpu, (pass) => {
    binding.encodeForward(pass, true);
    binding.encodeBackward(pass);
  });
  const [y, dx, partials] = await Promise.all([
    readFloats(gpu, buffers.output, batch * shape.outputs),
    readFloats(gpu, buffers.gradInput, batch * shape.inputs),
    readFloats(gpu, buffers.grads, chunks * layout.total),
  ]);
  binding.dispose();
  Object.values(buffers).forEach((b) => b.dispose());

  const reference = mlpForward(params, offset, shape, x, batch);
  const referenceGrads = new Float64Array(layout.total);
  const referenceDx = mlpBackward(
    params,
    offset,
    shape,
    reference.cache,
    dy,
    batch,
    referenceGrads,
  );
  const gpuGrads = new Float64Array(layout.total);
  for (let c = 0; c < chunks; c++) {
    for (let i = offset; i < layout.total; i++)
      gpuGrads[i] = gpuGrads[i]! + partials[c * layout.total + i]!;
  }
  expect(maxRelativeError(y, reference.y), 'forward').to.be.lessThan(F32_TOLERANCE);
  expect(
    maxRelativeError(gpuGrads.subarray(offset), referenceGrads.subarray(offset)),
    'dW, db',
  ).to.be.lessThan(F32_TOLERANCE);
  if (gradInput) expect(maxRelativeError(dx, referenceDx), 'dx').to.be.lessThan(F32_TOLERANCE);
}

describe('fused MLP kernels vs the float64 twin', () => {
  for (const activation of ['tanh', 'silu', 'relu', 'gelu'] as const) {
    it(`${activation}: forward, backward (dL/dx) and chunked weight gradients`, async () => {
      await checkAgainstTwin(activation, activation === 'tanh' || activation === 'gelu');
    });
  }
  // The eight-row layer loops (shaders/nn/mlp-rows8.wgsl) that wide layers use on CPU adapters:
  // 16 hidden units are two row blocks, 3 inputs and 2 outputs exercise the clamped rows.
  for (const activation of ['silu'] as const) {
    it(`${activation}, eight rows per tile read: forward, backward (dL/dx), weight gradients`, async () => {
      await checkAgainstTwin(activation, true, { rows: 8 });
    });
  }
  // The eight-row loops with the weights shared through subgroup broadcasts
  // (shaders/nn/mlp-rows8-subgroup.wgsl), which wide layers use on CPU adapters with the
  // 'subgroups' feature (SwiftShader has it). 37 samples leave padding lanes in the last subgroup
  // that must still feed the broadcasts; workgroups of 4 and 16 (one SwiftShader SIMD group, and
  // four).
  for (const [activation, workgroupSize] of [
    ['tanh', 4],
    ['silu', 16],
  ] as const) {
    it(`${activation}, subgroup weight sharing (workgroup ${workgroupSize}): forward, backward (dL/dx), weight gradients`, async () => {
      await checkAgainstTwin(activation, true, { rows: 8, subgroups: true, workgroupSize });
    });
  }
});
