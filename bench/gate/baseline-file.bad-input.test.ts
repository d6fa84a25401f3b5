// A hand-edited or damaged baseline file and bad flags of the gate: an error naming the file,
// the field and the fix, exit code 2 before anything is measured, and no file written.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '@storage-builder/services/testing';
import { DEFAULT_BASELINE_PATH, parseBaselineFile, readBaselineFile } from './baseline-file';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GATE = fileURLToPath(new URL('./gate.ts', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'gate-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const committed = () => JSON.parse(readFileSync(DEFAULT_BASELINE_PATH, 'utf8')) as { modes: Record<string, { counters: Record<string, Record<string, unknown>>; ratios: Record<string, Record<string, unknown>> }> };
const firstName = (entries: Record<string, unknown>) => Object.keys(entries)[0]!;

/** The committed baseline with one change applied. */
function edited(change: (file: ReturnType<typeof committed>) => void): string {
  const file = committed();
  change(file);
  return JSON.stringify(file);
}

describe('the baseline file', () => {
  it('reads the committed one', () => {
    expect(Object.keys(readBaselineFile(DEFAULT_BASELINE_PATH)!.modes)).toEqual(expect.arrayContaining(['normal', 'quick']));
  });

  const counter = firstName(committed().modes['quick']!.counters);
  const ratio = firstName(committed().modes['quick']!.ratios);
  it.each([
    ['not JSON', '{"schema": 1,', 'the file is not valid JSON'],
    ['another schema', JSON.stringify({ schema: 2, modes: {} }), 'schema is 2, not 1'],
    ['modes null', JSON.stringify({ schema: 1, modes: null }), 'modes is null, not an object'],
    ['a mode without counters', JSON.stringify({ schema: 1, modes: { quick: { scale: {}, ratios: {} } } }), 'modes.quick.counters is missing, not an object'],
    ['a text scale', JSON.stringify({ schema: 1, modes: { quick: { scale: { rows: '30000' }, counters: {}, ratios: {} } } }), 'modes.quick.scale.rows is "30000", not a number'],
    ['a counter without tolerance', edited((f) => delete f.modes['quick']!.counters[counter]!['tolerance']), `modes.quick.counters[${JSON.stringify(counter)}].tolerance is missing, not an object`],
    ['a counter of another direction', edited((f) => (f.modes['quick']!.counters[counter]!['direction'] = 'lower')), `modes.quick.counters[${JSON.stringify(counter)}].direction is "lower", not "upper" or "band"`],
    ['a ratio without threshold', edited((f) => delete f.modes['quick']!.ratios[ratio]!['threshold']), `modes.quick.ratios[${JSON.stringify(ratio)}].threshold is missing, not a number >= 0`],
    ['a text threshold', edited((f) => (f.modes['quick']!.ratios[ratio]!['threshold'] = '0.5')), `modes.quick.ratios[${JSON.stringify(ratio)}].threshold is "0.5", not a number >= 0`],
    ['a negative cap', edited((f) => (f.modes['quick']!.ratios[ratio]!['cap'] = -1)), `modes.quick.ratios[${JSON.stringify(ratio)}].cap is -1, not a number >= 0`],
  ])('refuses %s, naming the field and the fix', (_case, text, message) => {
    let error: Error | undefined;
    try {
      parseBaselineFile(text, 'baseline.json');
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toContain(`baseline.json: ${message}`);
    expect(error?.message).toContain('restore it from git, or write it again with --update-baseline --reason');
  });
});

function gate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env };
  if (!('GATE_INJECT_REGRESSION' in env)) delete childEnv['GATE_INJECT_REGRESSION'];
  return runCommand(TSX, [GATE, ...args], { cwd: ROOT, env: childEnv });
}

describe('gate command with bad input', () => {
  it('exits 2 naming the problem before measuring, and writes neither reports nor the baseline', async () => {
    const broken = path.join(dir, 'broken.json');
    const brokenText = edited((f) => delete f.modes['normal']!.ratios[firstName(f.modes['normal']!.ratios)]!['threshold']);
    writeFileSync(broken, brokenText);
    const notJson = path.join(dir, 'not-json.json');
    writeFileSync(notJson, '{"schema": 1, "modes": {');
    const out = (name: string) => path.join(dir, `out-${name}`);
    const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
      ['broken', ['--baseline', broken], {}, /broken\.json: modes\.normal\.ratios\[".+"\]\.threshold is missing, not a number >= 0: restore it from git/],
      ['not-json', ['--baseline', notJson], {}, /not-json\.json: the file is not valid JSON/],
      ['update-broken', ['--update-baseline', '--reason', 'test', '--baseline', notJson], {}, /not-json\.json: the file is not valid JSON/],
      ['absent', ['--baseline', path.join(dir, 'absent.json')], {}, /no baseline for mode "normal" in .*absent\.json: write one with --update-baseline/],
      ['rows', ['--rows', '1000'], {}, /--rows \/ --parallel-rows change the scale, so the baseline does not apply: use them with --report-only/],
      ['rows-zero', ['--report-only', '--rows', '0'], {}, /--rows is "0": use a positive integer/],
      ['exclusive', ['--update-baseline', '--reason', 'x', '--report-only'], {}, /--update-baseline and --report-only exclude each other/],
      ['reason', ['--reason', 'why'], {}, /--reason goes with --update-baseline/],
      ['positional', ['quick'], {}, /Unexpected argument 'quick'/],
      ['inject', [], { GATE_INJECT_REGRESSION: 'slow' }, /GATE_INJECT_REGRESSION is "slow": use one of legacy-serializer, per-row-await/],
    ];
    const runs = await Promise.all(cases.map(([name, args, env]) => gate([...args, '--out', out(name)], env)));
    for (const [i, [name, , , message]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr, name).toMatch(message);
      expect(run.stderr, name).not.toContain('provision');
      expect(existsSync(out(name)), name).toBe(false);
    }
    expect(readFileSync(broken, 'utf8')).toBe(brokenText);
    expect(readFileSync(notJson, 'utf8')).toBe('{"schema": 1, "modes": {');
  });
});
