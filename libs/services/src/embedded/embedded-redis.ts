import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir } from '../local-resources';
import { ended, whenReady } from './child-process';
import { LogTail } from './log-tail';

const START_TIMEOUT_MS = 10_000;

/** The `redis-server` binary on PATH, if there is one. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Starts `redis-server` from PATH on a free loopback port, keeping nothing on disk. */
export async function startEmbeddedRedis(binary: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = await makeTempDir('redis');
  const log = new LogTail();
  const child = spawn(
    binary,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir.path],
      // Redis rewrites its process title; keeping the directory in it lets a leak check find the process.
      ...['--proc-title-template', `{title} {listen-addr} ${dir.path}`],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = ended(child);
  try {
    await whenReady(child, 'Ready to accept connections', log, START_TIMEOUT_MS);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await dir.remove();
    throw new Error(`embedded Redis (${binary}) did not start on port ${port}: ${(error as Error).message}\n${log.text()}`);
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await dir.remove();
    },
  };
}
