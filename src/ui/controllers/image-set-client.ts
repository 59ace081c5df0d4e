/**
 * LabClient.imagePreview over the worker's LabApi: opens an image source through
 * openImageSet (progress through a comlink proxy), keeps a few recent sets open so that a
 * re-render or a seed change does not download again, and draws the preview with
 * imageSetPreview.
 */
import { proxy, type Remote } from 'comlink';
import type { ImageSetId, ImageSetProgress, LabApi } from '../../worker/api';
import { imageSetSpec } from '../../specs';
import type { ImageLoadState, ImagePreview, LabClient } from './lab-client';

/** Image sets kept open (the oldest is disposed past this). */
const KEPT = 4;

export function workerImagePreview(api: Remote<LabApi>): NonNullable<LabClient['imagePreview']> {
  const open = new Map<string, Promise<{ id: ImageSetId; count: number }>>();
  return async (source, pixels, count, onProgress) => {
    // The seed picks the preview's images, not the set: one opening serves every seed.
    const key = JSON.stringify({ ...source, seed: 0 });
    let opening = open.get(key);
    if (!opening) {
      const listener = proxy((p: ImageSetProgress) =>
        onProgress({ loaded: p.loaded, total: p.total } satisfies ImageLoadState),
      );
      opening = api.openImageSet(imageSetSpec(source, pixels), listener);
      open.set(key, opening);
      opening.catch(() => open.delete(key));
      if (open.size > KEPT) {
        const [oldest] = open.keys();
        const old = open.get(oldest!)!;
        open.delete(oldest!);
        void old.then((set) => api.disposeImageSet(set.id)).catch(() => undefined);
      }
    }
    const set = await opening;
    const preview = await api.imageSetPreview(set.id, count, { seed: source.seed });
    return {
      shape: preview.shape,
      setCount: set.count,
      pixels: preview.pixels,
      labels: preview.labels,
    } satisfies ImagePreview;
  };
}
