#!/usr/bin/env node
// `flowfield export …` (src/export/cli.ts, bundled by `npm run build` into dist/cli/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/flowfield.mjs', import.meta.url));
if (!existsSync(cli)) {
  console.error(`flowfield: ${cli} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
await import(cli);
