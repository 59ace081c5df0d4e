/**
 * Flowfield's library entry: the public contract used by the UI, the worker, tests and other
 * people's pages. See README.md ("Library API") for the documented names.
 */
export {
  GpuRuntime,
  acquireGpu,
  WebGpuUnavailableError,
  ShaderError,
  GpuDeviceLostError,
  GpuLimitError,
  type AdapterSummary,
  type GpuEvent,
} from './gpu';
export { philox4x32_10, seedKey, fillRandomCpu } from './rng/philox';
