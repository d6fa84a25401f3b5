export type CliCommand =
  | { readonly name: 'update-all' }
  | { readonly name: 'update'; readonly clientId: number }
  | { readonly name: 'seed'; readonly profile: string }
  | { readonly name: 'migrate' }
  | { readonly name: 'help' };

export const CLI_USAGE = `usage: node apps/worker/dist/cli.mjs <command>   (from the sources: node --import tsx apps/worker/src/cli.ts)
  update-all                     run UpdateAll once (same environment as the worker)
  update --client <id>           update one client's five targets
  seed --profile <name|file>     seed the source (load-profiles/data/<name>.json or a JSON file)
  migrate                        apply the source schema migrations
exit codes: 0 ok, 1 some targets failed, 2 bad input`;

/** A command line the CLI cannot run; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function option(args: readonly string[], flag: string): string {
  const index = args.indexOf(flag);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} is missing: pass ${flag} <value>`);
  return value;
}

const MAX_CLIENT_ID = 2_147_483_647;

/** A stray word (`update --client 3 4`) or a repeated flag would otherwise be ignored. */
function onlyOption(command: string, args: readonly string[], flag: string): void {
  if (args.length !== 2) throw new UsageError(`${command} takes ${flag} <value> only, got ${args.join(' ')}`);
}

export function parseCliArgs(args: readonly string[]): CliCommand {
  const [name, ...rest] = args;
  const known = new Set(['--client', '--profile']);
  for (const arg of rest) if (arg.startsWith('--') && !known.has(arg)) throw new UsageError(`unknown option ${arg}`);
  switch (name) {
    case 'update-all':
    case 'migrate':
      if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got ${rest.join(' ')}`);
      return { name };
    case 'update': {
      const text = option(rest, '--client');
      onlyOption(name, rest, '--client');
      // Client ids are PostgreSQL integers: a larger number would fail in the query, not here.
      if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > MAX_CLIENT_ID) {
        throw new UsageError(`--client is ${JSON.stringify(text)}: pass a positive integer client id (at most ${MAX_CLIENT_ID})`);
      }
      return { name, clientId: Number(text) };
    }
    case 'seed': {
      const profile = option(rest, '--profile');
      onlyOption(name, rest, '--profile');
      return { name, profile };
    }
    case undefined:
    case 'help':
    case '--help':
      return { name: 'help' };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}: use update-all, update, seed or migrate`);
  }
}
