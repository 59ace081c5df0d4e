import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/dist/', 'bench/results.json', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // Nothing from a URL ever executes.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...housePlan(),
  {
    files: ['**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);

/**
 * The house plan (../shared/guide/ARCHITECTURE.md) as lint rules: which top-level folders of
 * src/ each layer may import. An import of any other folder fails `npm run lint`. Type-only
 * imports of the worker's API are the UI's one door to the GPU side.
 */
function housePlan() {
  const layers = {
    gpu: [],
    rng: ['gpu'],
    nn: ['gpu', 'rng'],
    data: ['gpu', 'rng'],
    render: ['gpu'],
    models: ['nn', 'data', 'gpu', 'rng'],
    lab: ['models', 'data', 'nn', 'gpu', 'rng'],
    worker: ['lab', 'render', 'gpu'],
    notebook: [],
    // The PyTorch exporter is pure TS (page and Node): it draws the data with the CPU samplers.
    export: ['notebook', 'data', 'rng', 'specs'],
    // A notebook's settings as the lab's specs: pure TS (the point parser), the lab's and the
    // worker's spec types only (below), so the page can use it without GPU code.
    specs: ['notebook', 'data'],
    gallery: ['notebook', 'lab', 'worker', 'specs'],
    // The UI reaches the worker through Remote<LabApi>: its types, never its code (below).
    ui: ['notebook', 'gallery', 'export', 'specs'],
  };
  /** Layers a layer may import types from, never code. */
  const typesOnly = { ui: ['worker'], specs: ['lab', 'worker'] };
  const all = [...Object.keys(layers), 'embed'];
  const pattern = (banned, extra = {}) => ({
    regex: `^(\\.\\./)+(${banned.join('|')})(/|$)`,
    message:
      'This import goes against the house plan (eslint.config.js housePlan, ' +
      '../shared/guide/ARCHITECTURE.md): reach that layer through the one below you.',
    ...extra,
  });
  // No exceptions: the worker reaches models, data and nn only through src/lab; the UI and the
  // gallery map notebooks to specs through src/specs.
  const configs = Object.entries(layers).map(([layer, allowed]) => {
    const banned = all.filter((other) => other !== layer && !allowed.includes(other));
    const types = typesOnly[layer] ?? [];
    const patterns = [pattern(banned.filter((other) => !types.includes(other)))];
    if (types.length > 0) patterns.push(pattern(types, { allowTypeImports: true }));
    return {
      files: [`src/${layer}/**/*.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  });
  return configs;
}
