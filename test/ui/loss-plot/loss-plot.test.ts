/**
 * The loss plot with a long run: 10⁶ losses draw (Math.min(...losses) threw a RangeError past
 * ~10⁵ values), the path stays small (min and max per bucket), a spike in one step stays visible,
 * and the axis labels are the true extremes (computed here by a plain loop).
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/loss-plot/loss-plot';
import { MAX_POINTS, type FfLossPlot } from '../../../src/ui/loss-plot/loss-plot';
import { lossHistoryOf } from '../../../src/ui/controllers/loss-history';

function pointsOf(d: string): number[][] {
  return d
    .split(/[ML]/)
    .filter(Boolean)
    .map((p) => p.split(',').map(Number));
}

describe('<ff-loss-plot> with 10⁶ steps', () => {
  it('draws a million losses quickly, keeps a one-step spike and the true extremes', async () => {
    const n = 1_000_000;
    const losses = Array.from({ length: n }, (_, i) => 2 + Math.exp(-i / 1e5) + 0.01 * Math.sin(i));
    losses[654_321] = 40; // one bad step
    losses[10] = Number.NaN; // a non-finite loss is skipped, not drawn
    let min = Infinity;
    let max = -Infinity;
    for (const v of losses) {
      if (Number.isFinite(v)) [min, max] = [Math.min(min, v), Math.max(max, v)];
    }
    const start = performance.now();
    const el = await fixture<FfLossPlot>(
      html`<ff-loss-plot .losses=${lossHistoryOf(losses)}></ff-loss-plot>`,
    );
    const ms = performance.now() - start;
    const root = el.shadowRoot!;
    const raw = pointsOf(root.querySelector('path.raw')!.getAttribute('d')!);
    const smooth = pointsOf(root.querySelector('path.smooth')!.getAttribute('d')!);
    expect(raw.length).to.be.at.most(2 * MAX_POINTS + 2);
    expect(smooth.length).to.be.at.most(MAX_POINTS + 1);
    expect(raw.every((p) => p.every(Number.isFinite))).to.equal(true);
    // The spike is the highest point drawn: y at the top padding (8 px).
    expect(Math.min(...raw.map((p) => p[1]!))).to.be.closeTo(8, 0.1);
    const labels = [...root.querySelectorAll('text')].map((t) => t.textContent);
    expect(labels).to.include(max.toPrecision(3));
    expect(labels).to.include(min.toPrecision(3));
    expect(labels).to.include(`step ${n}`);
    expect(ms).to.be.lessThan(2000);
  });
});
