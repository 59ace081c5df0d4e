import { expect } from '@esm-bundle/chai';
import '../../../src/ui/gpu-status/gpu-status';

async function mount(): Promise<HTMLElementTagNameMap['ff-gpu-status']> {
  const el = document.createElement('ff-gpu-status');
  document.body.append(el);
  await el.updateComplete;
  return el;
}

describe('<ff-gpu-status>', () => {
  afterEach(() => document.querySelectorAll('ff-gpu-status').forEach((el) => el.remove()));

  it('shows the adapter it is given', async () => {
    const el = await mount();
    el.status = {
      state: 'ready',
      report: {
        vendor: 'acme',
        architecture: 'rdna9',
        device: '',
        description: '',
        isFallback: false,
        features: ['timestamp-query'],
        limits: { maxStorageBufferBindingSize: 1, maxComputeInvocationsPerWorkgroup: 256 },
      },
    };
    await el.updateComplete;
    const text = el.shadowRoot!.textContent ?? '';
    expect(text).to.contain('acme');
    expect(text).to.contain('rdna9');
    expect(text).to.contain('hardware GPU');
  });

  it('renders an error message as inert text, never as HTML', async () => {
    const el = await mount();
    el.status = { state: 'unavailable', message: '<img src=x onerror="window.__pwned=1">' };
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
    expect(el.shadowRoot!.querySelector('[role=alert]')!.textContent).to.contain('<img src=x');
  });
});
