// esbuild (app, CLI) and web-test-runner (tests) load the exported project's Python and
// Markdown files (python/) as text: the exporter copies them byte for byte.
declare module '*.py' {
  const source: string;
  export default source;
}
declare module '*.md' {
  const source: string;
  export default source;
}
