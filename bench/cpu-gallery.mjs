// node bench/cpu-gallery.mjs: time to first samples of every gallery notebook without WebGPU
// (the CPU backend's work, in Node on this machine). Bundles bench/cpu-gallery.ts with esbuild
// into bench/dist/ (gitignored), runs each notebook twice (the first run warms the JIT up; the
// table shows both), prints a table and writes bench/cpu-gallery.json (gitignored).
import * as esbuild from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}bench/dist/cpu-gallery.mjs`;
await esbuild.build({
  entryPoints: [`${root}bench/cpu-gallery.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
});
const { measureNotebook } = await import(pathToFileURL(out).href);
const index = JSON.parse(await readFile(`${root}public/gallery/index.json`, 'utf8'));
const rows = [];
for (const entry of index.notebooks) {
  const text = await readFile(`${root}public/gallery/${entry.file}`, 'utf8');
  const [cold] = [measureNotebook(entry.name, text)];
  const warm = measureNotebook(entry.name, text);
  cold.forEach((row, i) => rows.push({ ...row, warmTotalMs: warm[i].totalMs }));
}
const fmt = (ms) => `${ms.toFixed(0)}`.padStart(6);
console.log(
  'notebook / view                       model                              import samples layers  total (2nd run)',
);
for (const r of rows) {
  console.log(
    `${`${r.notebook} / ${r.view}`.padEnd(37)} ${r.model.padEnd(34)} ${fmt(r.importMs)} ${fmt(r.samplesMs)} ${fmt(r.layersMs)} ${fmt(r.totalMs)} (${fmt(r.warmTotalMs).trim()}) ms`,
  );
}
await writeFile(
  `${root}bench/cpu-gallery.json`,
  JSON.stringify({ node: process.version, rows }, null, 2),
);
