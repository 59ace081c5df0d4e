/**
 * The Compare cell over image models (a shipped image set): each model's held-out bits/dim
 * (an image flow's exact likelihood, flow matching's through the probability-flow ODE ± its
 * standard error, none for a DDPM), the Fréchet distance of its samples to the test split, the
 * network evaluations per sample of the sampler its View cell uses, and a small sample grid.
 */
import {
  createCell,
  viewSource,
  type ModelCell,
  type Notebook,
  type ViewCell,
} from '../../notebook';
import type {
  FrechetFigure,
  HeldOutEstimate,
  ImageSampleRequest,
  ImageSamples,
  LabClient,
} from '../controllers/lab-client';
import { HELD_OUT_IMAGES, imageSampleRequest } from '../controllers/run-samples';

/** Images in each model's grid and (as many test images) in its Fréchet figure. */
export const COMPARE_GRID_IMAGES = 16;
export const COMPARE_FRECHET_IMAGES = 100;

export interface ImageCompareRow {
  trainId: string;
  label: string;
  steps: number;
  /** Absent for a DDPM (no likelihood here) or a user's set (no test split). */
  heldOut?: HeldOutEstimate;
  frechet?: FrechetFigure;
  /** Network evaluations per sample with `request`. */
  nfe: number;
  request: ImageSampleRequest;
  parameters: number;
  images: ImageSamples;
}

/** Network evaluations of one step of each ODE solver (the library's IMAGE_FM_STAGES). */
const SOLVER_STAGES: Readonly<Record<string, number>> = { euler: 1, heun: 2, rk4: 4 };

/**
 * Network evaluations per image of `request` (the library's fmNfe / lastNfe): a flow 1; flow
 * matching stages × steps; a DDPM T (ancestral) or DDIM's steps; twice that with classes, as
 * classifier-free guidance evaluates the conditional and the unconditional net at every stage.
 */
export function imageNfe(model: ModelCell['model'], request: ImageSampleRequest): number {
  const image = model.image;
  if (!image || request.sampler === undefined) return 1;
  const guided = request.classes === undefined ? 1 : 2;
  if (request.sampler === 'ddpm') return guided * (image.options['timesteps'] as number);
  return guided * (SOLVER_STAGES[request.sampler] ?? 1) * (request.steps ?? 1);
}

type ImageCompareClient = Pick<
  LabClient,
  'sampleImages' | 'heldOutBits' | 'frechet' | 'parameterCount'
>;

/** Measures every target image model (same Data cell): held-out bits/dim, Fréchet, NFE, a grid. */
export async function computeImageRows(
  client: ImageCompareClient,
  notebook: Notebook,
  targets: readonly { trainId: string; label: string; model: ModelCell }[],
  stepOf: (trainId: string) => number,
): Promise<ImageCompareRow[]> {
  if (!client.sampleImages || !client.parameterCount) {
    throw new Error('This client has no image models, so they cannot be compared.');
  }
  const rows: ImageCompareRow[] = [];
  for (const target of targets) {
    const image = target.model.model.image;
    if (!image) throw new Error(`${target.label} is not an image model.`);
    // Sampled as its first View cell samples it (else a fresh View cell's defaults).
    const view =
      notebook.cells.find(
        (cell): cell is ViewCell =>
          cell.kind === 'view' && viewSource(notebook, cell.id)?.id === target.trainId,
      ) ?? (createCell('view', 'default') as ViewCell);
    const request = imageSampleRequest(view, image);
    const heldOut = await client.heldOutBits?.(target.trainId, HELD_OUT_IMAGES);
    const frechet = await client.frechet?.(target.trainId, COMPARE_FRECHET_IMAGES, request);
    rows.push({
      trainId: target.trainId,
      label: target.label,
      steps: stepOf(target.trainId),
      ...(heldOut ? { heldOut } : {}),
      ...(frechet ? { frechet } : {}),
      nfe: imageNfe(target.model.model, request),
      request,
      parameters: await client.parameterCount(target.trainId),
      images: await client.sampleImages(target.trainId, COMPARE_GRID_IMAGES, request),
    });
  }
  return rows;
}
