// The layers of docs/architecture.md hold by lint, not by discipline: an import that points
// up a layer fails `npm run lint`. Linted as text at a path inside each project, so no file
// in the tree is touched.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

beforeAll(() => {
  // The rule reads Nx's cached project graph; without one it skips itself with a warning.
  const graph = spawnSync(`${root}node_modules/.bin/nx`, ['show', 'projects'], { cwd: root, encoding: 'utf8' });
  expect(graph.status, graph.stderr).toBe(0);
}, 120_000);

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = imported;\n`, { filePath: `${root}${file}` });
  return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it.each([
    ['libs/data-model/src/probe.ts', "import { StorageUpdater as imported } from '@storage-builder/updater';"],
    ['libs/snapshot/src/probe.ts', "import { openChangeFeed as imported } from '@storage-builder/source-db';"],
    ['libs/source-db/src/probe.ts', "import { SnapshotStore as imported } from '@storage-builder/snapshot';"],
    ['libs/updater/src/probe.ts', "import { startWorkerApp as imported } from '@storage-builder/worker';"],
    ['apps/worker/src/probe.ts', "import { median as imported } from '../../../bench/harness/stats';"],
    ['apps/worker/src/probe.ts', "import { runSandboxed as imported } from '@storage-builder/sandbox';"],
    ['libs/updater/src/probe.ts', "import { provisionServices as imported } from '@storage-builder/services';"],
  ])('refuses an import up or across a layer in %s', async (file, code) => {
    expect(await boundaryErrors(file, code)).not.toEqual([]);
  });

  it.each([
    ['libs/snapshot/src/probe.ts', "import { DATA_KINDS as imported } from '@storage-builder/data-model';"],
    ['libs/updater/src/probe.ts', "import { SnapshotStore as imported } from '@storage-builder/snapshot';"],
    ['bench/harness/probe.ts', "import { startWorkerApp as imported } from '@storage-builder/worker';"],
    ['libs/updater/src/probe.test.ts', "import { provisionServices as imported } from '@storage-builder/services';"],
  ])('accepts an import down the layers in %s', async (file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });
});
