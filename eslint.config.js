import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // One matrix module: gl-matrix comes through scenes/matrix.ts, which makes it float64.
    files: ['**/*.ts'],
    ignores: ['scenes/matrix.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'gl-matrix',
              message: 'import mat4/quat/vec3 from scenes/matrix.ts (float64 arrays are set there)',
            },
          ],
        },
      ],
    },
  },
);
