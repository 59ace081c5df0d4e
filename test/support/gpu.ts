/**
 * The GPU runtime shared by the tests of one page. A missing adapter FAILS the test (never skips)
 * with the browser lookup that was used, so a green run always means real GPU work ran.
 */
import { GpuRuntime } from '../../src/gpu';

declare global {
  interface Window {
    __FLOWFIELD_TEST_BROWSER__?: string;
  }
}

let shared: Promise<GpuRuntime> | undefined;

export function testGpu(): Promise<GpuRuntime> {
  shared ??= GpuRuntime.open().catch((error: Error) => {
    shared = undefined;
    throw new Error(
      `GPU test cannot run: ${error.message}\nBrowser lookup used: ${
        window.__FLOWFIELD_TEST_BROWSER__ ?? 'unknown (not run by web-test-runner.config.mjs)'
      }. Expected a WebGPU adapter (SwiftShader works on machines without a GPU).`,
    );
  });
  return shared;
}
