import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from './cli-args';

// Command lines cli-args.test.ts does not try; each is a UsageError (exit code 2) naming the flag.
describe('parseCliArgs on bad input', () => {
  it.each([
    [['update', '--client', '0'], '--client is "0": pass a positive integer client id (at most 2147483647)'],
    [['update', '--client', '-3'], '--client is "-3"'],
    [['update', '--client', '1.5'], '--client is "1.5"'],
    [['update', '--client', '1e3'], '--client is "1e3"'],
    [['update', '--client', '2147483648'], '--client is "2147483648": pass a positive integer client id (at most 2147483647)'],
    [['update', '--client', '12345678901'], '--client is "12345678901"'],
    [['update', '--client'], '--client is missing: pass --client <value>'],
    [['update', '--client', '--profile'], '--client is missing'],
    [['update', '--client', '3', '4'], 'update takes --client <value> [--wait] only, got --client 3 4'],
    [['update', '--client', '3', '--client', '4'], 'update takes --client <value> [--wait] only'],
    [['update', '--profile', 'x', '--client', '3'], 'update takes --client <value> [--wait] only'],
    [['seed', '--profile', 'a', 'b'], 'seed takes --profile <value> only, got --profile a b'],
    [['seed', '--client', '3'], '--profile is missing'],
    [['migrate', 'now'], 'migrate takes no arguments, got now'],
    [['update-all', '--client', '3'], 'update-all takes [--wait] only, got --client 3'],
    [['update-all', '--parallelism=8'], 'unknown option --parallelism=8'],
    [['Update-All'], 'unknown command "Update-All": use update-all, update, verify, seed, migrate or help'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(UsageError);
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});
