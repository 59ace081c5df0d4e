/**
 * axe-core accessibility checks of the built site in the e2e tests' iframe. axe runs inside the
 * frame's own window (loaded from the test server, same origin, so the site's CSP allows it)
 * and walks the app's open shadow roots.
 */
import type { AxeResults } from 'axe-core';

type AxeWindow = Window & {
  axe?: { run(context: Document | { include: Element[] }): Promise<AxeResults> };
};

async function axeIn(frame: HTMLIFrameElement): Promise<NonNullable<AxeWindow['axe']>> {
  const win = frame.contentWindow as AxeWindow;
  if (win.axe) return win.axe;
  const doc = frame.contentDocument!;
  await new Promise<void>((resolve, reject) => {
    const script = doc.createElement('script');
    script.src = '/node_modules/axe-core/axe.min.js';
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('axe-core could not be loaded into the frame'));
    doc.head.append(script);
  });
  return win.axe!;
}

/**
 * The axe violations of the page in `frame` (or only of the elements `within`, e.g. embeds on a
 * host page the test made up), as readable lines (rule, impact, what to fix and where); empty
 * when there are none.
 */
export async function axeViolations(
  frame: HTMLIFrameElement,
  within?: Element[],
): Promise<string[]> {
  const axe = await axeIn(frame);
  const results = await axe.run(within ? { include: within } : frame.contentDocument!);
  return results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes
        .slice(0, 3)
        .map((n) => JSON.stringify(n.target))
        .join(', ')}`,
  );
}
