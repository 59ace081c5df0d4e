// Turns the page's case results into same-run ratios and a readable table (bench/run.mjs).
// No Node imports: the page (harness/measure.ts) and bench/startup/ share its `median` and `OURS`.

/** @typedef {import('./harness/results').CaseResult} CaseResult */

export const OURS = 'flowfield';

/** Median of a non-empty list (the mean of the middle two for an even length). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Round-by-round ratios of a peer timed paired with Flowfield (Flowfield's run i and the peer's
 * run i were made in round i, seconds apart): ours ÷ peer per round; null when not paired.
 * @param {CaseResult} peer
 */
export function pairedRatios(peer) {
  const ours = peer.paired_runs;
  if (!ours || !peer.runs) return null;
  if (ours.length !== peer.runs.length || ours.length === 0) return null;
  return ours.map((run, i) => run.steps_per_s / peer.runs[i].steps_per_s);
}

/**
 * Per group: flowfield ÷ each peer, on steps/s (train) or samples/s (sample). For cases timed
 * paired (bench/harness/measure.ts) the ratio is the median of the per-round ratios, with their
 * range; otherwise the ratio of the medians. A ratio is null, with a note, when either side did
 * not produce a number in this run.
 * @param {CaseResult[]} results
 */
export function computeRatios(results) {
  const groups = new Map();
  for (const result of results) {
    if (!groups.has(result.group)) groups.set(result.group, []);
    groups.get(result.group).push(result);
  }
  const ratios = [];
  for (const [group, members] of groups) {
    const ours = members.find((r) => r.impl === OURS);
    const metric = members[0].kind === 'sample' ? 'samples_per_s' : 'steps_per_s';
    for (const peer of members.filter((r) => r.impl !== OURS)) {
      const entry = {
        group,
        metric,
        peer: peer.impl,
        flowfield: ours?.status === 'ok' ? ours[metric] : null,
        peer_value: peer.status === 'ok' ? peer[metric] : null,
        ratio: null,
        ratio_of_medians: null,
        paired_ratios: null,
        ratio_min: null,
        ratio_max: null,
        note: null,
      };
      if (!ours) entry.note = 'flowfield not run (filtered out)';
      else if (ours.status !== 'ok') entry.note = `flowfield ${ours.status}: ${ours.reason}`;
      else if (peer.status !== 'ok') entry.note = `${peer.impl} ${peer.status}: ${peer.reason}`;
      else {
        entry.ratio_of_medians = entry.flowfield / entry.peer_value;
        const rounds = pairedRatios(peer);
        if (rounds) {
          entry.paired_ratios = rounds;
          entry.ratio = median(rounds);
          entry.ratio_min = Math.min(...rounds);
          entry.ratio_max = Math.max(...rounds);
        } else {
          entry.ratio = entry.ratio_of_medians;
        }
      }
      ratios.push(entry);
    }
  }
  return ratios;
}

function fmt(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5) return value.toExponential(2);
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(digits);
}

function lossCell(r) {
  if (r.loss_first === null || r.loss_first === undefined) return r.kind === 'sample' ? '' : 'n/a';
  const verdict = r.loss_decreased ? 'ok' : 'NOT DECREASING';
  return `${fmt(r.loss_first, 4)} → ${fmt(r.loss_last, 4)} ${verdict}`;
}

/** `10.3×`, or for paired cases `10.3× (9.80–10.9)`: the median round and the range. */
function ratioText(ratio) {
  const range = ratio.paired_ratios ? ` (${fmt(ratio.ratio_min)}–${fmt(ratio.ratio_max)})` : '';
  return `${fmt(ratio.ratio)}×${range}`;
}

/** One line for the progress log while the bench runs. */
export function progressLine(r) {
  if (r.status === 'missing') return `  missing  ${r.id}: ${r.reason}`;
  if (r.status === 'error') return `  ERROR    ${r.id}: ${r.reason}`;
  const rate =
    r.kind === 'sample' ? `${fmt(r.samples_per_s)} samples/s` : `${fmt(r.steps_per_s)} steps/s`;
  return (
    `  ok       ${r.id}: ${rate} (${r.steps_per_run} steps × ${r.runs.length} runs, ` +
    `setup ${fmt(r.setup_s)} s, warm-up ${fmt(r.warmup_s)} s, case ${fmt(r.case_s)} s)`
  );
}

