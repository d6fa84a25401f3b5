// The docker CLI as a function, so the flow's preflight and clean-up can be tested with a fake.
import { spawn } from 'node:child_process';

export interface DockerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `docker <args>`. `env` is added to this process's environment for the CLI, which
 * passes `--env NAME` values from it. Rejects only when the CLI cannot be started (a
 * missing binary rejects with `code: 'ENOENT'`); a failing command resolves with its exit code.
 */
export type DockerRunner = (args: readonly string[], env?: Readonly<Record<string, string>>) => Promise<DockerResult>;

/** Ends a CLI call that hangs (an engine behind a dead TCP `DOCKER_HOST`, say). */
export const DEFAULT_DOCKER_TIMEOUT_MS = 120_000;

export function dockerCli(options: { timeoutMs?: number } = {}): DockerRunner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  return (args, env) =>
    new Promise((resolve, reject) => {
      const child = spawn('docker', [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (signal) stderr += `\ndocker ${args[0] ?? ''} was ended by ${signal} (over ${timeoutMs} ms?)`;
        resolve({ exitCode: code ?? 1, stdout: stdout.trim(), stderr: stderr.trim() });
      });
    });
}

/** Runs a command that must succeed; the error names the command and docker's own message. */
export async function dockerOk(docker: DockerRunner, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<string> {
  const result = await docker(args, env);
  if (result.exitCode !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed (exit ${result.exitCode}): ${result.stderr || result.stdout}`);
  return result.stdout;
}
