import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ended, whenReady } from './child-process';
import { LogTail } from './log-tail';

describe('starting a child process', () => {
  it('fails, and counts as ended, when the program cannot be started', async () => {
    const child = spawn('/nonexistent/storage-builder-server', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    const gone = ended(child);
    await expect(whenReady(child, 'ready', new LogTail(), 10_000)).rejects.toThrow(/ENOENT/);
    await expect(gone).resolves.toBeUndefined();
  });

  it('is ready when the line appears, and fails with the exit when the child ends first', async () => {
    const log = new LogTail();
    const ready = spawn(process.execPath, ['-e', 'console.log("warming up"); setTimeout(() => console.log("now ready"), 50)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await whenReady(ready, 'now ready', log, 10_000);
    await ended(ready);
    expect(log.text()).toContain('warming up');
    const quits = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await expect(whenReady(quits, 'now ready', new LogTail(), 10_000)).rejects.toThrow('exited (3) during start-up');
  });
});
