/**
 * The shipped image data sets, loaded lazily: fetched from where the app or the package serves
 * dist/data/ (nothing is fetched until a dataset needs its pixels), gunzipped with the browser's
 * DecompressionStream, parsed, and kept per URL so that several datasets share one download.
 */
import { parseImageAsset, type ImageAsset } from './image-set';

export const IMAGE_DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASET_NAMES)[number];
export const IMAGE_DATASET_SIZES = [28, 14] as const;
export type ImageDatasetSize = (typeof IMAGE_DATASET_SIZES)[number];

/** The classes of each shipped set, by label. */
export const IMAGE_CLASS_NAMES: Record<ImageDatasetName, readonly string[]> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
};

export interface ImageLoadProgress {
  /** 'download' while bytes arrive, 'decode' while they are gunzipped and parsed. */
  phase: 'download' | 'decode';
  /** Bytes received so far (of the compressed file). */
  loaded: number;
  /** The file's size when the server says it (Content-Length), else undefined. */
  total: number | undefined;
}

export interface ImageLoadOptions {
  /**
   * Where dist/data/ is served (relative to the page). Default: next to the bundle (the app, its worker and the embed
   * element: ./data/; the package's library entry: ../data/), or /dist/data/ unbundled.
   */
  baseUrl?: string | URL;
  /** Called as the download progresses (about once per received chunk) and when decoding starts. */
  onProgress?: (progress: ImageLoadProgress) => void;
}

declare const FLOWFIELD_DATA_DIR: string | undefined;

/** The default folder of the assets (esbuild defines FLOWFIELD_DATA_DIR per bundle). */
export function defaultImageBaseUrl(): URL {
  const dir = typeof FLOWFIELD_DATA_DIR === 'string' ? FLOWFIELD_DATA_DIR : '/dist/data/';
  return new URL(dir, import.meta.url);
}

/**
 * Where a file of dist/data/ (an image set, a feature classifier) is fetched from: `baseUrl`, or
 * by default the folder beside the script (defaultImageBaseUrl), relative to the page.
 */
export function dataFileUrl(file: string, baseUrl?: string | URL): URL {
  return new URL(file, new URL(baseUrl ?? defaultImageBaseUrl(), globalThis.location?.href));
}

export function imageAssetFile(name: ImageDatasetName, size: ImageDatasetSize): string {
  return `${name}-${size}.bin.gz`;
}

const loaded = new Map<string, Promise<ImageAsset>>();
/** Bytes each finished download received, so a later opening reports the same amount. */
const receivedBytes = new Map<string, number>();

/** The asset of a shipped set, downloaded once per URL (a failed load is retried next time). */
export function loadImageAsset(
  name: ImageDatasetName,
  size: ImageDatasetSize,
  options: ImageLoadOptions = {},
): Promise<ImageAsset> {
  // A relative baseUrl is relative to the page (or the worker's script).
  const url = dataFileUrl(imageAssetFile(name, size), options.baseUrl).href;
  let promise = loaded.get(url);
  if (!promise) {
    promise = fetchAsset(url, `${name}-${size}`, options.onProgress, (bytes) =>
      receivedBytes.set(url, bytes),
    );
    loaded.set(url, promise);
    promise.catch(() => loaded.delete(url));
  } else if (options.onProgress) {
    // Already downloaded (or downloading): one report, the whole file, once it is there.
    const report = options.onProgress;
    void promise.then(
      () => {
        const bytes = receivedBytes.get(url) ?? 0;
        report({ phase: 'decode', loaded: bytes, total: bytes });
      },
      () => undefined,
    );
  }
  return promise;
}

async function fetchAsset(
  url: string,
  name: string,
  onProgress: ImageLoadOptions['onProgress'],
  onReceived: (bytes: number) => void,
): Promise<ImageAsset> {
  const where =
    'The app and the package serve them from dist/data/ (made by `npm run build`); ' +
    'pass { baseUrl } to lab.dataset() where your page serves that folder.';
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(
      `Could not load the image set '${name}' from ${url}: ${String(error)}. ${where}`,
      { cause: error },
    );
  }
  if (!response.ok || !response.body) {
    throw new Error(
      `Could not load the image set '${name}' from ${url}: HTTP ${response.status}. ${where}`,
    );
  }
  const header = response.headers.get('content-length');
  const total = header !== null && Number(header) > 0 ? Number(header) : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  onProgress?.({ phase: 'download', loaded: 0, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress?.({ phase: 'download', loaded: received, total });
  }
  onProgress?.({ phase: 'decode', loaded: received, total });
  onReceived(received);
  let bytes = concat(chunks, received);
  // A server may already have undone the gzip (Content-Encoding): then the bytes are the asset.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  return parseImageAsset(bytes, name);
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
