import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../../src/ui/app/app';
import type { FfApp } from '../../../src/ui/app/app';
import type { LabEvent } from '../../../src/worker/api';
import { FakeLabClient } from '../support/fake-lab-client';

function deepActive(): Element | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

/** Presses Tab until `match` has focus (at most `limit` presses). */
async function tabTo(match: (el: Element) => boolean, limit = 120): Promise<Element> {
  for (let i = 0; i < limit; i++) {
    await sendKeys({ press: 'Tab' });
    const el = deepActive();
    if (el && match(el)) return el;
  }
  throw new Error('never reached the control with Tab');
}

function cellElement<K extends keyof HTMLElementTagNameMap>(
  app: FfApp,
  tag: K,
): HTMLElementTagNameMap[K] {
  const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
  return view.shadowRoot!.querySelector(tag)!;
}

async function settle(app: FfApp): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await app.updateComplete;
  }
}

async function mount(client = new FakeLabClient()): Promise<{ app: FfApp; client: FakeLabClient }> {
  const app = await fixture<FfApp>(html`<ff-app .client=${client}></ff-app>`);
  await settle(app);
  return { app, client };
}

describe('<ff-app>', () => {
  it('shows the adapter and starts with a note, data, model, train and view cell', async () => {
    const { app } = await mount();
    const status = app.shadowRoot!.querySelector('ff-gpu-status')!;
    expect(status.shadowRoot!.textContent).to.contain('fake');
    const kinds = [
      ...app.shadowRoot!.querySelector('ff-notebook-view')!.shadowRoot!.querySelectorAll('section'),
    ].map((s) => s.dataset['kind']);
    expect(kinds).to.deep.equal(['note', 'data', 'model', 'train', 'view']);
  });

  it('says clearly when WebGPU is missing', async () => {
    const client = new FakeLabClient();
    client.probeError = 'navigator.gpu is undefined';
    const { app } = await mount(client);
    const alert = app.shadowRoot!.querySelector('.missing')!;
    expect(alert.textContent).to.contain('navigator.gpu is undefined');
    expect(alert.textContent).to.contain('--enable-unsafe-webgpu');
  });

  it('shows when the GPU side gave up on a lost device, and what to do', async () => {
    const client = new FakeLabClient();
    let emit: ((event: LabEvent) => void) | undefined;
    client.onLabEvent = async (listener) => void (emit = listener);
    const { app } = await mount(client);
    const status = app.shadowRoot!.querySelector('ff-gpu-status')!;
    expect(status.shadowRoot!.textContent).to.contain('fake');
    // Events that are not fatal leave the status as it is.
    emit!({ kind: 'device-lost', message: 'lost once' });
    await settle(app);
    expect(status.shadowRoot!.querySelector('[role=alert]')).to.equal(null);
    const message = 'The GPU device was lost 4 times in 9 s … Reload the page to try again.';
    emit!({ kind: 'gpu-stopped', message });
    await settle(app);
    const alert = status.shadowRoot!.querySelector('[role=alert]')!;
    expect(alert.textContent!.trim()).to.equal(`The GPU stopped: ${message}`);
  });

  it('shows a GPU error from the worker as a banner that can be dismissed', async () => {
    const client = new FakeLabClient();
    let emit: ((event: LabEvent) => void) | undefined;
    client.onLabEvent = async (listener) => void (emit = listener);
    const { app } = await mount(client);
    const message = 'The GPU ran out of memory (…). Use a smaller batch, fewer samples or …';
    emit!({ kind: 'gpu-error', message });
    await settle(app);
    const banner = app.shadowRoot!.querySelector('.banner.error')!;
    expect(banner.getAttribute('role')).to.equal('alert');
    expect(banner.querySelector('.text')!.textContent).to.equal(message);
    banner.querySelector<HTMLButtonElement>('button.dismiss')!.click();
    await settle(app);
    expect(app.shadowRoot!.querySelector('.banner')).to.equal(null);
  });

  it('turns cell events into store changes (add, move, duplicate, collapse, remove, edit)', async () => {
    const { app } = await mount();
    const view = app.shadowRoot!.querySelector('ff-notebook-view')!;
    const buttons = () => [...view.shadowRoot!.querySelectorAll('button')];
    buttons()
      .find((b) => b.textContent!.includes('+ Note'))!
      .click();
    expect(app.store.notebook.cells.at(-1)!.kind).to.equal('note');
    await app.updateComplete;
    const last = app.store.notebook.cells.at(-1)!.id;
    buttons()
      .find((b) => b.getAttribute('aria-label') === 'Move Note 6 up')!
      .click();
    expect(app.store.notebook.cells[4]!.id).to.equal(last);
    await app.updateComplete;
    buttons()
      .find((b) => b.getAttribute('aria-label') === 'Duplicate Note 5')!
      .click();
    expect(app.store.notebook.cells).to.have.length(7);
    await app.updateComplete;
    buttons()
      .find((b) => b.getAttribute('aria-label') === 'Collapse Note 5')!
      .click();
    expect(app.store.notebook.cells[4]!.collapsed).to.equal(true);
    await app.updateComplete;
    buttons()
      .find((b) => b.getAttribute('aria-label') === 'Remove Note 5')!
      .click();
    expect(app.store.notebook.cells).to.have.length(6);
    const data = cellElement(app, 'ff-data-cell');
    const select = data.shadowRoot!.querySelector<HTMLSelectElement>('#dataset')!;
    select.value = 'rings';
    select.dispatchEvent(new Event('change'));
    expect(app.store.notebook.cells.find((c) => c.kind === 'data')).to.deep.include({
      source: { kind: 'builtin', name: 'rings', seed: 1 },
    });
  });

  it('keyboard only: choose a dataset, train, see samples, then shortcuts step and reset', async () => {
    const { app, client } = await mount();
    await tabTo((el) => el.id === 'dataset');
    await sendKeys({ press: 'ArrowDown' });
    await settle(app);
    const data = app.store.notebook.cells.find((c) => c.kind === 'data')!;
    expect(data).to.not.deep.include({ source: { kind: 'builtin', name: 'moons', seed: 1 } });
    const train = await tabTo(
      (el) => el.localName === 'button' && el.textContent!.trim() === 'Train',
    );
    expect(train).to.not.equal(null);
    await sendKeys({ press: 'Enter' });
    await settle(app);
    const run = app.lab!.run('train-1');
    expect(run.state).to.equal('done');
    expect(run.step).to.equal(500);
    expect(run.losses.exact().at(-1)!).to.be.lessThan(run.losses.exact()[0]!);
    const viewCell = cellElement(app, 'ff-view-cell');
    expect(viewCell.run.samples!.length).to.equal(2 * 2048);
    (deepActive() as HTMLElement).blur();
    await sendKeys({ press: '.' });
    await settle(app);
    expect(app.lab!.run('train-1').step).to.equal(501);
    await sendKeys({ press: 'r' });
    await settle(app);
    // A trained model is discarded only when the user says so: the question takes the focus.
    expect(app.lab!.run('train-1').state).to.equal('done');
    expect(deepActive()?.textContent?.trim()).to.equal('Reset');
    await sendKeys({ press: 'Enter' });
    await settle(app);
    expect(app.lab!.run('train-1').state).to.equal('idle');
    expect(client.calls).to.include('disposeRun train-1');
    await sendKeys({ press: '?' });
    expect(app.shadowRoot!.querySelector('dialog')!.open).to.equal(true);
    app.shadowRoot!.querySelector('dialog')!.close();
  });

  it('refuses to train with settings out of range and says why', async () => {
    const { app, client } = await mount();
    app.store.dispatch({
      type: 'update',
      id: 'model-1',
      patch: {
        train: { optimizer: 'adam', learningRate: 5, schedule: 'constant', batch: 256, steps: 10 },
      },
    });
    await settle(app);
    const trainCell = cellElement(app, 'ff-train-cell');
    expect(trainCell.shadowRoot!.textContent).to.contain('Learning rate must be between');
    const play = [...trainCell.shadowRoot!.querySelectorAll('button')].find((b) =>
      b.textContent!.includes('Train'),
    )!;
    expect(play.disabled).to.equal(true);
    expect(client.calls.some((c) => c.startsWith('train'))).to.equal(false);
  });

  it('switches the theme', async () => {
    const { app } = await mount();
    const select = app.shadowRoot!.querySelector<HTMLSelectElement>('#theme')!;
    select.value = 'dark';
    select.dispatchEvent(new Event('change'));
    expect(document.documentElement.dataset['theme']).to.equal('dark');
    select.value = 'auto';
    select.dispatchEvent(new Event('change'));
    expect(document.documentElement.dataset['theme']).to.equal(undefined);
  });

  it('remembers the theme for the next visit (the page app only, not an embed)', async () => {
    try {
      const first = await mount();
      const select = first.app.shadowRoot!.querySelector<HTMLSelectElement>('#theme')!;
      select.value = 'light';
      select.dispatchEvent(new Event('change'));
      first.app.remove();
      delete document.documentElement.dataset['theme'];
      // A new app (a reload) starts in the remembered theme, and its menu shows it.
      const second = await mount();
      expect(document.documentElement.dataset['theme']).to.equal('light');
      expect(second.app.shadowRoot!.querySelector<HTMLSelectElement>('#theme')!.value).to.equal(
        'light',
      );
      second.app.remove();
      delete document.documentElement.dataset['theme'];
      const embed = await fixture<FfApp>(
        html`<ff-app embedded .client=${new FakeLabClient()}></ff-app>`,
      );
      await settle(embed);
      expect(document.documentElement.dataset['theme']).to.equal(undefined);
      // Junk in storage (another version, a devtools edit) means "auto".
      localStorage.setItem('flowfield-theme', '<img src=x>');
      await mount();
      expect(document.documentElement.dataset['theme']).to.equal(undefined);
    } finally {
      localStorage.removeItem('flowfield-theme');
      delete document.documentElement.dataset['theme'];
    }
  });

  it('is accessible', async () => {
    const { app } = await mount();
    await expect(app).to.be.accessible();
  });
});
