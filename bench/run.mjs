// npm run bench [-- options]: builds bench/page.ts with esbuild into bench/dist/, serves it on
// 127.0.0.1 (random port), runs it in the headless Chromium the tests use (WebGPU flags), prints
// a table and writes bench/results.json. Exits non-zero when the page throws, a case fails, a
// peer's loss does not decrease, or the run times out.
//
//   --filter a,b      only cases whose id (group@impl) contains a or b    (env BENCH_FILTER)
//   --quick           the quick workloads only, shorter timed runs        (env BENCH_QUICK=1)
//   --quality[=N]     also train every flow kind N steps (default 1000) on data with an exact
//                     density and report KL(p_data ‖ p_model) ± standard error
//   --diffusion-quality[=N]  also train a DDPM and a flow-matching model N steps (default 2000)
//                     on 8gaussians and checkerboard and report energy distance and KL against
//                     NFE for every sampler (the table to choose a sampler by)
//   --diffusion-quality-only a,b  only the data/model pairs containing a or b
//                     (e.g. checkerboard/flow-matching)
//   --nice-parity[=N]  also train NICE on MNIST 14×14 N steps (default 500) in the lab and, after
//                     the browser, the same NICE from the same initial weights in PyTorch
//                     (python/bench_image_parity.py); held-out bits/dim of both side by side
//   --straightness[=N]  also train flow matching N steps (default 1000) with independent and
//                     minibatch-OT pairs, and a reflow student; energy distance and path gap at NFE 1/2/4
//   --runs N          timed runs (paired rounds) per case (median; default 3, at least 2)
//   --steps N         every timed run is N steps, no calibration: a short paired run of a slow
//                     group, e.g. --filter unet --steps 1 --runs 2
//   --target S        seconds one timed run should last (default 1; 0.3 with --quick)
//   --isolate         serve with COOP/COEP so TF.js-WASM may use threads  (env BENCH_ISOLATE=1)
//   --hardware        use the machine's GPU (no SwiftShader flags); fails if Chromium still
//                     hands out SwiftShader                                 (env BENCH_HARDWARE=1)
//   --pytorch         also time the PyTorch CPU side (python/bench.py: RealNVP and DDPM training
//                     at the filtered batches, 1 process and 2 DDP processes) and print it next
//                     to Flowfield's figures of this run
//   --timeout S       give up after S seconds (default 1800)
//   --out FILE        results path (default bench/results.json)
//   --serve           build and serve only; print the URL and wait (open it in a browser)
//   --verbose         echo every console line of the page
//   --startup[=N]     also time start-up (#7): the built app (npm run build) opening a #nb= link
//                     with a gallery notebook's weights → first frame of its samples; N cold
//                     loads (fresh browser, default 3) per notebook (bench/startup/)
//   --startup-warm N  warm loads (new tab, Chromium's caches warm) after the cold ones (default 2)
//   --startup-notebooks a,b  gallery notebooks to open (default realnvp-8gaussians,ddpm-swissroll)
//   --opening[=N]     also measure the longest main-thread task (wall and CPU time, from a Chrome
//                     trace) while the built app opens the default notebook, every gallery link,
//                     the heavy link and its reload, and a 21 MB notebook file; N fresh contexts
//                     each (default 3; bench/startup/opening.mjs; what a long task did:
//                     node bench/startup/trace.mjs).
//                     With --filter none the timed cases are skipped.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URLSearchParams } from 'node:url';
import puppeteer from 'puppeteer-core';
import { findBrowser, HARDWARE_WEBGPU_FLAGS, WEBGPU_FLAGS } from '../test/support/find-browser.mjs';
import { serveDirectory } from '../test/support/static-server.mjs';
import { computeRatios, formatDiffusionQuality, formatTable, progressLine } from './report.mjs';
import { formatStartup, measureStartup, STARTUP_NOTEBOOKS } from './startup/measure.mjs';
import { formatOpening, measureOpening } from './startup/opening.mjs';
import { formatStraightness } from './straightness-report.mjs';
import { formatNiceParity, formatPytorch, runNiceParity, runPytorchBench } from './pytorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const distDir = path.join(benchDir, 'dist');
const wasmSource = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function parseArgs(argv) {
  const options = {
    filter: process.env.BENCH_FILTER ?? '',
    quick: process.env.BENCH_QUICK === '1',
    runs: 3,
    steps: 0,
    target: null,
    isolate: process.env.BENCH_ISOLATE === '1',
    hardware: process.env.BENCH_HARDWARE === '1',
    timeout: 1800,
    out: path.join(benchDir, 'results.json'),
    serve: false,
    verbose: false,
    quality: 0,
    diffusionQuality: 0,
    diffusionQualityOnly: '',
    straightness: 0,
    niceParity: 0,
    startup: 0,
    pytorch: false,
    startupWarm: 2,
    startupNotebooks: STARTUP_NOTEBOOKS.join(','),
    opening: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--filter':
        options.filter = value();
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--quality':
        options.quality = inline === undefined ? 1000 : Number.parseInt(inline, 10) || 1000;
        break;
      case '--diffusion-quality':
        options.diffusionQuality =
          inline === undefined ? 2000 : Number.parseInt(inline, 10) || 2000;
        break;
      case '--straightness':
        options.straightness = inline === undefined ? 1000 : Number.parseInt(inline, 10) || 1000;
        break;
      case '--nice-parity':
        options.niceParity = inline === undefined ? 500 : Number.parseInt(inline, 10) || 500;
        break;
      case '--diffusion-quality-only':
        options.diffusionQualityOnly = value();
        break;
      case '--runs':
        options.runs = Math.max(2, Number.parseInt(value(), 10) || 3);
        break;
      case '--steps':
        options.steps = Math.max(1, Number.parseInt(value(), 10) || 1);
        break;
      case '--target':
        options.target = Number(value());
        break;
      case '--isolate':
        options.isolate = true;
        break;
      case '--hardware':
        options.hardware = true;
        break;
      case '--timeout':
        options.timeout = Number(value());
        break;
      case '--out':
        options.out = path.resolve(value());
        break;
      case '--serve':
        options.serve = true;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--pytorch':
        options.pytorch = true;
        break;
      case '--startup':
        options.startup = inline === undefined ? 3 : Math.max(1, Number.parseInt(inline, 10) || 3);
        break;
      case '--startup-warm':
        options.startupWarm = Math.max(0, Number.parseInt(value(), 10) || 0);
        break;
      case '--opening':
        options.opening = inline === undefined ? 3 : Math.max(1, Number.parseInt(inline, 10) || 3);
        break;
      case '--startup-notebooks':
        options.startupNotebooks = value();
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (see the top of bench/run.mjs)`);
    }
  }
  return options;
}

function describeAdapter({ adapter, adapterError }) {
  if (!adapter) return `missing (${adapterError})`;
  const { vendor, architecture, isFallbackAdapter } = adapter;
  return `${vendor}/${architecture}${isFallbackAdapter ? ' (a fallback adapter)' : ''}`;
}

/** A WebGPU adapter that is not SwiftShader or another software fallback. */
function isHardwareAdapter(adapter) {
  return (
    Boolean(adapter) && adapter.isFallbackAdapter !== true && adapter.architecture !== 'swiftshader'
  );
}

async function build() {
  await rm(distDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { page: path.join(benchDir, 'page.ts') },
    outdir: distDir,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    loader: { '.wgsl': 'text' },
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  await cp(path.join(benchDir, 'page.html'), path.join(distDir, 'page.html'));
  await mkdir(path.join(distDir, 'wasm'), { recursive: true });
  for (const file of WASM_FILES) {
    await cp(path.join(wasmSource, file), path.join(distDir, 'wasm', file));
  }
}

/** A shipped image set (dist/data/, made by `npm run build`) where the unbundled lab looks: /dist/data/. */
async function copyImageSet(file) {
  const source = path.join(root, 'dist', 'data', file);
  try {
    await mkdir(path.join(distDir, 'dist', 'data'), { recursive: true });
    await cp(source, path.join(distDir, 'dist', 'data', file));
  } catch (error) {
    throw new Error(
      `${source} is needed by --nice-parity (${error.code ?? error.message}): run \`npm run build\` first.`,
      { cause: error },
    );
  }
}

