// What `npm run reproduce` and `npm run reproduce:docker` do around their work: read the flags,
// clean up on Ctrl-C or SIGTERM, and exit with the code their main left.

/** The parts of `process` the clean-up on a signal uses; a test passes a fake. */
export type SignalTarget = Pick<NodeJS.Process, 'on' | 'off' | 'exit'>;

const log = (message: string) => process.stderr.write(`${message}\n`);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Parses the flags. A bad flag prints its error and the usage and sets exit code 2; `--help`
 * (`parse` returns undefined) prints the usage. Undefined means there is nothing to run.
 */
export function parseCommandLine<O>(parse: (argv: string[]) => O | undefined, usage: string, argv: string[] = process.argv.slice(2)): O | undefined {
  let options: O | undefined;
  try {
    options = parse(argv);
  } catch (error) {
    log(`${messageOf(error)}\n\n${usage}`);
    process.exitCode = 2;
    return undefined;
  }
  if (!options) process.stdout.write(`${usage}\n`);
  return options;
}

/**
 * Loads what the flags name (profiles). A file that is missing or invalid is bad input,
 * like a bad flag: its error is printed, exit code 2, and undefined means nothing may start.
 */
export function loadInputs<T>(load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    log(messageOf(error));
    process.exitCode = 2;
    return undefined;
  }
}

/**
 * On the first SIGINT or SIGTERM: says `<signal>: <what>…`, runs `cleanUp`, logs its failure
 * and exits 130. Returns the function that removes the handlers once the work is over.
 */
export function cleanUpOnSignal(what: string, cleanUp: () => Promise<void>, target: SignalTarget = process): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: ${what}…`);
    void cleanUp()
      .catch((error: unknown) => log(`clean-up failed: ${messageOf(error)}`))
      .finally(() => target.exit(130));
  };
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
  return () => {
    target.off('SIGINT', onSignal);
    target.off('SIGTERM', onSignal);
  };
}

/** Runs `main`, then exits with the code it left, or with 1 naming `command` when it throws. */
export function runMain(command: string, main: () => Promise<void>): void {
  main().then(
    // Explicit: embedded PostgreSQL's exit hooks would otherwise end the process with 0.
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      log(`${command} failed: ${messageOf(error)}`);
      process.exit(1);
    },
  );
}
