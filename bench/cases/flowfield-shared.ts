/** What the Flowfield cases share: one GpuRuntime per page (its pipeline cache survives). */
import { GpuRuntime } from '../../src/gpu';
import type { OptimizerSpec } from '../../src/nn/optimizer-config';
import type { Trainer } from '../../src/nn/trainer';
import type { BenchContext } from '../harness/types';
import type { AdamSettings } from './workloads';

export function sharedGpu(context: BenchContext): Promise<GpuRuntime> {
  return context.shared(
    'flowfield-gpu',
    () => GpuRuntime.open(),
    (gpu) => gpu.dispose(),
  );
}

/** Runs `steps` training steps in submits of at most 256 steps, then waits for the GPU. */
export async function trainSteps(gpu: GpuRuntime, trainer: Trainer, steps: number): Promise<void> {
  for (let done = 0; done < steps;) {
    const n = Math.min(256, steps - done);
    trainer.submit(n);
    done += n;
  }
  await gpu.device.queue.onSubmittedWorkDone();
}

/** The workload's Adam settings as Flowfield's optimizer spec. */
export function adamOptimizer(c: AdamSettings): OptimizerSpec {
  return { kind: 'adam', lr: c.learningRate, beta1: c.beta1, beta2: c.beta2, eps: c.epsilon };
}
