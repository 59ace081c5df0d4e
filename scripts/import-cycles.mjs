// Lists import cycles among the files of src/ (#18): a cycle ties files that should be separable
// (a layer importing back from the one above it, two modules each needing the other's type) and
// makes the bundle's evaluation order fragile. Every import counts, `import type` included, since
// a type cycle is still a tangle to read. Relative imports only (packages cannot close a cycle).
// Run by `npm run lint`; exits 1 and prints each cycle's files when there is one.
//   node scripts/import-cycles.mjs
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');

function sourceFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [file] : [];
  });
}

/** The file a relative specifier names: x.ts, x/index.ts, or x itself (a .ts given in full). */
function resolveImport(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

const files = sourceFiles(src);
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolveImport(file, specifier))
    .filter((target) => target !== undefined && target.startsWith(src) && /\.tsx?$/.test(target));
  graph.set(file, [...new Set(targets)]);
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
const index = new Map();
const lowLink = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let counter = 0;
function connect(file) {
  index.set(file, counter);
  lowLink.set(file, counter);
  counter++;
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file) ?? []) {
    if (!index.has(target)) {
      connect(target);
      lowLink.set(file, Math.min(lowLink.get(file), lowLink.get(target)));
    } else if (onStack.has(target)) {
      lowLink.set(file, Math.min(lowLink.get(file), index.get(target)));
    }
  }
  if (lowLink.get(file) !== index.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  const selfImport = (graph.get(file) ?? []).includes(file);
  if (component.length > 1 || selfImport) cycles.push(component);
}
for (const file of files) if (!index.has(file)) connect(file);

if (cycles.length === 0) {
  console.log(`import-cycles: none among ${files.length} files of src/.`);
} else {
  for (const component of cycles) {
    const names = component.map((file) => path.relative(root, file)).sort();
    console.error(`import cycle among ${names.length} files: ${names.join(' ↔ ')}`);
  }
  console.error(
    `import-cycles: ${cycles.length} cycle(s) in src/. Expected none: move the shared type or ` +
      'factory both sides need into a third module that imports neither.',
  );
  process.exit(1);
}
