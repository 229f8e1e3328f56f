import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// One matrix module: gl-matrix comes through scenes/matrix.ts, which makes it float64.
const GL_MATRIX = {
  name: 'gl-matrix',
  message: 'import mat4/quat/vec3 from scenes/matrix.ts (float64 arrays are set there)',
};
// The page bundle (esbuild, for the browser: generator/page-bundle.ts) and what it imports at run
// time keep direct imports: an index would drag Node-only modules (tar, fs, S3) into the bundle.
const PAGE_BUNDLE = ['generator/page/**', 'generator/frame-layout.ts', 'output/layers.ts'];

/**
 * Cross-folder imports go through the other folder's index.ts, its public API; files of one
 * top-level folder import each other directly. A specifier leaves its top-level folder only when it
 * climbs as many `../` as its file is deep, hence one regex per depth. Tests (and test support) may
 * also import another folder's test support: `test-helpers.ts`, `*fixture(s).ts`.
 */
function viaIndex(depth, tests) {
  const allowed = tests ? 'index\\.ts$|test-helpers\\.ts$|[^/]*fixtures?\\.ts$' : 'index\\.ts$';
  return {
    regex: `^(\\.\\./){${depth}}[^./][^/]*/(?!${allowed})`,
    message:
      "import another folder through its index.ts (add the name to that index's exports if it is missing)",
  };
}
function importRules() {
  const rule = (patterns, paths) => ({
    'no-restricted-imports': ['error', { paths, patterns }],
  });
  const blocks = [];
  for (const depth of [1, 2, 3]) {
    const dir = '*/'.repeat(depth);
    const support = [
      `${dir}*.test.ts`,
      `${dir}test-helpers.ts`,
      `${dir}*fixture.ts`,
      `${dir}*fixtures.ts`,
    ];
    blocks.push(
      {
        files: [`${dir}*.ts`],
        ignores: support,
        rules: rule([viaIndex(depth, false)], [GL_MATRIX]),
      },
      { files: support, rules: rule([viaIndex(depth, true)], []) },
    );
  }
  blocks.push(
    { files: ['*.ts'], rules: rule([], [GL_MATRIX]) },
    { files: ['scenes/matrix.ts'], rules: rule([viaIndex(1, false)], []) },
    { files: PAGE_BUNDLE, rules: rule([], [GL_MATRIX]) },
  );
  return blocks;
}

export default tseslint.config(
  { ignores: ['node_modules/', 'tmp/', 'out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Seeded randomness only: everything that shapes data takes an Rng.
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use a seeded Rng (core/rng.ts)' },
        { object: 'Date', property: 'now', message: 'nothing that shapes data may read the clock' },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'bench/**', 'cli/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // CommonJS worker scripts (training/wasm-thread-worker.cjs).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __filename: 'readonly', globalThis: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...importRules(),
);
