/**
 * Benchmark: parsing 1e6 points of CSV text (the limit of a point set). Pure TypeScript, no DOM:
 * runs in a page, a worker or Node, e.g.
 *   npx esbuild src/data/csv-bench.ts --bundle --format=esm --platform=node --outfile=.tmp/csv-bench.mjs
 *   node -e "import('./.tmp/csv-bench.mjs').then(m => console.log(m.benchCsvParse()))"
 */
import { MAX_POINTS, parsePoints } from './points';

export interface CsvBenchResult {
  points: number;
  /** Characters of CSV text parsed. */
  characters: number;
  /** Best parse time over the repeats, in milliseconds. */
  parseMs: number;
  /** Every repeat's time, in milliseconds. */
  runsMs: number[];
  pointsPerSecond: number;
}

/** Deterministic CSV text of n points with a header, like a typical export ("x,y\n-1.234567,0.5\n…"). */
export function generatePointCsv(n: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const lines: string[] = ['x,y'];
  for (let i = 0; i < n; i++) {
    lines.push(`${((next() - 0.5) * 8).toFixed(6)},${((next() - 0.5) * 8).toFixed(6)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Times parsePoints on n generated points (default 1e6), best of `repeats` runs. */
export function benchCsvParse(n = MAX_POINTS, repeats = 3): CsvBenchResult {
  const text = generatePointCsv(n);
  const runsMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const points = parsePoints(text);
    runsMs.push(performance.now() - start);
    if (points.length !== 2 * n) {
      throw new Error(`csv-bench: parsed ${points.length / 2} points, expected ${n}.`);
    }
  }
  const parseMs = Math.min(...runsMs);
  return {
    points: n,
    characters: text.length,
    parseMs,
    runsMs,
    pointsPerSecond: n / (parseMs / 1000),
  };
}
