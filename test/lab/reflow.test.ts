import { expect } from '@esm-bundle/chai';
import { openLab, type Lab } from '../../src/lab/lab';
import type { LabDiffusion } from '../../src/lab/diffusion';
import { energyDistance } from '../../src/models/diffusion/metrics';
import { testGpu } from '../support/gpu';

let lab: Lab;
before(async () => {
  lab = await openLab({ runtime: await testGpu() });
});
after(() => lab.dispose());

/** Mean ‖a_i − b_i‖² of paired points (flat 2-D). */
function pairedDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / (a.length / 2);
}

describe('lab: reflow (2-rectified flow)', () => {
  it("straightens the teacher: the student's 1-step Euler lands nearer the teacher's ODE", async () => {
    const data = lab.dataset({ name: 'moons', seed: 3 });
    const spec = {
      family: 'diffusion',
      kind: 'flow-matching',
      hidden: 32,
      layers: 2,
      seed: 1,
    } as const;
    const teacher = (await lab.createModel(spec)) as LabDiffusion;
    await lab.train(teacher, data, {
      steps: 400,
      batch: 256,
      optimizer: { kind: 'adam', lr: 1e-2, emaDecay: 0.99 },
    }).done;
    const pairs = await lab.reflowPairs(teacher, {
      count: 4096,
      sampler: 'rk4',
      steps: 16,
      seed: 7,
    });
    expect(pairs.source.nfe).to.equal(64);
    // The student starts from the teacher (as in Liu et al.) and trains on the fixed pairs.
    const student = (await lab.createModel({ ...spec, pairing: 'reflow' })) as LabDiffusion;
    student.importParams(await teacher.exportParams());
    const losses: number[] = [];
    await lab.train(student, pairs, {
      steps: 300,
      batch: 256,
      optimizer: { kind: 'adam', lr: 3e-3, emaDecay: 0.99 },
      onProgress: (p) => losses.push(...p.losses),
    }).done;
    expect(student.normalization).to.deep.equal(teacher.normalization);
    // Held-out noise (seed 99, not the pairs' 7): the same z for every sampler call.
    const n = 800;
    const [truth, teacherOne, studentOne, reference] = await Promise.all([
      teacher.sample(n, { sampler: 'rk4', steps: 32, seed: 99 }),
      teacher.sample(n, { sampler: 'euler', steps: 1, seed: 99 }),
      student.sample(n, { sampler: 'euler', steps: 1, seed: 99 }),
      data.sample(n, { seed: 5 }),
    ]);
    const teacherGap = pairedDistance(teacherOne, truth);
    const studentGap = pairedDistance(studentOne, truth);
    const report =
      `paired ‖·‖² to the teacher's RK4-32: teacher 1-step ${teacherGap.toFixed(4)}, student 1-step ${studentGap.toFixed(4)}; ` +
      `energy distance to data: teacher RK4 ${energyDistance(truth, reference).toFixed(4)}, ` +
      `teacher 1-step ${energyDistance(teacherOne, reference).toFixed(4)}, student 1-step ${energyDistance(studentOne, reference).toFixed(4)}`;
    console.log(report);
    expect(studentGap, report).to.be.below(0.2 * teacherGap);
    // Reflow's loss is the pairs' straightness: it falls as the student learns them.
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(losses.slice(-30)), report).to.be.below(mean(losses.slice(0, 30)));
    for (const item of [teacher, student, pairs, data]) item.dispose();
  });

  it('refuses a normalizing flow as the teacher and reflow pairs for a flow', async () => {
    const flow = await lab.createModel({
      family: 'flow',
      kind: 'realnvp',
      layers: 2,
      hidden: 8,
      seed: 1,
    });
    let message = '';
    try {
      await lab.reflowPairs(flow, { count: 16 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain('needs a live flow-matching model');
    const fm = await lab.createModel({ family: 'diffusion', kind: 'flow-matching', hidden: 8 });
    const pairs = await lab.reflowPairs(fm, { count: 16, sampler: 'euler', steps: 2 });
    const run = lab.train(flow, pairs, {
      steps: 2,
      batch: 8,
      optimizer: { kind: 'adam', lr: 1e-3 },
    });
    let failure = '';
    try {
      await run.done;
    } catch (error) {
      failure = (error as Error).message;
    }
    expect(failure).to.contain('a normalizing flow trains on a dataset');
    for (const item of [flow, fm, pairs]) item.dispose();
  });
});
