// How far the gate's instruction counts move between unmodified runs. From the repository root:
//
//   npx tsx bench/gate/instruction-spread.ts [--runs 10] [--rows 10000]
//
// Each run is a full measurement (bench/gate/instruction-counts.ts: two Valgrind runs per hot
// path, about 25 s per path at 10,000 rows). Prints each run and, per path, the smallest,
// median and largest count per row and the spread (largest / smallest - 1).
import { parseArgs } from 'node:util';
import { INJECT_VARIABLE } from '../harness/regression-injection';
import { median } from '../harness/stats';
import { countHotPaths, HOT_PATHS, INSTRUCTION_ROWS, valgrindMissing, type HotPath } from './instruction-counts';

const HELP = `usage: npx tsx bench/gate/instruction-spread.ts [--runs 10] [--rows ${INSTRUCTION_ROWS}]`;

function positive(text: string, flag: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${flag} is ${JSON.stringify(text)}: use a positive integer\n${HELP}`);
    process.exit(2);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, rows: { type: 'string', default: String(INSTRUCTION_ROWS) }, help: { type: 'boolean', default: false } } }));
} catch (error) {
  console.error(`${(error as Error).message}\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (process.env[INJECT_VARIABLE]) {
  console.error(`${INJECT_VARIABLE} is set: this measures unmodified runs; unset it`);
  process.exit(2);
}
const missing = valgrindMissing();
if (missing) {
  console.error(missing);
  process.exit(2);
}
const runs = positive(values.runs, 'runs');
const rows = positive(values.rows, 'rows');
const samples: Record<HotPath, number[]> = { encode: [], decode: [] };
for (let run = 1; run <= runs; run++) {
  const perRow = await countHotPaths(rows);
  for (const path of Object.keys(HOT_PATHS) as HotPath[]) samples[path].push(perRow[path]);
  console.log(`run ${run}/${runs}: ${(Object.keys(HOT_PATHS) as HotPath[]).map((path) => `${path} ${perRow[path].toFixed(1)}`).join(', ')}`);
}
console.log(`\n| instructions per row (${runs} runs, ${rows} and ${2 * rows} rows) | smallest | median | largest | spread |\n|---|---|---|---|---|`);
for (const path of Object.keys(HOT_PATHS) as HotPath[]) {
  const all = samples[path];
  const low = Math.min(...all);
  const high = Math.max(...all);
  console.log(`| ${HOT_PATHS[path].replace('instructions per row: ', '')} | ${low.toFixed(1)} | ${median(all).toFixed(1)} | ${high.toFixed(1)} | ${(((high - low) / low) * 100).toFixed(3)}% |`);
}
