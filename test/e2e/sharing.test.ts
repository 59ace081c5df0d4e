/**
 * End to end against the built site (dist/, from `npm run build`): a share link with weights
 * opens in the app and samples before any training; two <flowfield-notebook> elements from
 * dist/embed.js on one page both load and sample from their pretrained weights.
 */
import { expect } from '@esm-bundle/chai';
import { forgetAutosave } from './autosave';
import type { FfApp } from '../../src/ui/app/app';
import type { FlowfieldNotebook } from '../../src/embed/flowfield-notebook';
import { encodeShareLink, notebookFromFile, type SharePayload } from '../../src/notebook';
import { axeViolations } from './axe';

let frame: HTMLIFrameElement | undefined;

async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs: number,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function galleryFile(name: string): Promise<SharePayload> {
  const response = await fetch(`/dist/gallery/${name}.flowfield.json`);
  expect(response.ok, 'dist/ missing: run `npm run build` first (npm test does)').to.equal(true);
  return notebookFromFile(await response.text());
}

function sampled(app: FfApp | undefined, trainId = 'train-1'): Float32Array | undefined {
  const run = app?.lab?.run(trainId);
  if (run?.state === 'failed') throw new Error(`run failed: ${run.error}`);
  return run?.state === 'done' ? run.samples : undefined;
}

describe('sharing and embedding end to end (built site)', function () {
  this.timeout(180_000);
  afterEach(async () => {
    frame?.remove();
    // The app autosaved what it opened; later tests of the built site must start clean.
    await forgetAutosave();
  });

  it('a link with weights opens in the app and shows samples before any training', async () => {
    const payload = await galleryFile('glow-pinwheel');
    const fragment = await encodeShareLink(payload, { weights: 'float16' });
    frame = document.createElement('iframe');
    frame.style.width = '1100px';
    frame.style.height = '900px';
    const start = performance.now();
    frame.src = `/dist/index.html#${fragment}`;
    document.body.append(frame);
    const app = await until(
      'the app',
      () => frame!.contentDocument?.querySelector('ff-app') as FfApp | null,
      30_000,
    );
    const samples = await until('samples', () => sampled(app), 120_000);
    console.log(
      `built app: ${(performance.now() - start).toFixed(0)} ms from page load to the first samples of a link with weights`,
    );
    expect(app.store.notebook).to.deep.equal(payload.notebook);
    expect(app.lab!.run('train-1').step).to.equal(payload.weights[0]!.steps);
    expect(app.lab!.run('train-1').losses.length).to.equal(0);
    expect(samples.length).to.be.greaterThan(1000);
    expect(samples.every(Number.isFinite)).to.equal(true);
    // The View cell draws the imported model (GPU view where the client has one).
    await app.updateComplete;
    const notebook = app.shadowRoot!.querySelector('ff-notebook-view')!;
    const viewCell = notebook.shadowRoot!.querySelector('ff-view-cell')!;
    await (viewCell as HTMLElement & { updateComplete: Promise<unknown> }).updateComplete;
    const status = viewCell.shadowRoot!.querySelector('.hint[role=status]')!.textContent!;
    expect(status).to.match(/Drawn on the GPU from the model's current parameters|samples shown/);
    const violations = await axeViolations(frame);
    expect(violations, `axe violations:\n${violations.join('\n')}`).to.deep.equal([]);
  });

  it('two embedded notebooks on one page both load and sample', async () => {
    const link = await encodeShareLink(await galleryFile('nice-moons'), { weights: 'float16' });
    frame = document.createElement('iframe');
    frame.style.width = '900px';
    frame.style.height = '1200px';
    const page = frame.ownerDocument.implementation.createHTMLDocument('embed');
    const script = page.createElement('script');
    script.type = 'module';
    script.src = '/dist/embed.js';
    const fromFile = page.createElement('flowfield-notebook');
    fromFile.setAttribute('src', '/dist/gallery/realnvp-8gaussians.flowfield.json');
    fromFile.setAttribute('hide', 'share,note');
    const fromLink = page.createElement('flowfield-notebook');
    fromLink.setAttribute('notebook', link);
    fromLink.setAttribute('readonly', '');
    page.body.append(script, fromFile, fromLink);
    frame.srcdoc = `<!doctype html>${page.documentElement.outerHTML}`;
    document.body.append(frame);
    const elements = await until(
      'two elements',
      () => {
        const found = [
          ...(frame!.contentDocument?.querySelectorAll('flowfield-notebook') ?? []),
        ] as FlowfieldNotebook[];
        return found.length === 2 && found.every((el) => el.app) ? found : undefined;
      },
      30_000,
    );
    await until('samples in both', () => elements.every((el) => sampled(el.app)), 120_000);
    expect(elements[0]!.app.store.notebook.title).to.equal('RealNVP on eight Gaussians');
    expect(elements[1]!.app.store.notebook.title).to.equal('NICE on two moons');
    expect(elements[0]!.app.shadowRoot!.querySelector('button.share')).to.equal(null);
    expect(elements[1]!.app.readonly).to.equal(true);
    // The embeds themselves (the host page is the test's own).
    const violations = await axeViolations(frame, elements);
    expect(violations, `axe violations in the embeds:\n${violations.join('\n')}`).to.deep.equal([]);
  });
});
