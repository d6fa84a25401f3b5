import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResourceProfile, type ResourceProfile } from '@storage-builder/resources';
import { parseDataProfile, type DataProfile } from '@storage-builder/source-db';
import type { Scenario } from './scenarios';

export const PROFILES_DIR = fileURLToPath(new URL('../../load-profiles/', import.meta.url));

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`profile ${file} cannot be read: check the name (profiles are in ${PROFILES_DIR})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`profile ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A resource profile by name (load-profiles/resources/<name>.json) or path. */
export function loadResourceProfile(nameOrPath: string): ResourceProfile {
  const file = nameOrPath.endsWith('.json') ? path.resolve(nameOrPath) : path.join(PROFILES_DIR, 'resources', `${nameOrPath}.json`);
  return parseResourceProfile(readJson(file), path.basename(file));
}

/** The resource profiles the scenarios run under, by name. */
export function resourceProfilesOf(scenarios: readonly Scenario[]): Map<string, ResourceProfile> {
  return new Map(scenarios.map((s) => [s.profile, loadResourceProfile(s.profile)]));
}

/** A data profile by name (load-profiles/data/<name>.json) or path. */
export function loadDataProfile(nameOrPath: string): DataProfile {
  const file = nameOrPath.endsWith('.json') ? path.resolve(nameOrPath) : path.join(PROFILES_DIR, 'data', `${nameOrPath}.json`);
  return parseDataProfile(readJson(file), path.basename(file));
}

/** Multiplies every row count of a profile, for runs at another scale. */
export function scaleDataProfile(profile: DataProfile, factor: number): DataProfile {
  if (!(factor > 0)) throw new Error(`scale is ${factor}: use a positive number`);
  const rows = Object.fromEntries(Object.entries(profile.rows).map(([k, v]) => [k, Math.max(0, Math.round(v * factor))])) as unknown as DataProfile['rows'];
  return parseDataProfile({ ...profile, rows });
}
