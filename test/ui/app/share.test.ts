/**
 * Sharing through the app: links made by one app instance open in another (deep-equal notebook,
 * weights imported), a broken link keeps the notebook that was there, autosave restores, files
 * and safetensors round-trip, and the Share dialog shows and copies what it claims.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import {
  decodeShareLink,
  encodeShareLink,
  float16Value,
  float16Bits,
  notebookFromFile,
  readSafetensors,
  type Notebook,
} from '../../../src/notebook';
import { FakeWeightsClient, fakeParams, freshDb, settle, until } from '../support/share-support';

/** Every element under `root`, through shadow roots. */
function deepElements(root: Element | ShadowRoot): Element[] {
  const out: Element[] = [];
  for (const el of root.querySelectorAll('*')) {
    out.push(el);
    if (el.shadowRoot) out.push(...deepElements(el.shadowRoot));
  }
  return out;
}

function deepText(root: Element | ShadowRoot): string {
  return deepElements(root)
    .map((el) => (el.shadowRoot ? el.shadowRoot.textContent : '') + (el.textContent ?? ''))
    .join(' ');
}

async function mount(
  client = new FakeWeightsClient(),
): Promise<{ app: FfApp; client: FakeWeightsClient }> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  await settle(app);
  return { app, client };
}

/** A notebook a user changed: a title, a model setting, an extra note. */
function edit(app: FfApp): void {
  const store = app.store;
  store.dispatch({ type: 'add', kind: 'note' });
  const note = store.notebook.cells.at(-1)!;
  store.dispatch({ type: 'update', id: note.id, patch: { markdown: 'A *shared* note.' } });
  const model = store.cell('model-1')!;
  if (model.kind !== 'model') throw new Error('model-1 is not a Model cell');
  store.dispatch({
    type: 'update',
    id: 'model-1',
    patch: { model: { ...model.model, kind: 'nice', hidden: 24, seed: 9 } },
  });
  store.dispatch({ type: 'replace', notebook: { ...store.notebook, title: 'Shared moons' } });
}

function shadowText(el: Element, selector: string): string {
  return el.shadowRoot!.querySelector(selector)?.textContent ?? '';
}

