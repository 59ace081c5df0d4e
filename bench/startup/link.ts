/**
 * Node side of the start-up bench (bundled by measure.mjs for Node): the `#nb=` link with weights
 * that the app's Share dialog would make for a gallery notebook file.
 */
import { encodeShareLink, notebookFromFile } from '../../src/notebook';

export async function galleryLink(
  fileText: string,
): Promise<{ fragment: string; weights: number }> {
  const payload = notebookFromFile(fileText);
  const fragment = await encodeShareLink(payload, { weights: 'float16' });
  return { fragment, weights: payload.weights.reduce((n, w) => n + w.params.length, 0) };
}
