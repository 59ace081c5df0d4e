// Lists the places in src/ that read a WebGPU global (GPUBufferUsage, GPUMapMode, …) while their
// module loads: at top level, in a static field or a default parameter of a top-level call.
// Those globals are missing in Node and in browsers without WebGPU, where the library and the
// CPU backend's worker must still load (issue #19 item 3; a top-level GPUBufferUsage broke the
// no-WebGPU worker twice). Read them inside functions, or use the numbers the WebGPU spec fixes
// (src/gpu/buffer-pool.ts STORAGE_USAGE). Run by `npm run lint`; exits 1 with the places.
//   node scripts/webgpu-at-load.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const GLOBALS = new Set([
  'GPUBufferUsage',
  'GPUMapMode',
  'GPUShaderStage',
  'GPUTextureUsage',
  'GPUColorWrite',
]);

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function sourceFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Code that runs later than the module's load: function bodies and instance field initialisers. */
function runsLater(node) {
  if (ts.isFunctionLike(node)) return true;
  if (ts.isPropertyDeclaration(node)) {
    return !node.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
  }
  return false;
}

const problems = [];
for (const file of sourceFiles(path.join(root, 'src'))) {
  const text = readFileSync(file, 'utf8');
  if (![...GLOBALS].some((name) => text.includes(name))) continue;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (runsLater(node)) return;
    // Types (GPUBufferUsageFlags, `typeof GPUBufferUsage`) are erased: only values count.
    if (ts.isTypeNode(node)) return;
    if (ts.isIdentifier(node) && GLOBALS.has(node.text)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      problems.push(`${path.relative(root, file)}:${line + 1}: ${node.text} read at load`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

if (problems.length > 0) {
  console.error(
    `webgpu-at-load: ${problems.length} place(s) read a WebGPU global while the module loads; ` +
      'move the read into a function or use the WebGPU spec numbers (src/gpu/buffer-pool.ts):\n  ' +
      problems.join('\n  '),
  );
  process.exit(1);
}
console.log('webgpu-at-load: no WebGPU global read at module load in src/.');
