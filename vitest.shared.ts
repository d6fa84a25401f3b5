// Vitest settings every project shares. Each project's `vitest.config.ts` calls this with its name.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const workspaceRoot = path.dirname(fileURLToPath(import.meta.url));

export function projectTestConfig(projectName: string) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      // Real services start in these tests (an embedded PostgreSQL takes seconds).
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // The pinned AWS SDK supports Node 20; its notice about future releases is noise in test output.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      globalSetup: [path.join(workspaceRoot, 'libs/services/src/testing/leak-check.ts')],
      reporters: [
        'default',
        // Read by tools/run-all-tests.mjs to print one summary for the workspace.
        ['json', { outputFile: path.join(workspaceRoot, 'reports/tests', `${projectName}.json`) }],
      ],
    },
  });
}
