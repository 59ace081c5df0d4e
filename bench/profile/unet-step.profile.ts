/**
 * Where a U-Net training step spends its time: every dispatch of one step of the bench's
 * `unet/c32/28x28/b64/train` workload, timed alone (bench/harness/dispatch-profile.ts). Not a
 * test (it asserts nothing): run it through the test runner, which gives it a WebGPU page:
 *   TEST_FILES=bench/profile/unet-step.profile.ts npm run test:browser
 * The table is in the browser log; compare figures from one run only.
 */
import { UNetDenoiserTask } from '../../src/nn/conv/unet-denoiser-task';
import { Trainer } from '../../src/nn/trainer';
import { testGpu } from '../../test/support/gpu';
import { formatDispatchTimes, profileDispatches } from '../harness/dispatch-profile';
import { adamOptimizer } from '../cases/flowfield-shared';
import { unetDenoiserSpec } from '../cases/flowfield-unet';
import { UNET_WORKLOADS } from '../cases/workloads';

describe('profile', () => {
  it('U-Net step: time per dispatch', async function () {
    this.timeout(900_000);
    const gpu = await testGpu();
    const c = UNET_WORKLOADS[0]!.config;
    const spec = unetDenoiserSpec(c);
    const trainer = await Trainer.create(
      gpu,
      (state) => UNetDenoiserTask.create(gpu, spec, state),
      { optimizer: adamOptimizer(c) },
    );
    await trainer.train(1); // compiles everything, fills the maps
    const times = await profileDispatches(gpu.device, (pass) => trainer.task.encodeStep(pass));
    console.log(formatDispatchTimes(times));
    trainer.dispose();
  });
});
