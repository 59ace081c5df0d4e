// Finds a Chromium for the tests and the benchmarks. Order: $CHROME_PATH, a system
// Chromium/Chrome, then @sparticuz/chromium (which unpacks its own Chromium + SwiftShader).
import { existsSync } from 'node:fs';

/** Flags that give a WebGPU adapter in headless Chromium, SwiftShader where there is no GPU. */
export const WEBGPU_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  // WebGPU canvases (OffscreenCanvas views) need a shared-image backing the compositor can read;
  // headless Chromium without a GPU has one only with ANGLE on SwiftShader. Without this flag the
  // first canvas frame drops the GPU instance ("Could not find SharedImageBackingFactory").
  '--use-angle=swiftshader',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Flags for a machine with a GPU (the bench's --hardware): WebGPU on the system's Vulkan driver,
 * nothing forcing SwiftShader. The tests never use these: they must run on machines without a GPU.
 */
export const HARDWARE_WEBGPU_FLAGS = WEBGPU_FLAGS.filter((flag) => !flag.includes('swiftshader'));

const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export async function findBrowser() {
  const tried = [];
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) {
      return {
        executablePath: fromEnv,
        headless: true,
        extraArgs: [],
        description: `CHROME_PATH=${fromEnv}`,
      };
    }
    tried.push(`CHROME_PATH=${fromEnv} (no such file)`);
  } else {
    tried.push('CHROME_PATH (not set)');
  }
  for (const path of SYSTEM_BROWSERS) {
    if (existsSync(path)) {
      return {
        executablePath: path,
        headless: true,
        extraArgs: [],
        description: `system browser ${path}`,
      };
    }
  }
  tried.push(`system browsers (${SYSTEM_BROWSERS.join(', ')}: none found)`);
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    const executablePath = await chromium.executablePath();
    return {
      executablePath,
      headless: 'shell',
      extraArgs: [],
      description: `@sparticuz/chromium (${executablePath})`,
    };
  } catch (error) {
    tried.push(`@sparticuz/chromium (${error.message})`);
  }
  throw new Error(
    `No Chromium found for the browser tests. Tried: ${tried.join('; ')}. ` +
      'Set CHROME_PATH to a Chrome/Chromium binary, or run `npm ci` so the dev ' +
      'dependency @sparticuz/chromium is installed.',
  );
}
