/* global window, document, customElements */
// The installable package, as a stranger gets it: `npm pack` of the built repo, installed into a
// scratch project in a temp folder, then used from Node, from TypeScript (types resolve under
// both moduleResolution bundler and nodenext) and from a page (the library trains a tiny model;
// the <flowfield-notebook> element from the package samples a link made with the package's codec).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { serveDirectory } from '../support/static-server.mjs';
import { check, pageTimeout, until } from './helpers.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: process.env });
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} exited ${result.status ?? result.signal}:\n` +
        `${result.stdout}\n${result.stderr}`.trim().slice(-4000),
    );
  }
  return result.stdout;
}

/** What the tarball must hold (each "exports" target is checked as well), and must not. */
const REQUIRED = [
  'package.json',
  'README.md',
  'LICENSE',
  'dist/lib/index.js',
  'dist/lib/notebook.js',
  'dist/types/index.d.ts',
  'dist/types/notebook/index.d.ts',
  'dist/types/embed/flowfield-notebook.d.ts',
  'dist/embed.js',
  'dist/worker.js',
  'dist/custom-elements.json',
  'dist/gallery/nice-moons.flowfield.json',
  'dist/data/manifest.json',
  'dist/data/mnist-14.bin.gz',
  'dist/data/mnist-28.bin.gz',
  // The MNIST feature classifier (210 KB): an embedded MNIST notebook shows its Fréchet figure.
  'dist/data/classifier-mnist.f32',
  'dist/data/classifier-mnist.json',
];
// Fashion-MNIST (38 MiB gzipped) is served by the site, not shipped in the package.
const FORBIDDEN =
  /^(src|test|bench|scripts|node_modules|\.tmp)\/|^dist\/(app\.js|index\.html)$|^dist\/data\/fashion-/;
/** Packages only the tests and the bench use: a consumer's install must not fetch them. */
const DEV_ONLY = [
  '@sparticuz/chromium',
  'puppeteer-core',
  '@tensorflow/tfjs-core',
  'esbuild',
  'mnist',
  'fashion-mnist',
];

function exportTargets(exportsMap) {
  return Object.values(exportsMap).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target),
  );
}

async function packs({ state }) {
  state.dir = mkdtempSync(path.join(tmpdir(), 'flowfield-package-'));
  state.cleanup = () => rmSync(state.dir, { recursive: true, force: true });
  const [info] = JSON.parse(
    run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', state.dir], ROOT),
  );
  state.tarball = path.join(state.dir, info.filename);
  const files = new Set(info.files.map((f) => f.path));
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const wanted = [
    ...REQUIRED,
    ...exportTargets(manifest.exports).map((target) => target.replace(/^\.\//, '')),
  ];
  const missing = wanted.filter((file) => !files.has(file));
  check(missing.length === 0, `the tarball lacks ${missing.join(', ')}`);
  const extra = [...files].filter((file) => FORBIDDEN.test(file));
  check(extra.length === 0, `the tarball holds files consumers never need: ${extra.join(', ')}`);
  check(manifest.private !== true, 'package.json still says "private": true');
  check(manifest.license === 'MIT', `license is ${manifest.license}, expected MIT`);
  check(manifest.name.startsWith('@'), `name ${manifest.name} is not scoped`);
  const installed = { ...manifest.dependencies, ...manifest.optionalDependencies };
  const leaking = DEV_ONLY.filter((name) => name in installed);
  check(leaking.length === 0, `consumers would install ${leaking.join(', ')}`);
  const elements = JSON.parse(readFileSync(path.join(ROOT, 'dist/custom-elements.json'), 'utf8'))
    .modules.flatMap((m) => m.declarations ?? [])
    .filter((d) => d.tagName);
  const embed = elements.find((d) => d.tagName === 'flowfield-notebook');
  const attributes = (embed?.attributes ?? []).map((a) => a.name);
  for (const name of ['src', 'notebook', 'readonly', 'hide', 'autoplay']) {
    check(attributes.includes(name), `custom-elements.json: <flowfield-notebook> lacks ${name}`);
  }
  return `${info.filename}: ${(info.size / 1024).toFixed(0)} KiB packed, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${files.size} files; manifest: ${elements.length} elements`;
}

async function installs({ state }) {
  check(state.tarball, 'no tarball (the pack check failed)');
  state.project = path.join(state.dir, 'consumer');
  mkdirSync(state.project);
  writeFileSync(
    path.join(state.project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // --prefer-offline: the dependencies (lit, comlink, katex, @webgpu/types) come from the npm
  // cache that `npm ci` filled; the registry only if the cache lacks them.
  const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
  run(NPM, [...args, state.tarball], state.project);
  const modules = path.join(state.project, 'node_modules');
  const names = readdirSync(modules).flatMap((entry) =>
    entry.startsWith('@')
      ? readdirSync(path.join(modules, entry)).map((sub) => `${entry}/${sub}`)
      : entry.startsWith('.')
        ? []
        : [entry],
  );
  state.packageName = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name;
  check(names.includes(state.packageName), `${state.packageName} is not in node_modules`);
  const leaked = DEV_ONLY.filter((name) => names.includes(name));
  check(leaked.length === 0, `the install brought ${leaked.join(', ')}`);
  return `${names.length} packages: ${names.join(', ')}`;
}

/** Runs in the scratch project's Node: the codec, safetensors and openLab's refusal without GPU. */
const NODE_CONSUMER = (name) => `
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as lab from '${name}';
import { defaultNotebook, parseNotebook } from '${name}/notebook';

