import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir } from '../local-resources';
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onOutput = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        log.add(text);
        if (text.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onOutput);
      child.stderr.on('data', onOutput);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await dir.remove();
    throw new Error(`embedded Redis (${binary}) did not start on port ${port}: ${(error as Error).message}\n${log.text()}`);
  }

  child.stdout.removeAllListeners('data').resume();
  child.stderr.removeAllListeners('data').resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await dir.remove();
    },
  };
}
