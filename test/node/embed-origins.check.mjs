/* global window, document */
// The README's embed snippet on a page of another origin: the built dist/ is served on one port
// (with the CORS header any server of embed.js must send), a host page holding only the snippet
// on another. The element must start its worker (a same-origin blob shim importing worker.js) and
// fetch its `src` and gallery from embed.js's origin (the host serves nothing else), once with no
// CSP and once under the strict CSP the README gives for host pages.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveDirectory } from '../support/static-server.mjs';
import { check, until } from './helpers.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The origin the README's snippets use for where embed.js is served. */
const README_ORIGIN = 'https://example.org/flowfield/';

/** The README's "Embedding" html blocks: the snippet, then the host page's CSP. */
function readmeSnippets() {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Embedding**'));
  const blocks = [...section.matchAll(/```html\n([\s\S]*?)```/g)].map((m) => m[1]);
  const snippet = blocks.find((block) => block.includes('<flowfield-notebook'));
  const csp = blocks.find((block) => block.includes('Content-Security-Policy'));
  check(snippet && csp, 'README.md: no embed snippet or no CSP block after "**Embedding**"');
  check(
    snippet.includes(README_ORIGIN),
    `README snippet does not load embed.js from ${README_ORIGIN}`,
  );
  return { snippet, csp };
}

async function servers({ state }) {
  state.cleanup = () => {
    state.scriptServer?.close();
    state.hostServer?.close();
    if (state.hostDir) rmSync(state.hostDir, { recursive: true, force: true });
  };
  const script = await serveDirectory(path.join(ROOT, 'dist'), {
    headers: { 'Access-Control-Allow-Origin': '*' },
  });
  state.scriptServer = script.server;
  state.scriptOrigin = script.origin;
  state.hostDir = mkdtempSync(path.join(tmpdir(), 'flowfield-host-'));
  const host = await serveDirectory(state.hostDir);
  state.hostServer = host.server;
  state.hostOrigin = host.origin;
  check(state.hostOrigin !== state.scriptOrigin, 'the two servers share an origin');
}

/** Opens `html` as the host page; resolves with what the element showed. */
async function openHost({ state, browser }, name, html) {
  writeFileSync(path.join(state.hostDir, name), html);
  const page = await (await browser()).newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.evaluateOnNewDocument(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.violations.push(
        `${event.violatedDirective} ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber} ${event.sample}`,
      ),
    );
  });
  try {
    await page.goto(`${state.hostOrigin}/${name}`);
    const shown = await until(page, 120_000, 'samples in the embedded notebook', () => {
      const el = document.querySelector('flowfield-notebook');
      const box = el?.shadowRoot?.querySelector('.error');
      if (box && !box.hidden) throw new Error(`the element shows: ${box.textContent}`);
      const run = el?.app?.lab?.run('train-1');
      if (run?.state === 'failed') {
        throw new Error(
          `the run failed: ${run.error} (CSP: ${window.violations.join('; ') || 'no violation'})`,
        );
      }
      if (run?.state !== 'done' || !run.samples) return undefined;
      return {
        title: el.app.store.notebook.title,
        samples: run.samples.length / 2,
        finite: run.samples.every(Number.isFinite),
        galleryBase: el.app.session.galleryBase,
        violations: window.violations,
      };
    });
    check(errors.length === 0, `page errors: ${errors.join('; ')}`);
    check(
      consoleErrors.length === 0,
      `console errors: ${consoleErrors.join('; ')} (CSP violations: ${shown.violations.join('; ') || 'none'})`,
    );
    return shown;
  } catch (error) {
    throw new Error(`${error.message}\nconsole errors: ${consoleErrors.join('\n') || 'none'}`, {
      cause: error,
    });
  } finally {
    await page.close();
  }
}

function expectEmbedded(state, shown) {
  check(shown.title === 'NICE on two moons', `the element opened "${shown.title}"`);
  check(shown.samples >= 1000 && shown.finite, `${shown.samples} samples, finite: ${shown.finite}`);
  check(
    shown.galleryBase === `${state.scriptOrigin}/gallery/`,
    `gallery resolves to ${shown.galleryBase}, not next to embed.js`,
  );
  check(shown.violations.length === 0, `CSP violations: ${shown.violations.join('; ')}`);
}

async function readmeSnippetWorks(context) {
  await servers(context);
  const { state } = context;
  const { snippet } = readmeSnippets();
  const body = snippet.replaceAll(README_ORIGIN, `${state.scriptOrigin}/`);
  const shown = await openHost(
    context,
    'plain.html',
    `<!doctype html><meta charset="utf-8">\n${body}`,
  );
  expectEmbedded(state, shown);
  return `host ${state.hostOrigin}, embed.js on ${state.scriptOrigin}: "${shown.title}", ${shown.samples} samples`;
}

async function readmeCspWorks(context) {
  const { state } = context;
  check(state.hostDir, 'no servers (the previous check failed)');
  const { snippet, csp } = readmeSnippets();
  const origin = README_ORIGIN.replace(/\/flowfield\/$/, '');
  const head = csp.replaceAll(origin, state.scriptOrigin);
  const body = snippet.replaceAll(README_ORIGIN, `${state.scriptOrigin}/`);
  const html = `<!doctype html><meta charset="utf-8">\n${head}\n${body}`;
  const shown = await openHost(context, 'strict.html', html);
  expectEmbedded(state, shown);
  return `no violations under ${head.match(/content="([^"]*)"/)?.[1]}`;
}

export const embedChecks = [
  ["embed: the README's snippet works on a page of another origin", readmeSnippetWorks],
  ["embed: and under the README's strict CSP for host pages", readmeCspWorks],
];
