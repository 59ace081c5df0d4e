/** The image diffusion training task's declared dispatches per step, plain and class-conditional. */
import { expect } from '@esm-bundle/chai';
import { ImageDataset } from '../../../src/data/images/image-dataset';
import { resolvePreprocess } from '../../../src/data/images/preprocess';
import { ImageDdpmModel } from '../../../src/models/image-diffusion/ddpm-model';
import { resolveImageDdpmSpec } from '../../../src/models/image-diffusion/ddpm-spec';
import { ImageFlowMatchingModel } from '../../../src/models/image-diffusion/fm-model';
import { resolveImageFlowMatchingSpec } from '../../../src/models/image-diffusion/fm-spec';
import { ImageDiffusionTrainingTask } from '../../../src/models/image-diffusion/training';
import { Trainer } from '../../../src/nn/trainer';
import { testGpu } from '../../support/gpu';

describe('image diffusion training task', () => {
  it('dispatchesPerStep equals the dispatches encodeStep records (FM, class-conditional DDPM)', async () => {
    const gpu = await testGpu();
    const images = {
      count: 4,
      channels: 1 as const,
      height: 4,
      width: 4,
      pixels: Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256),
      labels: Uint8Array.from([0, 1, 2, 1]),
    };
    const data = new ImageDataset(gpu, { images });
    const net = { family: 'image-diffusion', shape: [1, 4, 4], channels: 4, groups: 2 } as const;
    const models = [
      await ImageFlowMatchingModel.create(
        gpu,
        resolveImageFlowMatchingSpec({ ...net, kind: 'flow-matching' }),
      ),
      await ImageDdpmModel.create(
        gpu,
        resolveImageDdpmSpec({ ...net, kind: 'ddpm', timesteps: 10, classes: 3 }),
      ),
    ];
    const declared: number[] = [];
    const counted: number[] = [];
    try {
      const sampler = await data.sampler();
      for (const model of models) {
        const objective =
          model instanceof ImageDdpmModel
            ? { kind: 'ddpm' as const, schedule: model.schedule }
            : { kind: 'flow-matching' as const };
        const trainer = await Trainer.create(
          gpu,
          (state) =>
            ImageDiffusionTrainingTask.create(
              gpu,
              model,
              objective,
              sampler,
              {
                batch: 2,
                seed: 1,
                maxStepsPerSubmit: 4,
                preprocess: resolvePreprocess({ transform: 'scale', dequantize: false }),
                flips: false,
                pUncond: 0.1,
              },
              state,
            ),
          { optimizer: { kind: 'adam', lr: 1e-3 } },
        );
        let dispatches = 0;
        // A pass that only counts: every other call of the encoder is a no-op.
        const counting = new Proxy(
          {},
          {
            get: (_, name) =>
              name === 'dispatchWorkgroups' ? () => void dispatches++ : () => undefined,
          },
        ) as GPUComputePassEncoder;
        trainer.task.encodeStep(counting);
        declared.push(trainer.task.dispatchesPerStep);
        counted.push(dispatches);
        trainer.dispose();
      }
    } finally {
      models.forEach((model) => model.dispose());
      data.dispose();
    }
    expect(declared).to.deep.equal(counted);
    // The class-conditional step has the labels and the class table's forward and backward.
    expect(counted[1]! - counted[0]!).to.equal(3);
  });
});
