// One flat config for every project; each project lints its own `src`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

// The layers, lowest first: a project may import only the layers below it (docs/architecture.md).
// `platform` (cgroups, release stacks) stands beside them; `services` (embedded PostgreSQL, S3
// and Redis) is test infrastructure: libraries and the app may use it in tests only;
// `sandbox` (cgroup runs with neighbours) is for the harness alone; `harness` (bench) is the top.
const model = ['layer:model'];
const source = [...model, 'layer:source'];
const snapshot = [...model, 'layer:snapshot'];
const tracker = [...model, 'layer:tracker'];
const updater = [...source, ...snapshot, ...tracker, 'layer:updater'];
const app = [...updater, 'layer:platform'];
const harness = [...app, 'layer:services', 'layer:app', 'layer:sandbox'];

/** The constraints, with or without `services` for the library layers (it is test infrastructure). */
function boundaries({ withServices }) {
  const services = withServices ? ['layer:services'] : [];
  return {
    enforceBuildableLibDependency: false,
    depConstraints: [
      { sourceTag: 'layer:model', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'layer:source', onlyDependOnLibsWithTags: [...model, ...services] },
      { sourceTag: 'layer:snapshot', onlyDependOnLibsWithTags: [...model, ...services] },
      { sourceTag: 'layer:tracker', onlyDependOnLibsWithTags: [...model, ...services] },
      { sourceTag: 'layer:updater', onlyDependOnLibsWithTags: [...source, ...snapshot, ...tracker, ...services] },
      { sourceTag: 'layer:services', onlyDependOnLibsWithTags: ['layer:platform'] },
      { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'layer:sandbox', onlyDependOnLibsWithTags: ['layer:platform'] },
      { sourceTag: 'layer:app', onlyDependOnLibsWithTags: [...app, ...services] },
      { sourceTag: 'layer:harness', onlyDependOnLibsWithTags: harness },
    ],
  };
}

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
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ withServices: false })] },
  },
  {
    // Tests and test helpers may provision services; production code below the app may not.
    files: ['**/*.test.ts', '**/src/testing/**/*.ts', '**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ withServices: true })] },
  },
  {
    // CommonJS files are preloaded into child processes with `node --require`.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
