/**
 * `flowfield export NOTEBOOK.flowfield.json --out DIR [--train ID] [--zip]`: the PyTorch project
 * of a notebook file, from Node (bin/flowfield.mjs runs the bundle of this file). The folder is
 * written next to DIR under a temporary name and renamed at the end, so a failure leaves nothing
 * half written; an existing non-empty DIR is never overwritten.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notebookFromFile } from '../notebook';
import { exportPytorchProject, pytorchExportAssetFile } from './pytorch-project';
import { zip } from './zip';

const USAGE = `Usage: flowfield export NOTEBOOK.flowfield.json --out DIR [--train TRAIN_ID] [--zip]

Writes a PyTorch project (flowfield_torch/, config.json, data.safetensors, train.py, sample.py,
README.md, and weights.safetensors when the notebook file carries trained weights) into DIR, or
into DIR as one .zip file with --zip.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'export')
    throw new UsageError(`Unknown command ${JSON.stringify(command ?? '')}.`);
  let input: string | undefined;
  let out: string | undefined;
  let train: string | undefined;
  let asZip = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--out') out = rest[++i];
    else if (arg === '--train') train = rest[++i];
    else if (arg === '--zip') asZip = true;
    else if (arg.startsWith('--')) throw new UsageError(`Unknown option ${arg}.`);
    else if (input === undefined) input = arg;
    else throw new UsageError(`One notebook at a time; got ${input} and ${arg}.`);
  }
  if (!input) throw new UsageError('Which notebook? Give a .flowfield.json file.');
  if (!out) throw new UsageError('Where to? Give --out DIR.');
  return { input, out: resolve(out), train, asZip };
}

/** An image set of dist/data/ (next to this bundle, dist/cli/), which the export copies. */
function readImageAsset(file: string): Uint8Array {
  const path = fileURLToPath(new URL(`../data/${file}`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `this image notebook exports its image set ${file}, expected at ${path}: run \`npm run build\` (it writes dist/data/), then export again.`,
    );
  }
  return readFileSync(path);
}

export function main(argv: string[]): number {
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const text = readFileSync(args.input, 'utf8');
    const { notebook, weights } = notebookFromFile(text);
    const assetFile = pytorchExportAssetFile(notebook, args.train);
    const files = exportPytorchProject(notebook, {
      ...(args.train ? { trainId: args.train } : {}),
      weights,
      ...(assetFile ? { imageAsset: readImageAsset(assetFile) } : {}),
    });
    if (existsSync(args.out) && (!args.asZip ? readdirSync(args.out).length > 0 : true)) {
      throw new Error(
        `${args.out} already exists${args.asZip ? '' : ' and is not empty'}; choose another --out.`,
      );
    }
    const temporary = join(dirname(args.out), `.${Date.now()}-${process.pid}.flowfield-export`);
    try {
      if (args.asZip) {
        writeFileSync(temporary, zip(files));
      } else {
        for (const file of files) {
          mkdirSync(dirname(join(temporary, file.path)), { recursive: true });
          writeFileSync(join(temporary, file.path), file.bytes);
        }
        if (existsSync(args.out)) rmSync(args.out, { recursive: true });
      }
      renameSync(temporary, args.out);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
    console.log(
      `Wrote ${files.length} files to ${args.out}. Next: cd ${args.out} && python3 train.py`,
    );
    return 0;
  } catch (error) {
    console.error(`flowfield export: ${args.input}: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
