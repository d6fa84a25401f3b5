import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Prefix of every temporary directory the services create, so a leak check can find them. */
export const TEMP_DIR_PREFIX = 'storage-builder-';

/**
 * Set by the test leak check so that the directories of one test run carry its tag and
 * another run's directories on the same machine are not mistaken for leaks.
 */
export const RUN_TAG_VARIABLE = 'STORAGE_BUILDER_RUN_TAG';

export async function makeTempDir(purpose: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const tag = process.env[RUN_TAG_VARIABLE];
  const dir = await mkdtemp(path.join(tmpdir(), `${TEMP_DIR_PREFIX}${tag ? `${tag}-` : ''}${purpose}-`));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A short random suffix for database, bucket and key-prefix names: lowercase letters and digits. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** Turns a free-form label into something valid in database and bucket names. */
export function sanitizeLabel(label: string): string {
  const cleaned = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned.slice(0, 20) || 'run';
}
