// One flat config for every project; each project lints its own `src`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

// The layers, lowest first: a project may import only the layers below it (docs/architecture.md).
// `platform` (cgroups, release stacks) and `services` (embedded PostgreSQL, S3 and Redis, which
// may use platform) stand beside them; `sandbox` (cgroup runs with neighbours, on platform) is
// for the harness alone; `harness` (bench) is the top, above the worker app.
const model = ['layer:model'];
const source = [...model, 'layer:source'];
const snapshot = [...model, 'layer:snapshot'];
const tracker = [...snapshot, 'layer:tracker'];
const updater = [...source, ...tracker, 'layer:updater'];
const beside = ['layer:services', 'layer:platform'];
const app = [...updater, ...beside];
const harness = [...app, 'layer:app', 'layer:sandbox'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '**/.nx/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-function-type': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'layer:model', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'layer:source', onlyDependOnLibsWithTags: [...model, 'layer:services'] },
            { sourceTag: 'layer:snapshot', onlyDependOnLibsWithTags: [...model, 'layer:services'] },
            { sourceTag: 'layer:tracker', onlyDependOnLibsWithTags: [...snapshot, 'layer:services'] },
            { sourceTag: 'layer:updater', onlyDependOnLibsWithTags: [...source, ...tracker, 'layer:services'] },
            { sourceTag: 'layer:services', onlyDependOnLibsWithTags: ['layer:platform'] },
            { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'layer:sandbox', onlyDependOnLibsWithTags: ['layer:platform'] },
            { sourceTag: 'layer:app', onlyDependOnLibsWithTags: app },
            { sourceTag: 'layer:harness', onlyDependOnLibsWithTags: harness },
          ],
        },
      ],
    },
  },
  {
    // CommonJS files are preloaded into child processes with `node --require`.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
