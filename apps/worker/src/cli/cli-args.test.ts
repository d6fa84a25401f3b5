import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('reads each command', () => {
    expect(parseCliArgs(['update-all'])).toEqual({ name: 'update-all' });
    expect(parseCliArgs(['update', '--client', '42'])).toEqual({ name: 'update', clientId: 42 });
    expect(parseCliArgs(['seed', '--profile', 'scaled-incident'])).toEqual({ name: 'seed', profile: 'scaled-incident' });
    expect(parseCliArgs(['migrate'])).toEqual({ name: 'migrate' });
    expect(parseCliArgs([])).toEqual({ name: 'help' });
  });

  it.each([
    [['update'], /--client is missing/],
    [['update', '--client', 'x'], /--client is "x": pass a positive integer/],
    [['seed'], /--profile is missing/],
    [['update-all', '--fast'], /unknown option --fast/],
    [['deploy'], /unknown command "deploy"/],
  ])('%j is refused', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});
