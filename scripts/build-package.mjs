// The installable package's extra build outputs, after esbuild (npm run build):
//   dist/types/               declarations of src/ (tsc -p tsconfig.types.json), with every
//                             relative import rewritten to the file it names ('./gpu' →
//                             './gpu/index.js'), so consumers on moduleResolution node16/nodenext
//                             resolve them as well as bundler ones do;
//   dist/custom-elements.json the Lit components' manifest (custom-elements-manifest.config.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TYPES_DIR = 'dist/types';

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

function* declarationFiles(directory) {
  for (const entry of readdirSync(directory)) {
    const file = path.join(directory, entry);
    if (statSync(file).isDirectory()) yield* declarationFiles(file);
    else if (file.endsWith('.d.ts')) yield file;
  }
}

/** './x' → './x.js' or './x/index.js', whichever declaration exists next to `file`. */
function fullSpecifier(file, specifier) {
  if (!specifier.startsWith('.') || /\.(js|mjs|cjs)$/.test(specifier)) return specifier;
  const base = path.resolve(path.dirname(file), specifier);
  if (existsSync(`${base}.d.ts`)) return `${specifier}.js`;
  if (existsSync(path.join(base, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${file}: no declaration for the import '${specifier}'`);
}

export function rewriteSpecifiers(directory) {
  let rewritten = 0;
  for (const file of declarationFiles(directory)) {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(
      /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.[^'"]*)\2/g,
      (_, lead, quote, specifier) => `${lead}${quote}${fullSpecifier(file, specifier)}${quote}`,
    );
    if (next !== text) {
      writeFileSync(file, next);
      rewritten++;
    }
  }
  return rewritten;
}

const tsc = path.resolve('node_modules/typescript/bin/tsc');
run(process.execPath, [tsc, '-p', 'tsconfig.types.json']);
const count = rewriteSpecifiers(TYPES_DIR);
console.log(
  `[build-package] ${TYPES_DIR}: declarations written, imports made explicit in ${count} files`,
);
run(process.execPath, [
  path.resolve('node_modules/@custom-elements-manifest/analyzer/cem.js'),
  'analyze',
]);
