import type { ChildProcess } from 'node:child_process';
import type { LogTail } from './log-tail';

/**
 * Resolves once the child has ended and its output is closed. 'close' comes also when the
 * child never started (a spawn error emits 'error' and 'close', never 'exit').
 */
export function ended(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('close', () => resolve()));
}

/**
 * Resolves when the child prints `readyText` on stdout or stderr; rejects when it fails to
 * start, ends, or stays silent for `timeoutMs`. What it printed until then goes to `log`;
 * afterwards its output is read and dropped, so a full pipe never stops it.
 */
export function whenReady(child: ChildProcess, readyText: string, log: LogTail, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settle(new Error(`not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log.add(text);
      if (text.includes(readyText)) settle();
    };
    const onError = (error: Error) => settle(error);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => settle(new Error(`exited (${code ?? signal}) during start-up`));
    function settle(error?: Error) {
      clearTimeout(timer);
      child.off('error', onError).off('exit', onExit);
      for (const stream of [child.stdout, child.stderr]) stream?.off('data', onOutput).resume();
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}
