/**
 * Where a NICE training step spends its time: every dispatch of one step of the bench's
 * `nice/14x14/h256x2/b64/train` workload, timed alone (bench/harness/dispatch-profile.ts). Not a
 * test (it asserts nothing): run it through the test runner, which gives it a WebGPU page:
 *   TEST_FILES=bench/profile/nice-step.profile.ts npm run test:browser
 * The table is in the browser log; compare figures from one run only.
 */
import { ImageDataset } from '../../src/data/images/image-dataset';
import { resolvePreprocess } from '../../src/data/images/preprocess';
import { NiceModel } from '../../src/models/image-flows/nice-model';
import { resolveNiceSpec } from '../../src/models/image-flows/nice-spec';
import { NiceTrainingTask } from '../../src/models/image-flows/nice-training';
import { Trainer } from '../../src/nn/trainer';
import { testGpu } from '../../test/support/gpu';
import { formatDispatchTimes, profileDispatches } from '../harness/dispatch-profile';
import { adamOptimizer } from '../cases/flowfield-shared';
import { NICE_WORKLOADS, strokeImages } from '../cases/flowfield-nice';

describe('profile', () => {
  it('NICE step: time per dispatch', async function () {
    this.timeout(900_000);
    const gpu = await testGpu();
    const c = NICE_WORKLOADS[0]!.config;
    const spec = resolveNiceSpec({
      family: 'image-flow',
      kind: 'nice',
      shape: [1, c.side, c.side],
      layers: c.layers,
      hidden: c.hidden,
      hiddenLayers: c.hiddenLayers,
      prior: c.prior,
      seed: 1,
    });
    const data = new ImageDataset(gpu, { images: strokeImages(c.images, c.side) });
    const model = await NiceModel.create(gpu, spec);
    const sampler = await data.sampler();
    const preprocess = resolvePreprocess({ transform: 'unit', dequantize: true });
    const trainer = await Trainer.create(
      gpu,
      (state) =>
        NiceTrainingTask.create(
          gpu,
          model,
          sampler,
          { batch: c.batch, seed: 3, maxStepsPerSubmit: 16, preprocess, flips: false },
          state,
        ),
      { optimizer: adamOptimizer(c), maxStepsPerSubmit: 16 },
    );
    await trainer.train(1); // compiles everything
    const times = await profileDispatches(gpu.device, (pass) => trainer.task.encodeStep(pass));
    console.log(formatDispatchTimes(times));
    trainer.dispose();
    model.dispose();
    data.dispose();
  });
});
