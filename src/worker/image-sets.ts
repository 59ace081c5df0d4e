/**
 * Image sets in the worker: opened through the lab (lab.dataset), with the loader's progress
 * sent to the page, and a preview of sample images for the Data cell. Kept apart from the 2-D
 * datasets: image sets feed image models' runs only (createRun checks). After a device loss a
 * set is reopened from its spec on the new lab (session.ts) or the next time it is used.
 */
import { transfer } from 'comlink';
import type { ImageDataset } from '../lab/lab';
import type { ImageSetId, ImageSetInfo, ImageSetPreview, ImageSetProgress, LabApi } from './api';
import type { LabSession } from './session';
import type { LabImageModel } from '../lab/image-models';
import type { LabImageFlowMatching } from '../lab/image-diffusion';
import { WorkerImageModel } from './image-models';
import { imageFrechetDistance } from '../lab/image-frechet';

/** Most images one preview returns. */
export const MAX_PREVIEW_IMAGES = 256;

type ImageSetMethods = Pick<
  LabApi,
  'openImageSet' | 'imageSetPreview' | 'disposeImageSet' | 'imageBitsPerDim' | 'imageFrechet'
>;

/** The record's dataset on the current device (reopened after a device loss). */
export async function liveImageSet(session: LabSession, id: ImageSetId): Promise<ImageDataset> {
  const scope = await session.ready();
  const record = session.imageSets.get(id);
  if (record.generation !== scope.generation || record.dataset.isDisposed) {
    record.dataset = scope.lab.dataset(record.spec);
    record.generation = scope.generation;
  }
  return record.dataset;
}

export function imageSetMethods(session: LabSession): ImageSetMethods {
  const sets = session.imageSets;

  const live = (id: ImageSetId) => liveImageSet(session, id);

  return {
    async openImageSet(spec, onProgress) {
      const scope = await session.ready();
      let loaded = 0;
      let total: number | undefined;
      const report = (progress: ImageSetProgress) => {
        // A page that went away must not fail the opening.
        if (onProgress) Promise.resolve(onProgress(progress)).catch(() => undefined);
      };
      const dataset = scope.lab.dataset(spec, {
        onProgress: (p) => {
          // Only forward movement (the loader's reports never go back; this keeps it so).
          if (p.loaded < loaded) return;
          loaded = p.loaded;
          total = p.total ?? total;
          report({ phase: p.phase, loaded, total });
        },
      });
      let info: ImageSetInfo;
      try {
        const set = await dataset.load();
        // A shipped set: the bytes the loader received (also for an asset already downloaded);
        // a user's set arrives whole: its pixel bytes are what was loaded.
        const size = 'name' in spec ? Math.max(loaded, total ?? 0) : set.pixels.length;
        report({ phase: 'ready', loaded: size, total: size });
        const record = sets.add((id) => ({ id, spec, dataset, generation: scope.generation }));
        info = {
          id: record.id,
          name: dataset.name,
          shape: [...dataset.shape],
          count: set.count,
          labelled: set.labels !== undefined,
        };
      } catch (error) {
        dataset.dispose();
        throw error;
      }
      return info;
    },

    async imageSetPreview(id, n, options = {}) {
      if (!Number.isInteger(n) || n < 1 || n > MAX_PREVIEW_IMAGES) {
        throw new RangeError(
          `imageSetPreview(n): expected a whole number of images from 1 to ${MAX_PREVIEW_IMAGES}, received ${String(n)}.`,
        );
      }
      const dataset = await live(id);
      const batch = await dataset.sample(n, { seed: options.seed ?? dataset.seed, flips: false });
      const preview: ImageSetPreview = {
        count: batch.count,
        shape: batch.shape,
        pixels: batch.pixels,
        labels: batch.labels,
        images: batch.images,
      };
      return transfer(preview, [
        batch.pixels.buffer as ArrayBuffer,
        batch.labels.buffer as ArrayBuffer,
        batch.images.buffer as ArrayBuffer,
      ]);
    },

    async imageBitsPerDim(modelId, id, options = {}) {
      const record = session.models.get(modelId);
      const model = record.model;
      const spec = model instanceof WorkerImageModel ? model.imageSpec : undefined;
      const flow = spec?.family === 'image-flow';
      const ode = spec?.family === 'image-diffusion' && spec.kind === 'flow-matching';
      if (!flow && !ode) {
        throw new TypeError(
          `${modelId} is neither an image flow nor a flow-matching model: held-out bits/dim are an image flow's exact likelihood or flow matching's through the probability-flow ODE (a DDPM's is not implemented).`,
        );
      }
      const dataset = await live(id);
      const image = (model as WorkerImageModel).image;
      if (flow) {
        const { count, seed } = options;
        return (image as LabImageModel).bitsPerDim(dataset, {
          ...(count !== undefined ? { count } : {}),
          ...(seed !== undefined ? { seed } : {}),
        });
      }
      return (image as LabImageFlowMatching).bitsPerDim(dataset, options);
    },

    async imageFrechet(modelId, id, options = {}) {
      const model = session.models.get(modelId).model;
      if (!(model instanceof WorkerImageModel)) {
        throw new TypeError(
          `${modelId} is not an image model: the Fréchet distance compares images.`,
        );
      }
      const count = options.count ?? 100;
      const dataset = await live(id);
      const samples = await model.sample(count, options.sample ?? {});
      return imageFrechetDistance(samples, dataset);
    },

    async disposeImageSet(id) {
      const record = sets.get(id);
      for (const r of session.runs.values()) {
        if (r.dataset === id && r.progress().state === 'running') {
          throw new Error(`${id} feeds ${r.id}, which is training; stop or dispose the run first.`);
        }
      }
      sets.delete(id);
      record.dataset.dispose();
    },
  };
}
