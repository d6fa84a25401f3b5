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
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as BaselineFile;
  if (parsed.schema !== 1 || typeof parsed.modes !== 'object') throw new Error(`${path} is not a gate baseline file (schema 1)`);
  return parsed;
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
