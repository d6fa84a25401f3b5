import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('reads each command', () => {
    expect(parseCliArgs(['update-all'])).toEqual({ name: 'update-all', wait: false });
    expect(parseCliArgs(['update-all', '--wait'])).toEqual({ name: 'update-all', wait: true });
    expect(parseCliArgs(['update', '--client', '42'])).toEqual({ name: 'update', clientId: 42, wait: false });
    expect(parseCliArgs(['update', '--wait', '--client', '42'])).toEqual({ name: 'update', clientId: 42, wait: true });
    expect(parseCliArgs(['verify'])).toEqual({ name: 'verify', clientId: undefined, heal: true, depth: 'trailer' });
    expect(parseCliArgs(['verify', '--client', '7', '--no-heal', '--full'])).toEqual({ name: 'verify', clientId: 7, heal: false, depth: 'full' });
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
    [['verify', '--client', 'x'], /--client is "x": pass a positive integer/],
    [['verify', '--wait'], /verify takes \[--client <value>\] \[--no-heal\] \[--full\] only, got --wait/],
    [['update-all', '--wait', '--wait'], /update-all takes \[--wait\] only/],
  ])('%j is refused', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});
