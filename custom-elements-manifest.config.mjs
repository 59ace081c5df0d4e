// `npm run build` writes dist/custom-elements.json (the package's "customElements" manifest:
// tags, attributes, properties and events of the Lit components and <flowfield-notebook>) with
// @custom-elements-manifest/analyzer, so editors and docs tools know the elements.
export default {
  globs: ['src/ui/**/*.ts', 'src/embed/*.ts'],
  exclude: ['src/ui/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
};