/**
 * The results table: one row per case, groups separated by a blank line, the ratio on each peer
 * row (flowfield ÷ that peer, same run). Missing and failed cases span the number columns.
 * @param {CaseResult[]} results
 * @param {ReturnType<typeof computeRatios>} ratios
 */
export function formatTable(results, ratios) {
  const header = [
    'group',
    'impl',
    'steps/s',
    'samples/s',
    'ms/step',
    'disp/step',
    'steps×runs',
    'ours/peer',
    'eval loss first → last',
  ];
  const rightAligned = new Set([2, 3, 4, 5, 6, 7]);
  const rows = [];
  let previousGroup = null;
  for (const r of results) {
    if (previousGroup !== null && r.group !== previousGroup) rows.push({ blank: true });
    previousGroup = r.group;
    const ratio = ratios.find((x) => x.group === r.group && x.peer === r.impl);
    const ratioCell = r.impl === OURS ? '' : ratio?.ratio != null ? ratioText(ratio) : '—';
    if (r.status !== 'ok') {
      const what = r.status === 'missing' ? `missing: ${r.reason}` : `ERROR: ${r.reason}`;
      rows.push({ span: [r.group, r.impl], message: what });
      continue;
    }
    rows.push({
      cells: [
        r.group,
        r.impl,
        fmt(r.steps_per_s),
        fmt(r.samples_per_s),
        fmt(r.ms_per_step),
        fmt(r.dispatches_per_step),
        `${r.steps_per_run}×${r.runs.length}`,
        ratioCell,
        lossCell(r),
      ],
    });
  }
  const widths = header.map((h, i) =>
    Math.max(
      h.length,
      ...rows.map((row) => (row.cells ? row.cells[i].length : (row.span?.[i]?.length ?? 0))),
    ),
  );
  const pad = (cell, i) =>
    rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
  const line = (cells) => cells.map(pad).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) {
    if (row.blank) out.push('');
    else if (row.cells) out.push(line(row.cells));
    else out.push(`${row.span.map(pad).join('  ')}  ${row.message}`);
  }
  return out.join('\n');
}

/**
 * The diffusion quality-vs-compute table (bench/diffusion-quality.ts): per data set and model,
 * one row per sampler and step count.
 */
export function formatDiffusionQuality(rows) {
  const first = rows.find((r) => r.kind !== 'data') ?? rows[0];
  const out = [
    `Diffusion quality vs compute: models trained ${first.train_steps} steps (batch 512, 2 + 32 → 64 × 3 → 2 silu); ` +
      'energy distance of 1000 samples to 1000 data points (row "data": two fresh data sets, the floor); ' +
      'KL(p_data ‖ p_model) in nats via logProb with the sampler’s own solver and steps (1000 points, ± s.e.)',
    'data          model          sampler        steps    NFE   energy        KL ± s.e.     sample ms',
  ];
  let previous = null;
  for (const r of rows) {
    const key = `${r.data}/${r.kind}`;
    if (previous !== null && key !== previous) out.push('');
    if (key !== previous && r.kind !== 'data') {
      out.push(
        `${r.data} ${r.kind}: trained in ${r.train_seconds.toFixed(1)} s, final minibatch loss ${fmt(r.final_loss, 4)}`,
      );
    }
    previous = key;
    const kl = r.kl === null ? '—' : `${r.kl.toFixed(3)} ± ${r.kl_stderr.toFixed(3)}`;
    out.push(
      `${r.data.padEnd(13)} ${r.kind.padEnd(14)} ${r.sampler.padEnd(13)} ${String(r.steps).padStart(6)} ` +
        `${String(r.nfe).padStart(6)}   ${r.energy.toFixed(4).padStart(7)}   ${kl.padStart(15)}   ${r.sample_ms.toFixed(0).padStart(8)}`,
    );
  }
  return out.join('\n');
}