const galleryFile = fileURLToPath(new URL('./node_modules/${name}/dist/gallery/nice-moons.flowfield.json', import.meta.url));
const payload = lab.notebookFromFile(readFileSync(galleryFile, 'utf8'));
const link = await lab.encodeShareLink(payload, { weights: 'float16' });
const back = await lab.decodeShareLink(link);
assert.deepEqual(back.notebook, payload.notebook);
const original = payload.weights[0].params, decoded = back.weights[0].params;
assert.equal(decoded.length, original.length);
for (let i = 0; i < original.length; i++) {
  assert.ok(Math.abs(decoded[i] - original[i]) <= lab.maxQuantizationError(original.subarray(i, i + 1)), 'float16 error at ' + i);
}
const params = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i) * 1e3);
const file = lab.writeSafetensors({ params: { dtype: 'F32', shape: [37], data: params } }, { note: 'x' });
assert.deepEqual(Array.from(lab.readSafetensors(file).tensors.params.data), Array.from(params));
assert.deepEqual(parseNotebook(JSON.parse(JSON.stringify(defaultNotebook()))), defaultNotebook());
const worker = fileURLToPath(import.meta.resolve('${name}/worker'));
assert.ok(existsSync(worker), worker);
const refused = await lab.openLab().then(() => undefined, (error) => error);
assert.ok(refused instanceof lab.WebGpuUnavailableError, String(refused));
console.log(JSON.stringify({ link, exports: Object.keys(lab).length, refused: refused.message }));
`;

async function importsInNode({ state }) {
  check(state.project, 'no scratch project (the install check failed)');
  writeFileSync(path.join(state.project, 'node-consumer.mjs'), NODE_CONSUMER(state.packageName));
  const out = JSON.parse(run(process.execPath, ['node-consumer.mjs'], state.project).trim());
  state.link = out.link;
  return `${out.exports} names; a nice-moons link with weights round-trips (${out.link.length} characters); openLab() without WebGPU: "${out.refused.slice(0, 60)}…"`;
}

const TS_CONSUMER = (name) => `
import { openLab, encodeShareLink, NotebookError, type Lab, type Notebook, type TrainSummary } from '${name}';
import { parseNotebook } from '${name}/notebook';
import { FlowfieldNotebook } from '${name}/embed';

export async function train(): Promise<TrainSummary> {
  const lab: Lab = await openLab();
  const data = lab.dataset({ name: 'moons', seed: 1 });
  const model = await lab.createModel({ family: 'flow', kind: 'realnvp', layers: 2, hidden: 8, seed: 1 });
  // @ts-expect-error: the model kind is typed (an unknown kind is a compile error)
  await lab.createModel({ family: 'flow', kind: 'no-such-flow', layers: 2, hidden: 8, seed: 1 });
  const run = lab.train(model, data, { steps: 10, batch: 64, optimizer: { kind: 'adam', lr: 1e-3 } });
  const points: Float32Array = await model.sample(16, { seed: 2 });
  // @ts-expect-error: sample() gives a Float32Array, not a string
  const wrong: string = await model.sample(16, { seed: 2 });
  void points, wrong;
  return run.done;
}

export function element(): FlowfieldNotebook {
  const el = document.createElement('flowfield-notebook');
  const typed: FlowfieldNotebook = el; // the tag is in HTMLElementTagNameMap
  void typed.ready;
  return el;
}

export async function codec(notebook: Notebook): Promise<string> {
  const parsed: Notebook = parseNotebook(notebook);
  if (!(parsed instanceof Object)) throw new NotebookError('schema', '', 'unreachable');
  return encodeShareLink({ notebook: parsed, weights: [] }, { weights: 'none' });
}
`;

async function typesResolve({ state }) {
  check(state.project, 'no scratch project (the install check failed)');
  writeFileSync(path.join(state.project, 'consumer.ts'), TS_CONSUMER(state.packageName));
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const base = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2023,dom'];
  const modes = [
    ['--module', 'esnext', '--moduleResolution', 'bundler'],
    ['--module', 'nodenext', '--moduleResolution', 'nodenext'],
  ];
  for (const mode of modes) {
    // skipLibCheck off: the package's own .d.ts files must type-check in the consumer too.
    run(
      process.execPath,
      [tsc, ...base, ...mode, '--skipLibCheck', 'false', 'consumer.ts'],
      state.project,
    );
  }
  return 'consumer.ts type-checks (strict, skipLibCheck false) with moduleResolution bundler and nodenext; two @ts-expect-error lines prove the types are not any';
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>consumer</title></head><body>
<script type="module" src="./bundle.js"></script>
<script type="module" src="./node_modules/@flowfield/lab/dist/embed.js"></script>
</body></html>`;

