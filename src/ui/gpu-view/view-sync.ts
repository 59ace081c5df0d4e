/**
 * Keeps one worker view in step with what its <ff-gpu-view> host asks for: creates it on a fresh
 * canvas (a transferred canvas cannot come back), sends size, bounds and layers only when they
 * changed, scrubs the warp stage without recomputing, turns live drawing on only while the
 * canvas is visible, and disposes the view when the host leaves the page. Requests coalesce:
 * while one sync is in flight, later changes wait for it and are applied together.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Bounds, ViewClient, ViewLayerRequest, ViewReport } from '../controllers/lab-client';
import { errorMessage } from '../error-message';

/** What the host wants drawn. */
export interface ViewWish {
  client: ViewClient | undefined;
  layers: ViewLayerRequest[];
  bounds: Bounds;
  /** CSS size of the canvas and the device pixel ratio. */
  size: { width: number; height: number; ratio: number };
  visible: boolean;
  /** Least time between live refreshes of samples and densities, ms (reduced motion: longer). */
  refreshIntervalMs?: number;
  /** A change re-sends the layers (the models behind them were re-created). */
  version: number;
  /** A change redraws from the current parameters. */
  stamp: string;
}

export interface ViewSyncHost extends ReactiveControllerHost {
  /** A new canvas in the host's shadow root, replacing any earlier one. */
  freshCanvas(): HTMLCanvasElement;
  wish(): ViewWish;
  onReport(report: ViewReport): void;
  onError(message: string | undefined): void;
}

interface Sent {
  layers: ViewLayerRequest[];
  bounds: Bounds;
  size: ViewWish['size'];
  visible: boolean | undefined;
  version: number;
  stamp: string;
}

/** Two layer lists that differ at most in the warp layer's stage. */
export function sameLayersButStage(a: ViewLayerRequest[], b: ViewLayerRequest[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((layer, i) => {
    const other = b[i]!;
    if (layer.kind === 'warp' && other.kind === 'warp') {
      return sameValue({ ...layer, stage: 0 }, { ...other, stage: 0 });
    }
    return sameValue(layer, other);
  });
}

/** Structural equality; data sources are compared by identity (notebook objects are immutable). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => {
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    return key === 'data' ? x === y : sameValue(x, y);
  });
}

function warpStage(layers: ViewLayerRequest[]): number | undefined {
  const warp = layers.find((layer) => layer.kind === 'warp');
  return warp?.kind === 'warp' ? warp.stage : undefined;
}

export class ViewSync implements ReactiveController {
  private client: ViewClient | undefined;
  private view: string | undefined;
  private sent: Sent | undefined;
  private busy: Promise<void> | undefined;
  private again = false;
  private connected = false;

  constructor(private readonly host: ViewSyncHost) {
    host.addController(this);
  }

  /** The worker's id of the view (tests and export read pixels through it). */
  get viewId(): string | undefined {
    return this.view;
  }

  get viewClient(): ViewClient | undefined {
    return this.client;
  }

  hostConnected(): void {
    this.connected = true;
  }

  hostDisconnected(): void {
    this.connected = false;
    void this.request();
  }

  /** Applies the host's current wish (after any sync in flight); resolves when it is applied. */
  request(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return this.busy;
    }
    this.busy = (async () => {
      do {
        this.again = false;
        try {
          await this.apply();
          this.host.onError(undefined);
        } catch (error) {
          this.host.onError(errorMessage(error));
        }
      } while (this.again);
      this.busy = undefined;
    })();
    return this.busy;
  }

  private async dispose(): Promise<void> {
    const { client, view } = this;
    this.view = undefined;
    this.sent = undefined;
    this.client = undefined;
    if (client && view) await client.dispose(view).catch(() => undefined);
  }

  private async apply(): Promise<void> {
    const wish = this.host.wish();
    if (!this.connected || !wish.client || wish.client !== this.client) await this.dispose();
    if (!this.connected || !wish.client || wish.size.width < 1 || wish.size.height < 1) return;
    const client = wish.client;
    if (!this.view) {
      const canvas = this.host.freshCanvas().transferControlToOffscreen();
      this.client = client;
      this.view = await client.createView(canvas, {
        cssWidth: wish.size.width,
        cssHeight: wish.size.height,
        pixelRatio: wish.size.ratio,
        bounds: wish.bounds,
      });
      this.sent = {
        layers: [],
        bounds: wish.bounds,
        size: wish.size,
        visible: undefined,
        version: Number.NaN,
        stamp: '',
      };
    }
    const view = this.view;
    const sent = this.sent!;
    let redraw = false;
    const { width, height, ratio } = wish.size;
    if (width !== sent.size.width || height !== sent.size.height || ratio !== sent.size.ratio) {
      await client.resize(view, width, height, ratio);
      sent.size = wish.size;
      redraw = true;
    }
    if (wish.bounds.some((v, i) => v !== sent.bounds[i])) {
      await client.setBounds(view, wish.bounds);
      sent.bounds = wish.bounds;
      redraw = true;
    }
    const relayer = wish.version !== sent.version || !sameLayersButStage(wish.layers, sent.layers);
    const stage = warpStage(wish.layers);
    let report: ViewReport | undefined;
    if (relayer) {
      // Mark them sent first: a failing set (a model not created yet) is not retried in a loop.
      sent.layers = wish.layers;
      sent.version = wish.version;
      await client.setLayers(view, wish.layers);
      redraw = true;
    } else if (stage !== undefined && stage !== warpStage(sent.layers)) {
      sent.layers = wish.layers;
      report = await client.setWarpStage(view, stage);
    }
    if (redraw || wish.stamp !== sent.stamp) {
      sent.stamp = wish.stamp;
      report = await client.render(view);
    }
    if (report) this.host.onReport(report);
    if (wish.visible !== sent.visible) {
      sent.visible = wish.visible;
      await client.setLive(view, {
        live: wish.visible,
        visible: wish.visible,
        ...(wish.refreshIntervalMs ? { refreshIntervalMs: wish.refreshIntervalMs } : {}),
      });
    }
  }
}