describe('sharing through the app', () => {
  it('a with-weights link opens in a new app: deep-equal notebook, weights imported, samples shown', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    edit(app);
    await app.lab!.play('train-1');
    const options = await app.session.shareOptions();
    expect(options.replayable).to.equal(1);
    expect(options.weights && 'url' in options.weights).to.equal(true);
    const withWeights = options.weights as { url: string; fragment: string };
    expect(withWeights.url.endsWith(`#${withWeights.fragment}`)).to.equal(true);
    expect(withWeights.fragment.startsWith('nb=3.')).to.equal(true);
    expect(options.settings.url.length).to.be.lessThan(withWeights.url.length);

    // The shared notebook is the current one plus the replay expectation of train-1.
    const steps = app.lab!.run('train-1').step;
    const expected: Notebook = structuredClone(app.store.notebook);
    const train = expected.cells.find((c) => c.id === 'train-1')!;
    if (train.kind !== 'train') throw new Error('train-1 is not a Train cell');
    expect(steps).to.equal(500);

    const { app: other, client: otherClient } = await mount();
    await other.session.boot({ hash: `#${withWeights.fragment}`, autosaveDb: freshDb() });
    await settle(other);
    const opened = structuredClone(other.store.notebook);
    const openedTrain = opened.cells.find((c) => c.id === 'train-1');
    if (openedTrain?.kind !== 'train' || !openedTrain.expected) throw new Error('no expectation');
    expect(openedTrain.expected.steps).to.equal(steps);
    expect(openedTrain.expected.paramsHash).to.match(/^[0-9a-f]{64}$/);
    delete openedTrain.expected;
    expect(opened).to.deep.equal(expected);

    // Weights: imported as float16 (each value the float16 rounding of the original), no training.
    expect(otherClient.trainCalls).to.equal(0);
    expect(otherClient.imports).to.have.length(1);
    const original = fakeParams(9, 500);
    const imported = otherClient.imports[0]!.params;
    expect(imported.length).to.equal(original.length);
    imported.forEach((v, i) => expect(v).to.equal(float16Value(float16Bits(original[i]!))));
    const run = other.lab!.run('train-1');
    expect(run.state).to.equal('done');
    expect(run.step).to.equal(500);
    expect(run.samples?.length).to.equal(2 * 2048);
    // An import is not a replay: no "replay" verdict appears.
    expect(other.session.replay.size).to.equal(0);
  });

  it('a settings-only link carries no weights and opens to the same notebook', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    edit(app);
    await app.lab!.play('train-1');
    const options = await app.session.shareOptions();
    const decoded = await decodeShareLink(options.settings.fragment);
    expect(decoded.weights).to.deep.equal([]);
    const { app: other, client } = await mount();
    await other.session.boot({ hash: `#${options.settings.fragment}`, autosaveDb: freshDb() });
    expect(other.store.notebook).to.deep.equal(decoded.notebook);
    expect(client.imports).to.have.length(0);
    expect(other.lab!.run('train-1').state).to.equal('idle');
  });

  it('a broken link shows the decoder message in a banner; the autosaved notebook stays', async () => {
    const db = freshDb();
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: db });
    edit(app);
    await app.session.flushAutosave();
    const before = structuredClone(app.store.notebook);

    const bad = 'nb=2.AAAAthis-is-not-a-notebook';
    const reason = await decodeShareLink(bad).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(reason).to.not.equal('');
    const { app: other, client } = await mount();
    await other.session.boot({ hash: `#${bad}`, autosaveDb: db });
    await settle(other);
    const banner = other.shadowRoot!.querySelector('.banner.error')!;
    expect(banner.getAttribute('role')).to.equal('alert');
    expect(banner.textContent).to.contain('could not be opened');
    expect(banner.textContent).to.contain(reason);
    expect(other.store.notebook).to.deep.equal(before);
    expect(client.calls.filter((c) => c.startsWith('createRun'))).to.deep.equal([]);
  });

  it('a broken link with no autosave keeps the starting notebook', async () => {
    const { app } = await mount();
    const start = structuredClone(app.store.notebook);
    await app.session.boot({ hash: '#nb=9.zzz', autosaveDb: freshDb() });
    await settle(app);
    expect(shadowText(app, '.banner.error')).to.contain('could not be opened');
    expect(app.store.notebook).to.deep.equal(start);
  });

  it('autosave: a new app instance restores the last notebook; Recent lists it', async function () {
    const db = freshDb();
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: db });
    edit(app);
    // The debounced save (no explicit flush): wait past the delay, then for the save it started
    // (a save is sliced into small tasks, so it can still be writing; recent() waits for it).
    await new Promise((r) => setTimeout(r, 700));
    await app.session.recent();
    const saved = structuredClone(app.store.notebook);
    app.remove();

    const { app: other } = await mount();
    await other.session.boot({ hash: '', autosaveDb: db });
    expect(other.store.notebook).to.deep.equal(saved);
    const recent = other.shadowRoot!.querySelector('details.recent') as HTMLDetailsElement;
    recent.open = true;
    await until('recent list', () => other.recentList.length > 0);
    await settle(other);
    const items = [...recent.querySelectorAll('button[data-id]')].map((b) => b.textContent!);
    expect(items.join(' ')).to.contain('Shared moons');
  });

  it('autosave keeps the last valid state while a setting is out of range', async () => {
    const db = freshDb();
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: db });
    edit(app);
    await app.session.flushAutosave();
    const valid = structuredClone(app.store.notebook);
    const model = app.store.cell('model-1')!;
    if (model.kind !== 'model') throw new Error('model-1 is not a Model cell');
    // What a user can type: the Model cell keeps it and refuses to run.
    app.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: { model: { ...model.model, hidden: 10_000_000 } },
    });
    await app.session.flushAutosave();
    app.remove();

    const { app: other } = await mount();
    await other.session.boot({ hash: '', autosaveDb: db });
    expect(other.store.notebook).to.deep.equal(valid);
  });

  it('Recent reopens an older notebook after a link replaced it', async () => {
    const db = freshDb();
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: db });
    edit(app);
    await app.session.flushAutosave();
    const first = structuredClone(app.store.notebook);
    const link = (await app.session.shareOptions()).settings.fragment;
    // The same app opens another notebook through a link; the first stays in Recent.
    app.store.dispatch({ type: 'replace', notebook: { ...app.store.notebook, title: 'Second' } });
    await app.session.flushAutosave();
    await app.session.openLink(link);
    await app.session.flushAutosave();
    const list = await app.session.recent();
    expect(list.length).to.be.greaterThanOrEqual(2);
    const firstId = list.find((r) => r.title === 'Shared moons')!.id;
    await app.session.openRecent(firstId);
    expect(app.store.notebook.title).to.equal(first.title);
  });

  it('Save file / Open file: exact float32 weights and the same notebook; safetensors carry params and config', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    edit(app);
    await app.lab!.play('train-1');
    await app.session.saveFile();
    const file = app.session.lastDownload!;
    expect(file.name).to.equal('shared-moons.flowfield.json');
    const text = new TextDecoder().decode(file.bytes);
    const payload = notebookFromFile(text);
    expect(payload.weights[0]!.params).to.deep.equal(fakeParams(9, 500));

    const { app: other, client } = await mount();
    await other.session.boot({ hash: '', autosaveDb: freshDb() });
    expect(await other.session.openFile(new Blob([text]))).to.equal(true);
    expect(other.store.notebook).to.deep.equal(payload.notebook);
    expect(client.imports[0]!.params).to.deep.equal(fakeParams(9, 500));

    // A file that is not a notebook: a banner, nothing changes.
    const before = structuredClone(other.store.notebook);
    expect(await other.session.openFile(new Blob(['{"format":"zip"}']))).to.equal(false);
    await settle(other);
    expect(shadowText(other, '.banner.error')).to.contain('file could not be opened');
    expect(other.store.notebook).to.deep.equal(before);

    await app.session.exportSafetensors('train-1');
    const st = app.session.lastDownload!;
    expect(st.name).to.equal('shared-moons-train-1.safetensors');
    const read = readSafetensors(st.bytes);
    expect(read.tensors['params']!.data).to.deep.equal(fakeParams(9, 500));
    const model = JSON.parse(read.metadata['flowfield.model']!);
    expect(model.kind).to.equal('nice');
    expect(model.hidden).to.equal(24);
    expect(read.metadata['flowfield.steps']).to.equal('500');
  });

  it('the Share dialog shows each link length, copies the link and the Embed snippet', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    await app.lab!.play('train-1');
    const button = app.shadowRoot!.querySelector('button.share') as HTMLButtonElement;
    button.click();
    const dialog = app.shareDialog;
    await until('the share dialog', () => dialog.open && dialog.options);
    await settle(dialog);
    const options = dialog.options!;
    const lengths = [...dialog.shadowRoot!.querySelectorAll('.length')].map((e) => e.textContent!);
    expect(lengths[0]).to.contain(`${options.settings.url.length.toLocaleString('en')} characters`);
    const weights = options.weights as { url: string; fragment: string };
    expect(lengths[1]).to.contain(`${weights.url.length.toLocaleString('en')} characters`);
    expect(dialog.shadowRoot!.textContent).to.contain(
      'Run all on the same browser and GPU retrains to bit-identical parameters',
    );
    const buttons = () => [...dialog.shadowRoot!.querySelectorAll('button')];
    // With weights is pre-selected after training; choose settings only, copy.
    const radio = dialog.shadowRoot!.querySelector('input[value=settings]') as HTMLInputElement;
    radio.click();
    await settle(dialog);
    buttons()
      .find((b) => b.textContent!.trim() === 'Copy link')!
      .click();
    await until('copy', () => dialog.lastCopied);
    expect(dialog.lastCopied).to.equal(options.settings.url);
    buttons()
      .find((b) => b.textContent!.trim() === 'Embed')!
      .click();
    await until('embed copy', () => dialog.lastCopied !== options.settings.url);
    expect(dialog.lastCopied).to.equal(
      `<script type="module" src="${new URL('embed.js', location.href).href}"></script>\n` +
        `<flowfield-notebook notebook="${options.settings.fragment}"></flowfield-notebook>`,
    );
    dialog.close();
  });

  it('over the link budget the dialog offers the file instead of Copy', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    const options = await app.session.shareOptions();
    const dialog = app.shareDialog;
    await dialog.show({ ...options, budget: options.settings.url.length - 1 });
    await settle(dialog);
    const labels = [...dialog.shadowRoot!.querySelectorAll('button')].map((b) =>
      b.textContent!.trim(),
    );
    expect(labels).to.not.include('Copy link');
    expect(dialog.shadowRoot!.querySelector('.over')!.textContent).to.contain('over the');
    const download = [...dialog.shadowRoot!.querySelectorAll('button')].find((b) =>
      b.textContent!.includes('Download .flowfield.json'),
    )!;
    download.click();
    await until('the file', () => app.session.lastDownload);
    const payload = notebookFromFile(new TextDecoder().decode(app.session.lastDownload!.bytes));
    expect(payload.notebook).to.deep.equal(app.store.notebook);
    dialog.close();
  });

  it('script in a link (Markdown, titles, javascript: URLs) renders as inert text', async () => {
    const attack = '<img src=x onerror="window.__ffPwned=1">';
    const { app: source } = await mount();
    const notebook = structuredClone(source.store.notebook);
    notebook.title = attack;
    notebook.cells = notebook.cells.map((cell) => {
      if (cell.kind === 'note') {
        return {
          ...cell,
          markdown: `${attack} [click](javascript:window.__ffPwned=2) <script>window.__ffPwned=3</script>`,
        };
      }
      if (cell.kind === 'data') return { ...cell, title: '<svg onload="window.__ffPwned=4">' };
      return cell;
    });
    const link = await encodeShareLink({ notebook, weights: [] });
    const { app } = await mount();
    await app.session.boot({ hash: `#${link}`, autosaveDb: freshDb() });
    app.embedded = true; // the embedded header shows the notebook title too
    await settle(app, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect((window as { __ffPwned?: number }).__ffPwned).to.equal(undefined);
    const elements = deepElements(app.shadowRoot!);
    expect(
      elements.filter(
        (el) =>
          ['img', 'script', 'svg'].includes(el.localName) &&
          [...el.attributes].some((a) => a.name.startsWith('on')),
      ),
    ).to.deep.equal([]);
    expect(elements.filter((el) => el.localName === 'script')).to.deep.equal([]);
    const hrefs = elements.map((el) => el.getAttribute('href') ?? '').filter(Boolean);
    expect(hrefs.some((h) => h.trim().toLowerCase().startsWith('javascript:'))).to.equal(false);
    expect(deepText(app.shadowRoot!)).to.contain('<img src=x');
  });

  it('the Share and Gallery dialogs are accessible', async () => {
    const { app } = await mount();
    await app.session.boot({ hash: '', autosaveDb: freshDb() });
    await app.lab!.play('train-1');
    await app.shareDialog.show(await app.session.shareOptions());
    await settle(app.shareDialog);
    await expect(app.shareDialog).to.be.accessible();
    app.shareDialog.close();
    await app.gallery.show();
    await expect(app.gallery).to.be.accessible();
    app.gallery.close();
  });
});
