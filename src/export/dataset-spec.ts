/**
 * A Data cell's source as the library's dataset spec: one mapping for the page's worker client,
 * the gallery's pretraining and the PyTorch export, so all three build the very same data.
 */
import { parsePoints } from '../data/points';
import type { DatasetSpec } from '../data/spec';
import { imagesNotTrainable, type DataSource } from '../notebook';

/** Drawn grids cover this square of data space. */
export const GRID_BOUNDS = [-4, -4, 4, 4] as const;

/** The dataset spec of a 2-D source; image sets (opened by openImageSet) throw the #16 message. */
export function datasetSpec(source: DataSource): DatasetSpec {
  switch (source.kind) {
    case 'builtin':
      return { name: source.name, seed: source.seed };
    case 'points':
      return { points: parsePoints(source.text), jitter: source.jitter, seed: source.seed };
    case 'grid':
      return {
        grid: {
          width: source.width,
          height: source.height,
          weights: source.weights,
          bounds: [...GRID_BOUNDS],
        },
        seed: source.seed,
      };
    case 'images':
    case 'image-files':
      // Image sets open through openImageSet (image-set-client.ts); no 2-D model learns them.
      throw new Error(imagesNotTrainable(source));
  }
}
