export type CliCommand =
  | { readonly name: 'update-all'; readonly wait: boolean }
  | { readonly name: 'update'; readonly clientId: number; readonly wait: boolean }
  | { readonly name: 'verify'; readonly clientId: number | undefined; readonly heal: boolean; readonly depth: 'trailer' | 'full' }
  | { readonly name: 'seed'; readonly profile: string }
  | { readonly name: 'migrate' }
  | { readonly name: 'help' };

export const CLI_USAGE = `usage: node apps/worker/dist/cli.mjs <command>   (from the sources: node --import tsx apps/worker/src/cli.ts)
  update-all [--wait]            run UpdateAll once (same environment as the worker)
  update --client <id> [--wait]  update one client's five targets
      A target another writer holds (a worker's run, another CLI) is skipped and named
      with its holder; --wait waits for it instead.
  verify [--client <id>] [--no-heal] [--full]
                                 check that every object each manifest names exists with its
                                 recorded size and checksum (--full: read every object), and
                                 rebuild damaged targets from a full read (--no-heal: report only)
  seed --profile <name|file>     seed the source (load-profiles/data/<name>.json or a JSON file)
  migrate                        apply the source schema migrations
exit codes: 0 ok, 1 some targets failed, were skipped or are damaged, 2 bad input`;

/** A command line the CLI cannot run; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CommandSpec {
  /** Options that take a value and must be given. */
  readonly required: readonly string[];
  /** Options that take a value and may be given. */
  readonly optional: readonly string[];
  /** Options without a value. */
  readonly flags: readonly string[];
}

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  'update-all': { required: [], optional: [], flags: ['--wait'] },
  update: { required: ['--client'], optional: [], flags: ['--wait'] },
  verify: { required: [], optional: ['--client'], flags: ['--no-heal', '--full'] },
  seed: { required: ['--profile'], optional: [], flags: [] },
  migrate: { required: [], optional: [], flags: [] },
};
const KNOWN_OPTIONS = new Set(Object.values(COMMANDS).flatMap((spec) => [...spec.required, ...spec.optional, ...spec.flags]));

function option(args: readonly string[], flag: string): string {
  const index = args.indexOf(flag);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} is missing: pass ${flag} <value>`);
  return value;
}

function describe(spec: CommandSpec): string {
  const parts = [...spec.required.map((f) => `${f} <value>`), ...spec.optional.map((f) => `[${f} <value>]`), ...spec.flags.map((f) => `[${f}]`)];
  return parts.length === 0 ? 'no arguments' : `${parts.join(' ')} only`;
}

/** Reads a command's options by its spec; a stray word or a repeated option is refused, not ignored. */
function readOptions(name: string, spec: CommandSpec, args: readonly string[]): { values: Map<string, string>; flags: Set<string> } {
  for (const flag of spec.required) option(args, flag);
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (spec.flags.includes(arg) && !flags.has(arg)) {
      flags.add(arg);
    } else if ([...spec.required, ...spec.optional].includes(arg) && !values.has(arg)) {
      values.set(arg, option(args.slice(i), arg));
      i++;
    } else {
      throw new UsageError(`${name} takes ${describe(spec)}, got ${args.join(' ')}`);
    }
  }
  return { values, flags };
}

const MAX_CLIENT_ID = 2_147_483_647;

function clientIdOf(text: string): number {
  // Client ids are PostgreSQL integers: a larger number would fail in the query, not here.
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > MAX_CLIENT_ID) {
    throw new UsageError(`--client is ${JSON.stringify(text)}: pass a positive integer client id (at most ${MAX_CLIENT_ID})`);
  }
  return Number(text);
}

export function parseCliArgs(args: readonly string[]): CliCommand {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help') return { name: 'help' };
  for (const arg of rest) if (arg.startsWith('--') && !KNOWN_OPTIONS.has(arg)) throw new UsageError(`unknown option ${arg}`);
  const spec = COMMANDS[name];
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(name)}: use ${Object.keys(COMMANDS).join(', ')} or help`);
  const { values, flags } = readOptions(name, spec, rest);
  const client = values.get('--client');
  switch (name) {
    case 'update-all':
      return { name, wait: flags.has('--wait') };
    case 'update':
      return { name, clientId: clientIdOf(client!), wait: flags.has('--wait') };
    case 'verify':
      return { name, clientId: client === undefined ? undefined : clientIdOf(client), heal: !flags.has('--no-heal'), depth: flags.has('--full') ? 'full' : 'trailer' };
    case 'seed':
      return { name, profile: values.get('--profile')! };
    default:
      return { name: 'migrate' };
  }
}
