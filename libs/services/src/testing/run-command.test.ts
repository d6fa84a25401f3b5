import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCommand } from './run-command';

const node = process.execPath;

describe('runCommand', () => {
  it('resolves with the exit code and both outputs', async () => {
    const result = await runCommand(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 3']);
    expect(result).toEqual({ code: 3, stdout: 'out', stderr: 'err' });
  });

  it('passes the working directory and exactly the given environment', async () => {
    const result = await runCommand(node, ['-e', 'process.stdout.write(JSON.stringify([process.cwd(), process.env.ONLY_THIS, process.env.PATH]))'], { cwd: tmpdir(), env: { ONLY_THIS: 'yes' } });
    expect(JSON.parse(result.stdout)).toEqual([realpathSync(tmpdir()), 'yes', null]);
  });

  it('rejects a command that cannot start', async () => {
    await expect(runCommand('/nonexistent/command', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