const PAGE_MAIN = (name) => `
import { openLab } from '${name}';
window.trainTiny = async () => {
  const lab = await openLab();
  const data = lab.dataset({ name: 'moons', seed: 1 });
  const model = await lab.createModel({ family: 'flow', kind: 'realnvp', layers: 4, hidden: 16, seed: 3 });
  const losses = [];
  const run = lab.train(model, data, {
    steps: 150, batch: 256, optimizer: { kind: 'adam', lr: 1e-2 },
    onProgress: (p) => losses.push(...p.losses),
  });
  const summary = await run.done;
  const samples = await model.sample(512, { seed: 4 });
  model.dispose();
  lab.dispose();
  return { summary, losses, finite: samples.every(Number.isFinite), count: samples.length };
};
`;

async function trainsInPage({ state, browser }) {
  check(state.link, 'no share link (the Node check failed)');
  check(state.packageName === '@flowfield/lab', 'the page below loads @flowfield/lab by path');
  writeFileSync(path.join(state.project, 'main.js'), PAGE_MAIN(state.packageName));
  writeFileSync(path.join(state.project, 'index.html'), PAGE);
  // A consumer's bundler resolves the package through its "exports" map.
  await esbuild.build({
    absWorkingDir: state.project,
    entryPoints: ['main.js'],
    bundle: true,
    format: 'esm',
    outfile: 'bundle.js',
    logLevel: 'silent',
  });
  const { server, origin } = await serveDirectory(state.project);
  const page = await (await browser()).newPage();
  try {
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/index.html`);
    const result = await pageTimeout(
      page.evaluate(() => window.trainTiny()),
      180_000,
      'training in the page',
    );
    const first = mean(result.losses.slice(0, 15));
    const last = mean(result.losses.slice(-15));
    check(result.summary.steps === 150, `trained ${result.summary.steps} steps, expected 150`);
    check(result.losses.length === 150, `${result.losses.length} losses for 150 steps`);
    check(result.losses.every(Number.isFinite), 'a loss was not finite');
    check(last < first - 0.2, `the loss did not go down: first 15 steps ${first}, last 15 ${last}`);
    check(result.finite && result.count === 1024, 'samples missing or not finite');
    // The element, from the package's prebuilt embed.js (its worker next to it): a link with
    // weights made by the package's codec in Node samples without training.
    await page.evaluate((link) => {
      const el = document.createElement('flowfield-notebook');
      el.setAttribute('notebook', link);
      document.body.append(el);
    }, state.link);
    const samples = await until(page, 120_000, 'samples in the element', () => {
      const el = document.querySelector('flowfield-notebook');
      const run = el?.app?.lab?.run('train-1');
      if (run?.state === 'failed') throw new Error(`the element's run failed: ${run.error}`);
      return run?.state === 'done' && run.samples ? run.samples.length : undefined;
    });
    check(samples > 1000, `the element drew ${samples / 2} samples`);
    // Every element of the package's manifest is defined by embed.js (a wrong "sideEffects" made
    // esbuild drop the modules that register some of them).
    const tags = JSON.parse(
      readFileSync(
        path.join(state.project, 'node_modules/@flowfield/lab/dist/custom-elements.json'),
      ),
    )
      .modules.flatMap((m) => m.declarations ?? [])
      .flatMap((d) => (d.tagName ? [d.tagName] : []));
    const undefinedTags = await page.evaluate(
      (names) => names.filter((name) => !customElements.get(name)),
      tags,
    );
    check(undefinedTags.length === 0, `embed.js does not define ${undefinedTags.join(', ')}`);
    check(errors.length === 0, `page errors: ${errors.join('; ')}`);
    return `loss ${first.toFixed(2)} → ${last.toFixed(2)} nats over 150 steps; the element sampled ${samples / 2} points from the link`;
  } finally {
    await page.close();
    server.close();
  }
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const packageChecks = [
  ['package: npm pack holds the library, types, element, worker, manifest, LICENSE', packs],
  ['package: the tarball installs in a scratch project without test-only packages', installs],
  ['package: Node imports the library and the notebook codec from the tarball', importsInNode],
  ['package: TypeScript resolves the types (bundler and nodenext)', typesResolve],
  ['package: a page trains a tiny model with it and shows the embed element', trainsInPage],
];
