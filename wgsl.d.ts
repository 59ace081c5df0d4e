// esbuild (app) and web-test-runner (tests) both load .wgsl files as text.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
