/** The straightness table (bench/straightness.ts): per data set, one row per model and sampler. */
export function formatStraightness(rows) {
  const trained = rows.find((r) => r.model === 'independent');
  const out = [
    `Straightness vs compute: flow matching trained ${trained?.train_steps ?? '?'} steps (batch 128, 2 + 32 → 64 × 3 → 2 silu) ` +
      'with independent or minibatch-OT pairs; reflow: the independent model + half as many steps on 8192 of its RK4-20 pairs. ' +
      'energy: 1000 samples vs 1000 data points (row "data": two fresh data sets, the floor); ' +
      'gap: E‖x(z) − x_RK4-20(z)‖² to the (teacher’s) RK4-20 image of the same noise',
    'data          model          sampler     steps   NFE   energy      gap   train steps  train s  final loss',
  ];
  let previous = null;
  for (const r of rows) {
    if (previous !== null && r.data !== previous) out.push('');
    previous = r.data;
    const gap = r.gap === null ? '—' : r.gap.toFixed(4);
    const loss = Number.isFinite(r.final_loss) ? r.final_loss.toFixed(4) : '—';
    out.push(
      `${r.data.padEnd(13)} ${r.model.padEnd(14)} ${r.sampler.padEnd(10)} ${String(r.steps).padStart(5)} ` +
        `${String(r.nfe).padStart(5)}  ${r.energy.toFixed(4).padStart(7)}  ${gap.padStart(7)}  ` +
        `${String(r.train_steps).padStart(11)}  ${r.train_seconds.toFixed(1).padStart(7)}  ${loss.padStart(10)}`,
    );
  }
  return out.join('\n');
}
