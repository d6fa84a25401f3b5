// The committed baseline file (bench/baselines/gate-baseline.json): one ModeBaseline per
// gate mode (normal, quick), and the record of every update: why, when, at which commit.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModeBaseline } from './metrics';

export const DEFAULT_BASELINE_PATH = fileURLToPath(new URL('../baselines/gate-baseline.json', import.meta.url));

export interface BaselineUpdate {
  mode: string;
  reason: string;
  date: string;
  commit: string;
  /** `git status --porcelain` was not empty: the measured tree had uncommitted changes. */
  dirty: boolean;
  node: string;
}

export interface BaselineFile {
  $comment: string;
  schema: 1;
  modes: Record<string, ModeBaseline>;
  /** Newest last. */
  updates: BaselineUpdate[];
}

const COMMENT =
  'Written by `npm run gate:update-baseline -- --reason "..."` (bench/gate/gate.ts). Counters: value ± tolerance ' +
  '(max of absolute and relative × value; "upper" fails only above). Ratios: smaller is better, fail above threshold ' +
  '(= min(max(measured × headroom, measured + minMargin), cap) when written). Edit tolerances/headrooms by hand only in a reviewed change.';

export function readBaselineFile(path: string): BaselineFile | undefined {
  if (!existsSync(path)) return undefined;
  return parseBaselineFile(readFileSync(path, 'utf8'), path);
}

const FIX = 'restore it from git, or write it again with --update-baseline --reason "..."';

/**
 * Checks what judging reads, since the file is edited by hand: a ratio without a numeric
 * threshold would pass every run, and a counter without a tolerance would fail only after
 * minutes of measuring. Errors name the file, the field and the fix.
 */
export function parseBaselineFile(text: string, source: string): BaselineFile {
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: ${field} ${why}: ${FIX}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('the file', `is not valid JSON (${(error as Error).message})`);
  }
  const file = record(value, 'the file', fail);
  if (file['schema'] !== 1) fail('schema', `is ${JSON.stringify(file['schema'])}, not 1 (this is not a gate baseline file this gate reads)`);
  const modes = record(file['modes'], 'modes', fail);
  for (const [mode, raw] of Object.entries(modes)) {
    const at = `modes.${mode}`;
    const baseline = record(raw, at, fail);
    for (const [key, scale] of Object.entries(record(baseline['scale'], `${at}.scale`, fail))) number(scale, `${at}.scale.${key}`, fail);
    for (const [name, rawEntry] of Object.entries(record(baseline['counters'], `${at}.counters`, fail))) {
      const field = `${at}.counters[${JSON.stringify(name)}]`;
      const entry = record(rawEntry, field, fail);
      number(entry['value'], `${field}.value`, fail);
      if (entry['direction'] !== 'upper' && entry['direction'] !== 'band') fail(`${field}.direction`, `is ${JSON.stringify(entry['direction'])}, not "upper" or "band"`);
      const tolerance = record(entry['tolerance'], `${field}.tolerance`, fail);
      for (const key of ['relative', 'absolute']) nonNegative(tolerance[key], `${field}.tolerance.${key}`, fail);
      if (entry['platform'] !== undefined && typeof entry['platform'] !== 'string') fail(`${field}.platform`, `is ${JSON.stringify(entry['platform'])}, not a string`);
    }
    for (const [name, rawEntry] of Object.entries(record(baseline['ratios'], `${at}.ratios`, fail))) {
      const field = `${at}.ratios[${JSON.stringify(name)}]`;
      const entry = record(rawEntry, field, fail);
      for (const key of ['measured', 'threshold', 'headroom', 'minMargin']) nonNegative(entry[key], `${field}.${key}`, fail);
      if (entry['cap'] !== undefined) nonNegative(entry['cap'], `${field}.cap`, fail);
    }
  }
  if (!Array.isArray(file['updates'] ?? [])) fail('updates', 'is not an array');
  return value as BaselineFile;
}

type Fail = (field: string, why: string) => never;

function record(value: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return fail(field, `is ${JSON.stringify(value) ?? 'missing'}, not an object`);
}

function number(value: unknown, field: string, fail: Fail): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `is ${JSON.stringify(value) ?? 'missing'}, not a number`);
}

function nonNegative(value: unknown, field: string, fail: Fail): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(field, `is ${JSON.stringify(value) ?? 'missing'}, not a number >= 0`);
}

export function gitFacts(cwd: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown (not a git checkout)', dirty: false };
  }
}

export function writeBaseline(path: string, mode: string, baseline: ModeBaseline, reason: string, cwd: string): BaselineUpdate {
  const previous = readBaselineFile(path);
  const git = gitFacts(cwd);
  const update: BaselineUpdate = { mode, reason, date: new Date().toISOString(), commit: git.commit, dirty: git.dirty, node: process.version };
  const file: BaselineFile = {
    $comment: COMMENT,
    schema: 1,
    modes: { ...previous?.modes, [mode]: baseline },
    updates: [...(previous?.updates ?? []), update],
  };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return update;
}
