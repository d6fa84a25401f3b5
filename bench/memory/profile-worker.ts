// Profiles one full sync of the real worker process and prints where the reports are.
//
//   npm run bench:profile             # = npm run build:worker && tsx bench/memory/profile-worker.ts
//   npx tsx bench/memory/profile-worker.ts [--rows 1000000] [--variant image|bundle|tsx[:node flags]]
//        [--out reports/profile] [--clinic doctor|flame]
//
// Scenario: a fresh database with one client holding --rows raw-data rows (+1,800 of the
// other kinds), the worker started as the image starts it (variant `image`, the default)
// with PARALLELISM 4 and INCREMENTAL=false, one UpdateAll through its HTTP API, SIGTERM.
// The worker runs under `node --cpu-prof --heap-prof`; both profiles are written when it
// exits, then summarized here (bundle frames are mapped back to their sources through the
// bundle's source map). Open a .cpuprofile in Chrome DevTools (Performance) or VS Code, a
// .heapprofile in DevTools (Memory).
//
// --clinic doctor|flame also runs the same scenario under Clinic.js (`npx --yes clinic@13.0.0`,
// NO_INSIGHT=1, --open=false; fetched from the npm registry on first use). Clinic.js has been
// unmaintained since 2023 and is inaccurate on newer Node versions: read it beside the
// --cpu-prof figures, not instead of them.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { provisionServices } from '@storage-builder/services';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { summarizeCpuProfile, summarizeHeapProfile } from './profile-summary';
import { measureFullSync } from './worker-session';
import { parseVariant, REPO_ROOT, variantArgs, variantEnv, workerEnv } from './worker-variant';

/** The last Clinic.js release. */
export const CLINIC_PACKAGE = 'clinic@13.0.0';
const CLINIC_TOOLS = ['doctor', 'flame'] as const;
const TRIGGER = fileURLToPath(new URL('./trigger-full-sync.ts', import.meta.url));

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    variant: { type: 'string', default: 'image' },
    out: { type: 'string', default: path.join(REPO_ROOT, 'reports', 'profile') },
    clinic: { type: 'string' },
  },
});
const rows = Number(values.rows.replace(/_/g, ''));
if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`--rows is ${JSON.stringify(values.rows)}: use a positive integer`);
const clinic = values.clinic;
if (clinic !== undefined && !(CLINIC_TOOLS as readonly string[]).includes(clinic)) throw new Error(`--clinic is ${JSON.stringify(clinic)}: use one of ${CLINIC_TOOLS.join(', ')}`);
const variant = parseVariant(values.variant);
const outDir = path.resolve(values.out, new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(outDir, { recursive: true });
const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} profile: ${message}\n`);

await using services = await provisionServices({ label: 'profile' });
for (const line of services.describe()) log(line);
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
try {
  await migrate(pool);
  const profile = parseDataProfile({ clients: 1, rows: { rawData: rows, entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 }, rawDataSkew: 1, textWidth: 24, seed: 1 }, 'profile scenario');
  log(`seeded ${rows} raw-data rows in ${((await seedDatabase(pool, profile)).elapsedMs / 1000).toFixed(1)} s`);
} finally {
  await pool.end();
}
const target = (prefix: string) => ({ databaseUrl: services.postgres.url, s3: services.objectStore.connection, bucket: services.objectStore.bucket, prefix });

const profilerArgs = ['--cpu-prof', '--cpu-prof-dir', outDir, '--heap-prof', '--heap-prof-dir', outDir];
const run = await measureFullSync(variant, workerEnv(target('profile-run'), 4), profilerArgs);
log(`${variant.name} under --cpu-prof --heap-prof: ${run.rows} rows in ${run.wallSeconds.toFixed(1)} s, ${run.syncCpuSeconds.toFixed(2)} CPU-s, peak RSS ${(run.peakRssKib / 1024).toFixed(1)} MiB (profilers included), exit ${run.exitCode}`);
const files = readdirSync(outDir).map((file) => path.join(outDir, file));
const cpuProfile = files.find((file) => file.endsWith('.cpuprofile'));
const heapProfile = files.find((file) => file.endsWith('.heapprofile'));
if (cpuProfile) console.log(`\n## ${cpuProfile}\n\n${summarizeCpuProfile(cpuProfile)}`);
if (heapProfile) console.log(`\n## ${heapProfile}\n\n${summarizeHeapProfile(heapProfile)}`);

let clinicReport: string | undefined;
if (clinic) {
  const clinicDir = path.join(outDir, `clinic-${clinic}`);
  mkdirSync(clinicDir, { recursive: true });
  const env = { ...workerEnv(target('profile-clinic'), 4), NO_INSIGHT: '1', CLINIC_TRIGGER_TOKEN: workerEnv(target('x'), 4)['CONTROL_TOKEN'] };
  // Clinic starts the worker, runs --on-port once it listens ($PORT is the worker's port),
  // then stops the worker and writes its report when that command exits.
  const onPort = `${process.execPath} --import tsx ${TRIGGER} $PORT`;
  const args = ['--yes', CLINIC_PACKAGE, clinic, '--open=false', '--dest', clinicDir, '--on-port', onPort, '--', process.execPath, ...variantArgs(variant)];
  log(`npx ${args.join(' ')}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', args, { env: variantEnv(variant, { ...env, PATH: process.env['PATH'] }), cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', resolve);
  });
  const written = readdirSync(clinicDir).filter((file) => file.endsWith('.html'));
  clinicReport = written.length > 0 ? written.map((file) => path.join(clinicDir, file)).join(', ') : `none (clinic exited with ${code})`;
}

console.log(`\nreports in ${outDir}:`);
console.log(`  CPU profile:  ${cpuProfile ?? 'not written'}`);
console.log(`  heap profile: ${heapProfile ?? 'not written'}`);
if (clinic) console.log(`  Clinic.js ${clinic}: ${clinicReport}`);
