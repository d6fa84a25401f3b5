// Starts gate-child.ts in a process of its own and reads its one result line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESULT_MARKER, SETTINGS_VARIABLE, type ChildSettings, type FloorRunResult, type FloorRunSettings, type UpdateRunResult, type UpdateRunSettings } from './child-protocol';

export const CHILD_PATH = fileURLToPath(new URL('./gate-child.ts', import.meta.url));

/** The node flags that load tsx in a child: the parent's own when it runs under tsx, else `--import tsx`. */
export function tsxLoaderArgs(): string[] {
  return process.execArgv.some((arg) => arg.includes('tsx')) ? process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof') && !arg.startsWith('--heap-prof')) : ['--import', 'tsx'];
}

/** Node flags and command line of a child run, e.g. for runSandboxed. */
export function childCommand(nodeArgs: readonly string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: [...tsxLoaderArgs(), ...nodeArgs, CHILD_PATH] };
}

export function childEnv(settings: ChildSettings): NodeJS.ProcessEnv {
  return { ...process.env, [SETTINGS_VARIABLE]: JSON.stringify(settings) };
}

export function parseChildOutput<R>(stdout: string, stderr: string, what: string): R {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`${what}: the child printed no result line; stderr: ${stderr.slice(-3000)}`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as R;
}

export function runChild(settings: UpdateRunSettings, nodeArgs?: readonly string[]): Promise<UpdateRunResult>;
export function runChild(settings: FloorRunSettings, nodeArgs?: readonly string[]): Promise<FloorRunResult>;
export function runChild(settings: ChildSettings, nodeArgs: readonly string[] = []): Promise<UpdateRunResult | FloorRunResult> {
  const { command, args } = childCommand(nodeArgs);
  const what = settings.kind === 'update' ? `UpdateAll child (${settings.serializer}, parallelism ${settings.parallelism}, incremental ${settings.incremental})` : 'floor child';
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: childEnv(settings), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`${what} exited with ${code ?? signal}: ${err.slice(-3000)}`));
      try {
        const result = parseChildOutput<UpdateRunResult | FloorRunResult>(out, err, what);
        if (result.kind === 'update' && result.failed > 0) return reject(new Error(`${what}: ${result.failed} target(s) failed, e.g. ${result.firstError}`));
        resolve(result);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}
