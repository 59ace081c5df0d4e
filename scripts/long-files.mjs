// Lists the files of src/ over 400 lines that do not say why on their first line (#18: "no file
// in src/ over ~400 lines without a reason written at its top"). The reason is a first line
// `// Over 400 lines on purpose: …`; otherwise split the file. Run by `npm run lint`; exits 1
// with the files and their lengths when one lacks it.
//   node scripts/long-files.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const MAX_LINES = 400;
const REASON = /^\/\/ Over 400 lines on purpose: \S/;
/**
 * Files another piece of work is changing now, listed until it gives them their reason (a
 * listed file that has its reason or got shorter fails too, so the list does not go stale).
 */
const PENDING = new Set([]);

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function sourceFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const file = path.join(directory, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.(ts|wgsl|mjs|js)$/.test(name) ? [file] : [];
  });
}

const problems = [];
for (const file of sourceFiles(path.join(root, 'src'))) {
  const name = path.relative(root, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const needsReason = lines > MAX_LINES && !REASON.test(text);
  if (needsReason && !PENDING.has(name)) {
    problems.push(`${name}: ${lines} lines and no reason on its first line`);
  } else if (!needsReason && PENDING.has(name)) {
    problems.push(`${name}: listed as pending in scripts/long-files.mjs but fine now; remove it`);
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(
    `long-files: expected every file of src/ over ${MAX_LINES} lines to start with ` +
      '"// Over 400 lines on purpose: <why>"; add the reason or split the file.',
  );
  process.exit(1);
}
console.log(`long-files: every file of src/ over ${MAX_LINES} lines says why.`);
