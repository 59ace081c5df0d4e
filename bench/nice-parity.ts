/**
 * The image-flow parity bench of #16 ("held-out bits/dim of each image flow after a stated
 * budget, side by side with the same architecture trained for the same steps in PyTorch"): NICE
 * on MNIST 14×14 trained in the lab for a fixed number of Adam steps, its initial and final
 * weights and its own held-out bits/dim sent to bench/run.mjs, which then trains the same
 * architecture from the same initial weights for the same steps in PyTorch
 * (python/bench_image_parity.py, after the browser, so the two do not share the CPU) and
 * evaluates both on the same dequantized test images. Runs with `npm run bench -- --nice-parity`.
 */
import type { GpuRuntime } from '../src/gpu';
import { openLab } from '../src/lab/lab';

/** The stated budget: the architecture and training both sides use. */
export const NICE_PARITY_CONFIG = {
  dataset: 'mnist',
  size: 14,
  layers: 4,
  hidden: 128,
  hiddenLayers: 2,
  prior: 'logistic',
  batch: 64,
  learningRate: 3e-3,
  modelSeed: 1,
  dataSeed: 5,
} as const;

export interface NiceParityResult {
  config: typeof NICE_PARITY_CONFIG & { steps: number };
  /** float32 weights in niceLayout order, base64 of little-endian bytes. */
  init: string;
  final: string;
  /** The lab's held-out bits/dim of its trained model (its own dequantization, seed 1). */
  flowfield_bits_per_dim: number;
  flowfield_standard_error: number;
  held_out_images: number;
  train_seconds: number;
}

function base64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export async function runNiceParity(
  runtime: GpuRuntime,
  steps: number,
  report: (result: NiceParityResult) => Promise<void>,
): Promise<void> {
  const c = NICE_PARITY_CONFIG;
  const lab = await openLab({ runtime });
  try {
    const data = lab.dataset({ name: c.dataset, size: c.size, split: 'train', seed: c.dataSeed });
    const heldOut = lab.dataset({ name: c.dataset, size: c.size, split: 'test' });
    const heldOutCount = (await heldOut.load()).count;
    const model = await lab.createModel({
      family: 'image-flow',
      kind: 'nice',
      shape: [1, c.size, c.size],
      layers: c.layers,
      hidden: c.hidden,
      hiddenLayers: c.hiddenLayers,
      prior: c.prior,
      seed: c.modelSeed,
    });
    const init = await model.exportParams();
    const started = performance.now();
    await lab.train(model, data, {
      steps,
      batch: c.batch,
      seed: c.dataSeed,
      optimizer: { kind: 'adam', lr: c.learningRate },
    }).done;
    const trainSeconds = (performance.now() - started) / 1000;
    const final = await model.exportParams();
    const estimate = await model.bitsPerDim(heldOut, { seed: 1, count: heldOutCount });
    await report({
      config: { ...c, steps },
      init: base64(init),
      final: base64(final),
      flowfield_bits_per_dim: estimate.mean,
      flowfield_standard_error: estimate.standardError,
      held_out_images: heldOutCount,
      train_seconds: trainSeconds,
    });
    model.dispose();
  } finally {
    lab.dispose();
  }
}
