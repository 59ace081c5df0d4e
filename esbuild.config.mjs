// Builds Flowfield into dist/ (a static site) or serves it with live rebuilds.
//   node esbuild.config.mjs          production build (minified, source maps)
//   node esbuild.config.mjs --serve  build, watch and serve on http://127.0.0.1:<port>/
import * as esbuild from 'esbuild';
import { cp, mkdir, rm } from 'node:fs/promises';
import { buildDatasets } from './scripts/build-datasets.mjs';

const serve = process.argv.includes('--serve');
const port = Number(process.env.PORT ?? 8000);

/**
 * Options shared by every bundle: WGSL (and the PyTorch export's Python and README, python/) is
 * imported as text, source maps everywhere.
 */
const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  minify: !serve,
  loader: { '.wgsl': 'text', '.py': 'text', '.md': 'text' },
  logLevel: 'info',
};

/**
 * The app page, its module worker, the embeddable <flowfield-notebook> element (embed.js, which
 * uses the same worker.js) and the library entries (src/index.ts and src/notebook/index.ts).
 */
const builds = [
  // The app page is split: what it imports on demand (KaTeX, the first time a note has math)
  // becomes a chunk under dist/chunks/ that the page fetches only then.
  {
    ...common,
    entryPoints: { app: 'src/main.ts' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outdir: 'dist',
  },
  // The worker and the embed stay single files: the embed's worker starts from a blob: shim on
  // other sites' pages, and a host page copies one file more easily than a folder.
  {
    ...common,
    entryPoints: {
      worker: 'src/worker/worker.ts',
      embed: 'src/embed/flowfield-notebook.ts',
    },
    outdir: 'dist',
    // Where the image data sets are served, relative to the bundle (src/data/images/assets.ts).
    define: { FLOWFIELD_DATA_DIR: '"./data/"' },
  },
  // The package's library entries (see package.json "exports"): each a self-contained ES module.
  {
    ...common,
    entryPoints: { index: 'src/index.ts', notebook: 'src/notebook/index.ts' },
    outdir: 'dist/lib',
    define: { FLOWFIELD_DATA_DIR: '"../data/"' },
  },
  // `flowfield export` (bin/flowfield.mjs): Node, no browser.
  {
    ...common,
    platform: 'node',
    target: 'node20',
    entryPoints: { flowfield: 'src/export/cli.ts' },
    outExtension: { '.js': '.mjs' },
    outdir: 'dist/cli',
  },
];

async function copyPublic() {
  await mkdir('dist', { recursive: true });
  await cp('public', 'dist', { recursive: true });
}

await rm('dist', { recursive: true, force: true });
await copyPublic();
// The image data sets (MNIST, Fashion-MNIST) as dist/data/*.bin.gz; cached between builds.
buildDatasets('dist/data');

if (serve) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
  const { hosts, port: actualPort } = await contexts[0].serve({
    servedir: 'dist',
    host: '127.0.0.1',
    port,
  });
  console.log(`\nFlowfield is running at http://${hosts[0] ?? '127.0.0.1'}:${actualPort}/\n`);
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
