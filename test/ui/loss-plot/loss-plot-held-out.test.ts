/**
 * Held-out evaluations (an image flow's bits/dim) as dots over the training loss: each dot sits
 * at its step's x and its value's y on the same axes as the loss path, and widens the range.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/loss-plot/loss-plot';
import type { FfLossPlot } from '../../../src/ui/loss-plot/loss-plot';
import { lossHistoryOf } from '../../../src/ui/controllers/loss-history';

describe('<ff-loss-plot> held-out dots', () => {
  it('puts each evaluation at its step and value, on the losses’ axes, and says the last', async () => {
    // 101 losses from 9 down to 4 (linear): the plot's x runs over steps 1…101.
    const losses = Array.from({ length: 101 }, (_, i) => 9 - i * 0.05);
    const heldOut = [
      { step: 51, bits: 6.5 }, // on the loss line
      { step: 101, bits: 3 }, // below every loss: the range must reach it
    ];
    const el = await fixture<FfLossPlot>(
      html`<ff-loss-plot
        .losses=${lossHistoryOf(losses)}
        .heldOut=${heldOut}
        .smoothing=${0}
      ></ff-loss-plot>`,
    );
    const dots = [...el.shadowRoot!.querySelectorAll('circle.held-out')];
    expect(dots).to.have.length(2);
    const [left, right, top, bottom] = [44, 600 - 8, 8, 160 - 18];
    const x = (step: number) => left + ((step - 1) / 100) * (right - left);
    const y = (v: number) => top + (1 - (v - 3) / (9 - 3)) * (bottom - top);
    for (const [i, p] of heldOut.entries()) {
      expect(Number(dots[i]!.getAttribute('cx'))).to.be.closeTo(x(p.step), 0.06);
      expect(Number(dots[i]!.getAttribute('cy'))).to.be.closeTo(y(p.bits), 0.06);
    }
    // The loss path's point at step 51 lies where the first dot does (same axes).
    const d = el.shadowRoot!.querySelector('path.raw')!.getAttribute('d')!;
    const at51 = d.split(/[ML]/).filter(Boolean)[50]!.split(',').map(Number);
    expect(at51[0]).to.be.closeTo(x(51), 0.06);
    expect(at51[1]).to.be.closeTo(y(6.5), 0.06);
    expect(el.shadowRoot!.querySelector('svg')!.getAttribute('aria-label')).to.contain(
      'Held-out 3.000 bits/dim at step 101.',
    );
  });

  it('draws a standard error as a bar from bits − SE to bits + SE, inside the range, and says it', async () => {
    const losses = Array.from({ length: 101 }, (_, i) => 9 - i * 0.05);
    // The bar reaches below every loss (3.5 − 0.5 = 3): the range must widen to it.
    const heldOut = [
      { step: 51, bits: 6.5 }, // a flow's exact estimate: no bar
      { step: 101, bits: 3.5, standardError: 0.5 },
    ];
    const el = await fixture<FfLossPlot>(
      html`<ff-loss-plot
        .losses=${lossHistoryOf(losses)}
        .heldOut=${heldOut}
        .smoothing=${0}
      ></ff-loss-plot>`,
    );
    const bars = [...el.shadowRoot!.querySelectorAll('line.held-out-error')];
    expect(bars).to.have.length(1);
    const [right, top, bottom] = [600 - 8, 8, 160 - 18];
    const y = (v: number) => top + (1 - (v - 3) / (9 - 3)) * (bottom - top);
    const bar = bars[0]!;
    expect(Number(bar.getAttribute('x1'))).to.be.closeTo(right, 0.06);
    expect(Number(bar.getAttribute('x2'))).to.be.closeTo(right, 0.06);
    expect(Number(bar.getAttribute('y1'))).to.be.closeTo(y(4), 0.06);
    expect(Number(bar.getAttribute('y2'))).to.be.closeTo(y(3), 0.06);
    expect(el.shadowRoot!.querySelector('svg')!.getAttribute('aria-label')).to.contain(
      'Held-out 3.500 ± 0.500 bits/dim at step 101.',
    );
  });
});
