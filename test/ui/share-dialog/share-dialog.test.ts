import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/share-dialog/share-dialog';
import type { FfShareDialog, ShareOptions } from '../../../src/ui/share-dialog/share-dialog';

const SETTINGS = { url: 'https://flowfield.test/#nb=AAAA', fragment: 'nb=AAAA' };
const WEIGHTS = { url: `https://flowfield.test/#nb=${'B'.repeat(60)}`, fragment: 'nb=BBBB' };

function options(patch: Partial<ShareOptions> = {}): ShareOptions {
  return {
    settings: SETTINGS,
    weights: WEIGHTS,
    replayable: 2,
    budget: 1000,
    embedScript: 'https://cdn.test/embed.js',
    ...patch,
  };
}

const root = (el: FfShareDialog) => el.shadowRoot!;
const button = (el: FfShareDialog, label: string) =>
  [...root(el).querySelectorAll('button')].find((b) => b.textContent!.trim() === label);
const radio = (el: FfShareDialog, choice: string) =>
  root(el).querySelector<HTMLInputElement>(`input[value="${choice}"]`)!;
const lengthOf = (el: FfShareDialog, choice: string) =>
  root(el).querySelector(`.length[data-choice="${choice}"]`)!.textContent!.trim();

describe('<ff-share-dialog>', () => {
  it('offers the weights link when there is one, with each length, and copies what is chosen', async () => {
    const el = await fixture<FfShareDialog>(html`<ff-share-dialog></ff-share-dialog>`);
    await el.show(options());
    expect(el.open).to.equal(true);
    expect(radio(el, 'weights').checked).to.equal(true);
    expect(lengthOf(el, 'settings')).to.equal(`${SETTINGS.url.length} characters`);
    expect(lengthOf(el, 'weights')).to.equal(`${WEIGHTS.url.length} characters`);
    expect(root(el).textContent).to.contain('parameter hash of 2 trained models');
    const box = root(el).querySelector<HTMLTextAreaElement>('#share-url')!;
    expect(box.value).to.equal(WEIGHTS.url);

    radio(el, 'settings').click();
    await el.updateComplete;
    expect(box.value).to.equal(SETTINGS.url);
    button(el, 'Copy link')!.click();
    await new Promise((r) => setTimeout(r, 50));
    expect(el.lastCopied).to.equal(SETTINGS.url);
    // Copied, or refused by a headless browser: either way the user is told which.
    expect(root(el).querySelector('.status')!.textContent).to.match(
      /Link copied|refused the clipboard/,
    );

    button(el, 'Embed')!.click();
    await new Promise((r) => setTimeout(r, 50));
    expect(el.lastCopied).to.equal(
      '<script type="module" src="https://cdn.test/embed.js"></script>\n' +
        '<flowfield-notebook notebook="nb=AAAA"></flowfield-notebook>',
    );
    button(el, 'Close')!.click();
    expect(el.open).to.equal(false);
  });

  it('a link over the budget becomes a file: no copy, the reason, Download first', async () => {
    const el = await fixture<FfShareDialog>(html`<ff-share-dialog></ff-share-dialog>`);
    await el.show(options({ budget: 40 }));
    expect(lengthOf(el, 'weights')).to.equal(
      `${WEIGHTS.url.length} characters — too long for a link`,
    );
    expect(root(el).querySelector<HTMLTextAreaElement>('#share-url')!.value).to.equal('');
    expect(button(el, 'Copy link')).to.equal(undefined);
    expect(button(el, 'Embed')).to.equal(undefined);
    expect(root(el).querySelector('.over')!.textContent).to.match(
      new RegExp(`This link is ${WEIGHTS.url.length} characters, over the\\s+40 that links`),
    );
    const download = button(el, 'Download .flowfield.json')!;
    expect(download.classList.contains('primary')).to.equal(true);
    let downloads = 0;
    el.addEventListener('ff-share-download', () => downloads++);
    download.click();
    expect(downloads).to.equal(1);
    // The settings-only link still fits: choosing it offers Copy again.
    radio(el, 'settings').click();
    await el.updateComplete;
    expect(button(el, 'Copy link')).to.not.equal(undefined);
  });

  it('without weights (nothing trained, or a failure) only settings can be chosen, and says why', async () => {
    const el = await fixture<FfShareDialog>(html`<ff-share-dialog></ff-share-dialog>`);
    await el.show(options({ weights: { error: 'The weights could not be read: device lost.' } }));
    expect(radio(el, 'settings').checked).to.equal(true);
    expect(radio(el, 'weights').disabled).to.equal(true);
    expect(lengthOf(el, 'weights')).to.equal('The weights could not be read: device lost.');
    el.close();
    const untrained = options({ replayable: 0 });
    delete untrained.weights;
    await el.show(untrained);
    expect(radio(el, 'weights').disabled).to.equal(true);
    expect(lengthOf(el, 'weights')).to.equal('nothing trained yet');
    expect(root(el).textContent).to.not.contain('parameter hash');
    await expect(el).shadowDom.to.be.accessible();
  });
});
