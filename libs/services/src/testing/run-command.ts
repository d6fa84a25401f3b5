import { spawn } from 'node:child_process';

/** How a command ended and everything it printed. */
export interface CommandResult {
  /** The exit code; null when a signal ended the command. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly cwd?: string;
  /** The command's whole environment; this process's when not given. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to its end with no input and resolves with its exit code and output. Rejects
 * only when the command cannot be started; a failing command resolves with its code.
 */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
