/**
 * TF.js peer of the diffusion sampling workloads (issue #19): the same network shape
 * ([x, sinusoidal embedding (32)] → 128 → 128 → 128 (silu) → 2, seeded init) and the very same
 * plan as Flowfield (src/models/diffusion/plan.ts: coefficients, time embeddings, NFE), run stage
 * by stage with TF.js ops: per stage the MLP on all samples, then the solver update, noise from
 * tf.randomNormal. A call ends when the samples are read back (16 384 × 2 floats).
 */
import type { Implementation, Session, Workload } from '../../harness/types';
import { embeddingFrequency } from '../../../src/nn/reference/embedding';
import { diffusionSamplePlan, flowSamplePlan, type Plan } from '../../../src/models/diffusion/plan';
import { makeSchedule } from '../../../src/models/diffusion/schedule';
import type { DiffusionSampleConfig } from '../workloads';
import { applyDense, dense, tf, useBackend, variablesOf, type Dense, type TfImpl } from './common';

function planOf(c: DiffusionSampleConfig): Plan {
  return c.kind === 'ddpm'
    ? diffusionSamplePlan(makeSchedule({ kind: 'linear', timesteps: c.timesteps }), 'eps', {
        sampler: c.sampler as 'ddpm' | 'ddim',
        steps: c.steps,
      })
    : flowSamplePlan({ sampler: c.sampler as 'rk4' | 'euler', steps: c.steps });
}

function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}

function network(layers: readonly Dense[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    const z = applyDense(layer, h, 'linear');
    h = i < layers.length - 1 ? silu(z) : z;
  });
  return h;
}

export function tfjsDiffusionSample(impl: TfImpl): Implementation<DiffusionSampleConfig> {
  return {
    impl,
    async setup(workload: Workload<DiffusionSampleConfig>): Promise<Session> {
      const info = await useBackend(impl);
      const c = workload.config;
      const plan = planOf(c);
      if (plan.nfe !== c.nfe) {
        throw new Error(
          `${workload.group}: the plan runs ${plan.nfe} NFE, the workload says ${c.nfe}.`,
        );
      }
      const widths = [2 + c.timeEmbedding, ...c.hidden];
      const layers = [...c.hidden, 2].map((out, i) =>
        dense(widths[i]!, out, i < c.hidden.length ? 'he' : 'glorot', 41 + i),
      );
      const shape = {
        dims: 2,
        features: c.timeEmbedding,
        scale: c.kind === 'ddpm' ? 1000 / c.timesteps : 1000,
        maxPeriod: 10_000,
      };
      const half = c.timeEmbedding / 2;
      // Each stage's embedding row, tiled to the batch once (the batch never changes).
      const embeddings = plan.stages.map((stage) => {
        const row = new Float32Array(c.timeEmbedding);
        for (let k = 0; k < half; k++) {
          const angle = embeddingFrequency(shape, k) * stage.time.net;
          row[k] = Math.sin(angle);
          row[half + k] = Math.cos(angle);
        }
        return tf.tidy(() => tf.tile(tf.tensor2d(row, [1, c.timeEmbedding]), [c.count, 1]));
      });
      let call = 0;
      const sampleOnce = async (seed: number) => {
        let y = tf.tidy(() =>
          tf.mul(tf.randomNormal([c.count, 2], 0, 1, 'float32', seed), plan.initScale),
        ) as tf.Tensor2D;
        let yEval = tf.clone(y);
        let acc = tf.zeros([c.count, 2]) as tf.Tensor2D;
        plan.stages.forEach((stage, r) => {
          const [nextY, nextEval, nextAcc] = tf.tidy(() => {
            const input = tf.concat(
              [tf.mul(yEval, stage.inputScale), embeddings[r]!],
              1,
            ) as tf.Tensor2D;
            const out = network(layers, input);
            const f = tf.add(tf.mul(yEval, stage.cx), tf.mul(out, stage.cn));
            const summed = tf.add(acc, tf.mul(f, stage.w));
            if (!stage.last) return [tf.clone(y), tf.add(y, tf.mul(f, stage.a)), summed];
            let moved = tf.add(tf.mul(y, stage.m), summed);
            if (stage.sigma > 0) {
              const z = tf.randomNormal([c.count, 2], 0, 1, 'float32', seed + r + 1);
              moved = tf.add(moved, tf.mul(z, stage.sigma));
            }
            return [moved, tf.clone(moved), tf.zerosLike(summed)];
          }) as tf.Tensor2D[];
          tf.dispose([y, yEval, acc]);
          [y, yEval, acc] = [nextY!, nextEval!, nextAcc!];
        });
        const x = tf.mul(y, plan.outputScale);
        await x.data();
        tf.dispose([x, y, yEval, acc]);
      };
      return {
        info: { ...info, nfe: plan.nfe, weights: 'untrained (seeded init)' },
        async run(steps) {
          for (let s = 0; s < steps; s++) await sampleOnce(3 + call++);
        },
        dispose() {
          tf.dispose([...variablesOf(layers), ...embeddings]);
        },
      };
    },
  };
}
