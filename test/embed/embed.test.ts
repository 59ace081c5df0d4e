/**
 * <flowfield-notebook>: several instances on one page, each with its own shadow root, store and
 * client; `hide` hides the named controls, `readonly` disables editing (and ignores edits),
 * `autoplay` runs all; a bad src or link shows a readable message inside the element.
 */
import { expect } from '@open-wc/testing';
import { FlowfieldNotebook } from '../../src/embed/flowfield-notebook';
import { GALLERY } from '../../src/gallery';
import { decodeShareLink, encodeShareLink, notebookFromFile } from '../../src/notebook';
import { FakeWeightsClient, settle, until } from '../ui/support/share-support';

const GALLERY_URL = new URL('../../public/gallery/', import.meta.url).href;
const clients: FakeWeightsClient[] = [];
const made: HTMLElement[] = [];

function embed(attributes: Record<string, string>): FlowfieldNotebook {
  const el = document.createElement('flowfield-notebook');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  document.body.append(el);
  made.push(el);
  return el;
}

async function ready(el: FlowfieldNotebook): Promise<void> {
  await el.ready;
  await settle(el.app, 10);
}

function sections(el: FlowfieldNotebook): HTMLElement[] {
  const view = el.app.shadowRoot!.querySelector('ff-notebook-view')!;
  return [...view.shadowRoot!.querySelectorAll<HTMLElement>('section[data-kind]')];
}

function cellRoot(el: FlowfieldNotebook, tag: string): ShadowRoot {
  const view = el.app.shadowRoot!.querySelector('ff-notebook-view')!;
  return view.shadowRoot!.querySelector(tag)!.shadowRoot!;
}

function errorText(el: FlowfieldNotebook): string {
  const box = el.shadowRoot!.querySelector('.error') as HTMLElement;
  return box.hidden ? '' : box.textContent!;
}