/** bench/dist on 127.0.0.1 and a free port (COOP/COEP with --isolate, for WASM threads). */
function serve({ isolate }) {
  const headers = isolate
    ? {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      }
    : {};
  return serveDirectory(distDir, { index: 'page.html', headers });
}

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

async function main() {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  await build();
  if (options.niceParity > 0) await copyImageSet('mnist-14.bin.gz');
  const { server, origin } = await serve(options);
  const query = new URLSearchParams({ runs: String(options.runs) });
  if (options.filter) query.set('filter', options.filter);
  if (options.quick) query.set('quick', '1');
  if (options.quality > 0) query.set('quality', String(options.quality));
  if (options.diffusionQuality > 0) {
    query.set('diffusionQuality', String(options.diffusionQuality));
  }
  if (options.diffusionQualityOnly) {
    query.set('diffusionQualityOnly', options.diffusionQualityOnly);
  }
  if (options.straightness > 0) query.set('straightness', String(options.straightness));
  if (options.niceParity > 0) query.set('niceParity', String(options.niceParity));
  if (options.target) query.set('target', String(options.target));
  if (options.steps) query.set('steps', String(options.steps));
  const url = `${origin}/page.html?${query}`;
  if (options.serve) {
    console.log(`[bench] serving ${url} (Ctrl-C to stop)`);
    return;
  }

  const browser = await findBrowser();
  const flags = options.hardware ? HARDWARE_WEBGPU_FLAGS : WEBGPU_FLAGS;
  console.log(`[bench] browser: ${browser.description}`);
  const chromium = await puppeteer.launch({
    executablePath: browser.executablePath,
    headless: browser.headless,
    args: [...flags, ...browser.extraArgs],
    protocolTimeout: 0,
  });
  const failures = [];
  const results = [];
  const quality = [];
  const diffusionQuality = [];
  const straightness = [];
  let niceParityPage = null;
  let csv = null;
  let environment = null;
  let pageOptions = null;
  let pageSeconds = null;
  let running = null; // the case the page is on, named in failures that stop the run
  const during = () => (running ? ` (while running ${running})` : '');
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const timer = setTimeout(() => {
    failures.push(`timed out after ${options.timeout} s${during()}`);
    finish();
  }, options.timeout * 1000);

  try {
    const page = await chromium.newPage();
    page.on('pageerror', (error) => {
      failures.push(`page error: ${error.message}${during()}`);
      console.error(`[page error] ${error.stack ?? error.message}`);
      finish();
    });
    page.on('error', (error) => {
      failures.push(`page crashed: ${error.message}${during()}`);
      finish();
    });
    page.on('console', (message) => {
      const type = message.type();
      if (options.verbose || type === 'error' || type === 'warn') {
        console.log(`[page ${type}] ${message.text()}`);
      }
    });
    chromium.on('disconnected', () => {
      failures.push(`browser disconnected${during()}`);
      finish();
    });
    await page.exposeFunction('__benchEmit', (json) => {
      const message = JSON.parse(json);
      switch (message.type) {
        case 'environment':
          environment = message.environment;
          pageOptions = message.options;
          console.log(
            `[bench] adapter: ${JSON.stringify(environment.adapter && { vendor: environment.adapter.vendor, architecture: environment.adapter.architecture, description: environment.adapter.description }) ?? environment.adapterError}`,
          );
          if (options.hardware && !isHardwareAdapter(environment.adapter)) {
            // Numbers from SwiftShader must never be filed as GPU numbers.
            failures.push(
              `--hardware asked for the machine's GPU, but Chromium's WebGPU adapter is ` +
                `${describeAdapter(environment)}: it found no ` +
                `GPU driver it can use (Vulkan on Linux). Run without --hardware for SwiftShader.`,
            );
            finish();
          }
          break;
        case 'plan':
          console.log(`[bench] ${message.cases.length} cases`);
          break;
        case 'start':
          running = message.id;
          console.log(`[bench] ${message.id} …`);
          break;
        case 'log':
          console.log(`  [${message.id}] ${message.message}`);
          break;
        case 'case':
          running = null;
          results.push(message.result);
          console.log(progressLine(message.result));
          break;
        case 'csv':
          csv = message.result;
          console.log(
            `[bench] CSV parse of 1e6 points: ${message.result.parseMs.toFixed(0)} ms (best of ${message.result.runsMs.length})`,
          );
          break;
        case 'quality':
          quality.push(message.result);
          console.log(
            `  quality ${message.result.data} × ${message.result.kind}: KL ${message.result.kl.toFixed(4)} ± ${message.result.kl_stderr.toFixed(4)} nats`,
          );
          break;
        case 'diffusion-quality': {
          const q = message.result;
          diffusionQuality.push(q);
          console.log(
            `  diffusion quality ${q.data} × ${q.kind} ${q.sampler} ${q.steps}: NFE ${q.nfe}, energy ${q.energy.toFixed(4)}` +
              (q.kl === null ? '' : `, KL ${q.kl.toFixed(3)} ± ${q.kl_stderr.toFixed(3)}`),
          );
          break;
        }
        case 'nice-parity':
          niceParityPage = message.result;
          console.log(
            `  nice parity: Flowfield trained ${message.result.config.steps} steps in ${message.result.train_seconds.toFixed(1)} s, held-out ${message.result.flowfield_bits_per_dim.toFixed(4)} bits/dim`,
          );
          break;
        case 'straightness': {
          const s = message.result;
          straightness.push(s);
          console.log(
            `  straightness ${s.data} × ${s.model} ${s.sampler} ${s.steps}: NFE ${s.nfe}, energy ${s.energy.toFixed(4)}` +
              (s.gap === null ? '' : `, gap ${s.gap.toFixed(4)}`),
          );
          break;
        }
        case 'done':
          pageSeconds = message.seconds;
          finish();
          break;
      }
    });
    await page.goto(url, { waitUntil: 'load' });
    await finished;
    const browserVersion = await chromium.version().catch(() => 'unknown');

    const ratios = computeRatios(results);
    for (const r of results) {
      if (r.status === 'error') failures.push(`${r.id} failed: ${r.reason}`);
      if (r.loss_decreased === false) {
        failures.push(`${r.id}: eval loss did not decrease (${r.loss_first} → ${r.loss_last})`);
      }
    }
    if (pageSeconds === null && failures.length === 0) failures.push('the page never finished');

    // Start-up (#7) runs in browsers of its own, after the page, on the built app.
    let startup = null;
    if (options.startup > 0) {
      startup = await measureStartup({
        root,
        executablePath: browser.executablePath,
        headless: browser.headless,
        args: [...flags, ...browser.extraArgs],
        notebooks: options.startupNotebooks.split(',').filter(Boolean),
        cold: options.startup,
        warm: options.startupWarm,
      });
      failures.push(...startup.failures);
    }

    // Opening (#17 item 3): the built app (dist/, built for --startup, else here) in its own browser.
    let opening = null;
    if (options.opening > 0) {
      if (!(options.startup > 0)) {
        execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'inherit' });
      }
      opening = await measureOpening({
        root,
        executablePath: browser.executablePath,
        headless: browser.headless,
        args: [...flags, ...browser.extraArgs],
        rounds: options.opening,
      });
      failures.push(...opening.failures);
    }

    // The PyTorch CPU side (python/bench.py) after the browser, so the two do not share the CPU.
    let pytorch = null;
    if (options.pytorch) {
      const batches = [512, 4096].filter(
        (b) =>
          !options.filter ||
          options.filter.split(',').some((f) => f.includes(`b${b}`) || !/b\d/.test(f)),
      );
      pytorch = runPytorchBench(root, { seconds: options.quick ? 1 : 3, batches });
      if (pytorch.failure) failures.push(pytorch.failure);
    }

    let niceParity = null;
    if (options.niceParity > 0) {
      if (niceParityPage) {
        const tmp = await mkdtemp(path.join(os.tmpdir(), 'flowfield-nice-parity-'));
        const run = runNiceParity(root, niceParityPage, tmp);
        await rm(tmp, { recursive: true, force: true });
        niceParity = run.parity;
        if (run.failure) failures.push(run.failure);
      } else {
        failures.push('--nice-parity: the page sent no NICE result');
      }
    }

    const wallSeconds = (Date.now() - started) / 1000;
    const report = {
      schema: 1,
      date: new Date(started).toISOString(),
      wall_time_s: wallSeconds,
      page_time_s: pageSeconds,
      options: pageOptions ?? options,
      isolated: options.isolate,
      hardware: options.hardware,
      complete: pageSeconds !== null,
      failures,
      browser: {
        version: browserVersion,
        lookup: browser.description,
        executable: browser.executablePath,
        headless: browser.headless,
        flags: [...flags, ...browser.extraArgs],
        user_agent: environment?.userAgent ?? null,
        cross_origin_isolated: environment?.crossOriginIsolated ?? null,
        hardware_concurrency: environment?.hardwareConcurrency ?? null,
      },
      adapter: environment?.adapter ?? null,
      adapter_error: environment?.adapterError ?? null,
      machine: {
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model ?? null,
        memory_gib: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      git: gitCommit(),
      cases: results,
      ratios,
      quality,
      diffusion_quality: diffusionQuality,
      straightness,
      nice_parity: niceParity,
      load_average: os.loadavg(),
      csv_parse_1e6: csv,
      startup,
      opening,
      pytorch: pytorch?.rows ?? null,
    };
    await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);

    console.log('');
    console.log(
      `Flowfield bench — ${browserVersion}, adapter ${environment?.adapter ? `${environment.adapter.vendor}/${environment.adapter.architecture}` : 'none'}, ` +
        `median of ${pageOptions?.runs ?? options.runs} runs, ${options.quick ? 'quick' : 'default'} mode`,
    );
    console.log(formatTable(results, ratios));
    if (quality.length > 0) {
      console.log('');
      console.log(
        `Quality: KL(p_data ‖ p_model) in nats after ${quality[0].steps} steps (batch 512, 8 layers, hidden 64), paired Monte-Carlo on 20 000 points`,
      );
      console.log('data          kind     KL ± stderr          NLL      H(data)  train s');
      for (const q of quality) {
        console.log(
          `${q.data.padEnd(13)} ${q.kind.padEnd(8)} ${q.kl.toFixed(4).padStart(8)} ± ${q.kl_stderr.toFixed(4)}   ${q.nll.toFixed(4).padStart(7)}  ${q.entropy.toFixed(4).padStart(7)}  ${q.train_seconds.toFixed(1).padStart(7)}`,
        );
      }
    }
    if (diffusionQuality.length > 0) {
      console.log('');
      console.log(formatDiffusionQuality(diffusionQuality));
    }
    if (straightness.length > 0) {
      console.log('');
      console.log(formatStraightness(straightness));
    }
    if (niceParity) {
      console.log('');
      console.log(formatNiceParity(niceParity));
    }
    if (pytorch?.rows.length) {
      console.log('');
      console.log(formatPytorch(pytorch.rows, results));
    }
    if (startup) {
      console.log('');
      const adapter = environment?.adapter;
      const swiftshader = adapter?.architecture === 'swiftshader' || adapter?.isFallbackAdapter;
      console.log(formatStartup(startup, { swiftshader: Boolean(swiftshader) }));
      for (const warning of startup.warnings) console.log(`  warning: ${warning}`);
    }
    if (opening) {
      console.log('');
      console.log(formatOpening(opening));
    }
    console.log('');
    console.log(
      `load average (1, 5, 15 min) at the end: ${os
        .loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `ours/peer = flowfield ÷ that peer in this run (steps/s for train, samples/s for sample): ` +
        `the median of the per-round ratios of paired runs, (lowest–highest round); ` +
        `wall time ${wallSeconds.toFixed(1)} s; results in ${path.relative(process.cwd(), options.out)}`,
    );
    if (failures.length) {
      console.error(`\n[bench] FAILED:\n  ${failures.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    clearTimeout(timer);
    await chromium.close().catch(() => {});
    server.close();
  }
}

main().catch((error) => {
  console.error(`[bench] ${error.stack ?? error}`);
  process.exit(1);
});
