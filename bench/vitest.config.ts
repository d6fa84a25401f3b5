import { defineConfig, mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest.shared.ts';

// Benchmarks live beside their helpers; only the helpers' unit tests run as tests.
export default mergeConfig(projectTestConfig('bench'), defineConfig({ test: { include: ['**/*.test.ts'], exclude: ['node_modules/**'] } }));
