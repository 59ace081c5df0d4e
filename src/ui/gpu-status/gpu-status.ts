import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { WorkerGpuReport } from '../../worker/api';

export type GpuStatus =
  | { state: 'checking' }
  | { state: 'ready'; report: WorkerGpuReport }
  | { state: 'unavailable'; message: string }
  /** WebGPU worked, then the device was lost for good. */
  | { state: 'stopped'; message: string };

/** Shows whether WebGPU is available and which adapter the worker got. Renders only. */
@customElement('ff-gpu-status')
export class FfGpuStatus extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font:
        14px/1.4 system-ui,
        sans-serif;
    }
    .ready {
      color: #1b7f3b;
    }
    .unavailable {
      color: #b3261e;
    }
    .cpu {
      color: #8a5a00;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.2em 1em;
      margin: 0.5em 0 0;
    }
    dt {
      font-weight: 600;
    }
    dd {
      margin: 0;
    }
  `;

  /** What the app's controller learned from the worker. */
  @property({ attribute: false })
  status: GpuStatus = { state: 'checking' };

  override render() {
    const status = this.status;
    if (status.state === 'checking') return html`<p role="status">Checking for WebGPU…</p>`;
    if (status.state === 'stopped') {
      return html`<p role="alert" class="unavailable">The GPU stopped: ${status.message}</p>`;
    }
    if (status.state === 'unavailable') {
      return html`<p role="alert" class="unavailable">
        WebGPU is not available: ${status.message}
      </p>`;
    }
    const { report } = status;
    if (report.cpuFallback) {
      return html`<p role="status" class="cpu">
        No WebGPU: viewing on the CPU (training needs WebGPU).
      </p>`;
    }
    return html`
      <p role="status" class="ready">WebGPU is ready.</p>
      <dl>
        <dt>Vendor</dt>
        <dd>${report.vendor || 'unknown'}</dd>
        <dt>Architecture</dt>
        <dd>${report.architecture || 'unknown'}</dd>
        ${
          report.description
            ? html`<dt>Description</dt>
                <dd>${report.description}</dd>`
            : nothing
        }
        <dt>Kind</dt>
        <dd>${report.isFallback ? 'CPU fallback (software, slow)' : 'hardware GPU'}</dd>
        <dt>Features</dt>
        <dd>${report.features.join(', ') || 'none'}</dd>
      </dl>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-gpu-status': FfGpuStatus;
  }
}
