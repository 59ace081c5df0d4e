/**
 * What reaches the screen: a view on a canvas of this page (composited, unlike the detached
 * OffscreenCanvases of the other view tests), photographed through the runner. For both
 * presentations the screen must show exactly the frame readPixels() draws offscreen — before
 * and after a device loss, since a recovery must rebind the canvas to the new device.
 */
import { expect } from '@esm-bundle/chai';
import { proxy, transfer } from 'comlink';
import type { LabEvent, ViewId } from '../../src/worker/api';
import type { PixelImage } from '../../src/render';
import { pixelsDifferentFrom } from '../render/pixels';
import { screenshotOf } from '../support/screenshot';
import { sleep, startLabWorker, waitUntil } from './helpers';

const SIZE = 96;

/** Screenshots until `ready` holds (a canvas frame reaches the screen a display frame later). */
async function screenUntil(
  canvas: HTMLCanvasElement,
  ready: (image: PixelImage) => boolean,
): Promise<PixelImage> {
  let image = await screenshotOf(canvas);
  for (let i = 0; i < 30 && !ready(image); i++) {
    await sleep(100);
    image = await screenshotOf(canvas);
  }
  return image;
}

function samePixels(a: PixelImage, b: PixelImage): number {
  let differing = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (
      Math.abs(a.data[i]! - b.data[i]!) > 2 ||
      Math.abs(a.data[i + 1]! - b.data[i + 1]!) > 2 ||
      Math.abs(a.data[i + 2]! - b.data[i + 2]!) > 2
    )
      differing++;
  }
  return differing;
}

describe('view presentation on a page canvas', () => {
  let canvas: HTMLCanvasElement | undefined;
  afterEach(() => canvas?.remove());

  for (const presentation of ['copy', 'canvas'] as const) {
    it(`'${presentation}': the screen shows the frame, and again after a device loss`, async () => {
      const worker = startLabWorker();
      const api = worker.api;
      try {
        const events: LabEvent[] = [];
        await api.subscribe(proxy((e: LabEvent) => void events.push(e)));
        canvas = document.createElement('canvas');
        canvas.style.cssText = `position:fixed;left:0;top:0;width:${SIZE}px;height:${SIZE}px`;
        document.body.append(canvas);
        const offscreen = canvas.transferControlToOffscreen();
        const view: ViewId = await api.createView(transfer(offscreen, [offscreen]), {
          cssWidth: SIZE,
          cssHeight: SIZE,
          pixelRatio: 1,
          bounds: [-3, -3, 3, 3],
          background: [0, 0, 0, 1],
          presentation,
        });
        expect((await api.viewStatus(view)).presentation).to.equal(presentation);
        const data = (await api.createDataset({ name: 'moons', seed: 3 })).id;
        await api.setViewLayers(view, [
          { kind: 'points', source: { dataset: data }, count: 500, color: [1, 1, 1], alpha: 1 },
        ]);
        await api.render(view);
        const expected = await api.readPixels(view);
        expect(pixelsDifferentFrom(expected, [0, 0, 0])).to.be.greaterThan(100);
        const before = await screenUntil(canvas, (image) => samePixels(image, expected) === 0);
        expect([before.width, before.height]).to.deep.equal([SIZE, SIZE]);
        expect(samePixels(before, expected), 'pixels on screen ≠ the frame').to.equal(0);

        await api.debugLoseDevice();
        await waitUntil(
          () => events.some((e) => e.kind === 'device-recovered'),
          30_000,
          'recovery',
        );
        // The screen keeps the last frame until one is drawn: clear it from the test's side is
        // impossible (the worker owns the canvas), so draw a different picture first.
        await api.setViewBounds(view, [-6, -6, 6, 6]);
        await api.render(view);
        const zoomed = await api.readPixels(view);
        expect(samePixels(zoomed, expected)).to.be.greaterThan(50);
        const after = await screenUntil(canvas, (image) => samePixels(image, zoomed) === 0);
        expect(samePixels(after, zoomed), 'pixels on screen after the recovery').to.equal(0);
        expect((await api.viewStatus(view)).presentation).to.equal(presentation);
      } finally {
        worker.terminate();
      }
    });
  }

  it("'auto' presents by copy on a CPU adapter and through a WebGPU context on a GPU", async () => {
    const worker = startLabWorker();
    try {
      const report = await worker.api.probe();
      const offscreen = new OffscreenCanvas(1, 1);
      const view = await worker.api.createView(transfer(offscreen, [offscreen]), {
        cssWidth: 8,
        cssHeight: 8,
        pixelRatio: 1,
      });
      const { presentation } = await worker.api.viewStatus(view);
      expect(presentation).to.equal(report.isFallback ? 'copy' : 'canvas');
    } finally {
      worker.terminate();
    }
  });

  it('refuses an unknown presentation by name', async () => {
    const worker = startLabWorker();
    try {
      const offscreen = new OffscreenCanvas(1, 1);
      let message = '';
      await worker.api
        .createView(transfer(offscreen, [offscreen]), {
          cssWidth: 8,
          cssHeight: 8,
          pixelRatio: 1,
          presentation: 'webgl' as never,
        })
        .catch((error: Error) => (message = error.message));
      expect(message).to.contain(`presentation must be 'auto', 'canvas' or 'copy', got "webgl"`);
    } finally {
      worker.terminate();
    }
  });
});
