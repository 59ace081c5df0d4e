// Lists exports of src/ that nothing uses: no file other than their own refers to them (src/,
// test/, bench/; scripts/ are .mjs and reach src/ only through dist/), and they are not part of
// a public entry (src/index.ts, src/notebook/index.ts, src/embed/flowfield-notebook.ts: the
// package's `exports`), so they are dead code: delete them. With --local it also lists exports
// used only inside their own file (the `export` could go; types in exported signatures stay).
//   node scripts/dead-exports.mjs            one line per dead export, exit 1 if any
//   node scripts/dead-exports.mjs --local    and the exports used only in their own file
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const config = ts.getParsedCommandLineOfConfigFile(
  path.join(root, 'tsconfig.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
);
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const PUBLIC_ENTRIES = ['src/index.ts', 'src/notebook/index.ts', 'src/embed/flowfield-notebook.ts'];

const relative = (file) => path.relative(root, file.fileName);
const own = program.getSourceFiles().filter((f) => !f.fileName.includes('node_modules'));
const resolve = (symbol) =>
  symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

/** Every symbol a public entry hands out (through re-exports and barrels). */
const publicSymbols = new Set();
for (const entry of PUBLIC_ENTRIES) {
  const file = program.getSourceFile(path.join(root, entry));
  const moduleSymbol = file && checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const s of checker.getExportsOfModule(moduleSymbol)) publicSymbols.add(resolve(s));
}

/** symbol → files (other than its declaring file) that refer to it; and same-file uses. */
const usedElsewhere = new Set();
const usedLocally = new Set();
for (const file of own) {
  const visit = (node) => {
    // A re-export (`export { x } from`) hands a name on; only a use of it counts.
    if (ts.isIdentifier(node) && !ts.isExportSpecifier(node.parent)) {
      const symbol = resolve(checker.getSymbolAtLocation(node));
      const declaration = symbol?.declarations?.[0];
      if (declaration) {
        const declaredIn = declaration.getSourceFile();
        const isDeclarationName = symbol.declarations.some((d) => d.name === node);
        if (declaredIn !== file) usedElsewhere.add(symbol);
        else if (!isDeclarationName) usedLocally.add(symbol);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const withLocal = process.argv.includes('--local');
const dead = [];
for (const file of own) {
  const name = relative(file);
  if (!name.startsWith('src/') || PUBLIC_ENTRIES.includes(name)) continue;
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = resolve(exported);
    // Re-exports (barrels) are judged where the name is declared.
    if (!symbol?.declarations?.length || symbol.declarations[0].getSourceFile() !== file) continue;
    if (publicSymbols.has(symbol) || usedElsewhere.has(symbol)) continue;
    if (usedLocally.has(symbol) && !withLocal) continue;
    const { line } = file.getLineAndCharacterOfPosition(symbol.declarations[0].getStart());
    dead.push(`${name}:${line + 1} ${exported.name}${usedLocally.has(symbol) ? ' (local)' : ''}`);
  }
}
dead.sort();
for (const line of dead) console.log(line);
const unused = dead.filter((line) => !line.endsWith('(local)')).length;
console.error(`${unused} exports of src/ used nowhere and not public`);
process.exit(unused ? 1 : 0);