describe('<flowfield-notebook>', () => {
  before(() => {
    FlowfieldNotebook.clientFactory = () => {
      const client = new FakeWeightsClient();
      clients.push(client);
      return client;
    };
  });
  afterEach(() => {
    for (const el of made.splice(0)) el.remove();
    clients.length = 0;
  });

  it('two instances on one page: both render their own notebook; hide and readonly apply to one each', async () => {
    const nice = GALLERY.find((e) => e.name === 'nice-moons')!.notebook;
    const link = await encodeShareLink({ notebook: nice, weights: [] });
    const first = embed({ notebook: link, hide: 'model, share' });
    const second = embed({ src: `${GALLERY_URL}realnvp-8gaussians.flowfield.json`, readonly: '' });
    await Promise.all([ready(first), ready(second)]);

    expect(first.shadowRoot).to.not.equal(second.shadowRoot);
    expect(first.app.store).to.not.equal(second.app.store);
    expect(clients).to.have.length(2);
    expect(first.app.store.notebook).to.deep.equal((await decodeShareLink(link)).notebook);
    const file = notebookFromFile(
      await (await fetch(`${GALLERY_URL}realnvp-8gaussians.flowfield.json`)).text(),
    );
    expect(second.app.store.notebook).to.deep.equal(file.notebook);
    expect(sections(first)).to.have.length(nice.cells.length);
    expect(sections(second)).to.have.length(file.notebook.cells.length);
    expect(errorText(first) + errorText(second)).to.equal('');

    // hide="model, share": the Model cell and the Share button are hidden, nothing else.
    await until('hidden cells', () => sections(first).some((s) => s.hidden));
    const hidden = sections(first)
      .filter((s) => s.hidden)
      .map((s) => s.dataset['kind']);
    expect(hidden).to.deep.equal(['model']);
    expect(first.app.shadowRoot!.querySelector('button.share')).to.equal(null);
    expect(second.app.shadowRoot!.querySelector('button.share')).to.not.equal(null);
    expect(sections(second).some((s) => s.hidden)).to.equal(false);

    // The file's weights went into the second element's own client: samples without training.
    expect(clients[1]!.imports).to.have.length(1);
    expect(clients[1]!.trainCalls).to.equal(0);
    expect(second.app.lab!.run('train-1').samples).to.not.equal(undefined);
    expect(clients[0]!.imports).to.have.length(0);

    // readonly: editing controls are disabled, add-cell buttons hidden, edits ignored.
    await until(
      'disabled controls',
      () =>
        (cellRoot(second, 'ff-model-cell').querySelector('select') as HTMLSelectElement | null)
          ?.disabled,
    );
    for (const tag of ['ff-data-cell', 'ff-model-cell']) {
      const controls = [...cellRoot(second, tag).querySelectorAll('input, select, textarea')];
      expect(controls.length, tag).to.be.greaterThan(0);
      expect(
        controls.every((c) => (c as HTMLInputElement).disabled),
        tag,
      ).to.equal(true);
    }
    const view = second.app.shadowRoot!.querySelector('ff-notebook-view')!;
    expect((view.shadowRoot!.querySelector('.add') as HTMLElement).hidden).to.equal(true);
    const trainButtons = [...cellRoot(second, 'ff-train-cell').querySelectorAll('button')];
    expect(trainButtons.find((b) => b.textContent!.trim() === 'Train')!.disabled).to.equal(false);
    // The first element is editable.
    const firstData = cellRoot(first, 'ff-data-cell').querySelector('select') as HTMLSelectElement;
    expect(firstData.disabled).to.equal(false);

    const before = structuredClone(second.app.store.notebook);
    second.app.dispatchEvent(
      new CustomEvent('ff-cell-change', { detail: { id: 'model-1', patch: { title: 'x' } } }),
    );
    second.app.dispatchEvent(new CustomEvent('ff-cell-add', { detail: { kind: 'note' } }));
    second.app.dispatchEvent(
      new CustomEvent('ff-cell-command', { detail: { id: 'data-1', command: 'remove' } }),
    );
    expect(second.app.store.notebook).to.deep.equal(before);
    first.app.dispatchEvent(
      new CustomEvent('ff-cell-change', { detail: { id: 'model-1', patch: { title: 'Edited' } } }),
    );
    expect(first.app.store.cell('model-1')).to.have.property('title', 'Edited');
  });

  it('autoplay runs all once loaded', async () => {
    const link = await encodeShareLink({
      notebook: GALLERY.find((e) => e.name === 'glow-pinwheel')!.notebook,
      weights: [],
    });
    const el = embed({ notebook: link, autoplay: '' });
    await ready(el);
    await until('training', () => el.app.lab!.run('train-1').state === 'done');
    expect(clients[0]!.trainCalls).to.equal(1);
  });

  it('a missing src and a broken link show readable messages inside the element', async () => {
    const missing = embed({ src: '/no/such/notebook.flowfield.json' });
    const broken = embed({ notebook: 'nb=2.not-a-real-link' });
    const empty = embed({});
    await Promise.all([ready(missing), ready(broken), ready(empty)]);
    expect(errorText(missing)).to.contain('Could not load the notebook file');
    expect(errorText(missing)).to.contain('404');
    const reason = await decodeShareLink('nb=2.not-a-real-link').then(
      () => '',
      (e: Error) => e.message,
    );
    expect(reason).to.not.equal('');
    expect(errorText(broken)).to.contain(reason);
    expect(errorText(empty)).to.contain('src="notebook.flowfield.json"');
    const box = missing.shadowRoot!.querySelector('.error')!;
    expect(box.getAttribute('role')).to.equal('alert');
    // Changing the attribute to a good link replaces the message with the notebook.
    const good = await encodeShareLink({ notebook: GALLERY[0]!.notebook, weights: [] });
    broken.setAttribute('notebook', good);
    await ready(broken);
    expect(errorText(broken)).to.equal('');
    expect(broken.app.store.notebook).to.deep.equal(GALLERY[0]!.notebook);
  });
});

describe('<flowfield-notebook> bundled into a page script', () => {
  it('starts its worker from FlowfieldNotebook.workerUrl (worker.js is not next to the bundle)', async () => {
    const factory = FlowfieldNotebook.clientFactory;
    FlowfieldNotebook.clientFactory = undefined;
    // Here embed.js is src/embed/flowfield-notebook.ts: ./worker.js next to it does not exist,
    // so a ready GPU worker proves the element took the configured URL.
    FlowfieldNotebook.workerUrl = new URL('/dist/worker.js', location.origin);
    const nice = GALLERY.find((e) => e.name === 'nice-moons')!.notebook;
    const el = embed({ notebook: await encodeShareLink({ notebook: nice, weights: [] }) });
    try {
      await ready(el);
      await until(
        'the worker answered',
        () => el.app.lab?.gpu.state === 'ready' || el.app.lab?.gpu.state === 'unavailable',
        60_000,
      );
      expect(el.app.lab!.gpu.state).to.equal('ready');
    } finally {
      FlowfieldNotebook.clientFactory = factory;
      FlowfieldNotebook.workerUrl = undefined;
      for (const e of made.splice(0)) e.remove();
    }
  });
});
