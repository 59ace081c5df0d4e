// The built app page (dist/, from `npm run build`) starts without KaTeX: the page's script holds
// no KaTeX code and fetches it as a chunk the first time a note has math (src/ui/markdown/
// katex-loader.ts). The check reads the built files: a refactor that imports KaTeX statically
// again (or drops esbuild's splitting) puts KaTeX back into app.js and fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { check } from './helpers.mjs';

// A string from KaTeX's parser, not from our code.
const KATEX_MARK = 'KaTeX parse error';

export const appBundleChecks = [
  [
    'bundle: the app page loads KaTeX on demand, as a chunk of its own',
    async () => {
      const app = readFileSync('dist/app.js', 'utf8');
      check(!app.includes(KATEX_MARK), 'dist/app.js contains KaTeX: it should be a lazy chunk');
      const chunks = readdirSync('dist/chunks').filter((name) => name.endsWith('.js'));
      const katexChunk = chunks.find((name) =>
        readFileSync(`dist/chunks/${name}`, 'utf8').includes(KATEX_MARK),
      );
      check(katexChunk, `no chunk under dist/chunks holds KaTeX (found: ${chunks.join(', ')})`);
      check(
        app.includes(`chunks/${katexChunk}`),
        `dist/app.js does not import dist/chunks/${katexChunk} on demand`,
      );
      const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
      return `app.js ${kib(app.length)}, KaTeX chunk ${kib(readFileSync(`dist/chunks/${katexChunk}`).length)}`;
    },
  ],
];
