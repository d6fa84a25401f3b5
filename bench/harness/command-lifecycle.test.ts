import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanUpOnSignal, parseCommandLine, type SignalTarget } from './command-lifecycle';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function quiet() {
  return {
    stdout: vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    stderr: vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
  };
}

describe('parseCommandLine', () => {
  it('returns the options of good flags', () => {
    expect(parseCommandLine((argv) => ({ argv }), 'Usage: x', ['--a'])).toEqual({ argv: ['--a'] });
  });

  it('prints the error and the usage of a bad flag and sets exit code 2', () => {
    const { stderr } = quiet();
    const options = parseCommandLine(() => {
      throw new Error("Unknown option '--b'");
    }, 'Usage: x', ['--b']);
    expect(options).toBeUndefined();
    expect(process.exitCode).toBe(2);
    expect(stderr).toHaveBeenCalledWith("Unknown option '--b'\n\nUsage: x\n");
  });

  it('prints the usage on --help and leaves the exit code', () => {
    const { stdout } = quiet();
    expect(parseCommandLine(() => undefined, 'Usage: x', ['--help'])).toBeUndefined();
    expect(stdout).toHaveBeenCalledWith('Usage: x\n');
    expect(process.exitCode).toBeUndefined();
  });
});

describe('cleanUpOnSignal', () => {
  function fakeProcess() {
    const emitter = new EventEmitter();
    const exited = new Promise<number | undefined>((resolve) => {
      Object.assign(emitter, { exit: (code?: number) => resolve(code) });
    });
    return { target: emitter as unknown as SignalTarget & EventEmitter, exited };
  }

  it('cleans up once on the first signal, then exits 130', async () => {
    const { stderr } = quiet();
    const { target, exited } = fakeProcess();
    const cleanUp = vi.fn(async () => undefined);
    cleanUpOnSignal('removing the services', cleanUp, target);
    target.emit('SIGINT', 'SIGINT');
    target.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(130);
    expect(cleanUp).toHaveBeenCalledTimes(1);
    expect(stderr).toHaveBeenCalledWith('SIGINT: removing the services…\n');
  });

  it('logs a failed clean-up and still exits 130', async () => {
    const { stderr } = quiet();
    const { target, exited } = fakeProcess();
    cleanUpOnSignal('removing the services', () => Promise.reject(new Error('stop failed')), target);
    target.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(130);
    expect(stderr).toHaveBeenCalledWith('clean-up failed: stop failed\n');
  });

  it('removes its handlers', () => {
    const { target } = fakeProcess();
    const remove = cleanUpOnSignal('removing the services', async () => undefined, target);
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(2);
    remove();
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
  });
});
