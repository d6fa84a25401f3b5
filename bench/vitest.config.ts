import { defineConfig, mergeConfig } from 'vitest/config';
// The workspace's shared Vitest settings are a root file, not a project: no package name to import it by.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { projectTestConfig } from '../vitest.shared.ts';

// Benchmarks live beside their helpers; only the helpers' unit tests run as tests.
export default mergeConfig(projectTestConfig('bench'), defineConfig({ test: { include: ['**/*.test.ts'], exclude: ['node_modules/**'] } }));
