// The main job: reproduces the Storage Builder incident under ECS-faithful CPU and memory
// limits and measures every fix the write-up proposed, then writes report.json, report.md
// and report.html.
//
//   npm run reproduce                       # embedded services, scaled data, < 10 min
//   npm run reproduce -- --help             # every option
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { detectCgroups } from '@storage-builder/resources';
import { provisionPostgres, type ProviderName } from '@storage-builder/services';
import { migrate, seedDatabase, type DataProfile } from '@storage-builder/source-db';
import { loadInputs, parseCommandLine, runMain } from '../harness/command-lifecycle';
import { loadDataProfile, resourceProfilesOf, scaleDataProfile } from '../harness/load-profiles';
import { profileTotals } from '../harness/profile-totals';
import { reportData } from '../harness/reproduce-report';
import { announceReports } from '../harness/report-files';
import { withReproduceSession } from '../harness/reproduce-session';
import { SCENARIOS, scenariosWithReferences, type Scenario } from '../harness/scenarios';
import { DEFAULT_CHURN_RATE } from '../harness/source-preparation';
import { checkClaims } from './claims';
import { fitCostModel, PRICE_PER_GB_HOUR, PRICE_PER_VCPU_HOUR, projectAll, projectSeconds } from './projection';
import { writeReports, type ReproduceReport } from './report';
import { deriveMetrics } from './run-metrics';
import { runScenario, type ScenarioRun, type ScenarioSettings } from './run-scenario';

const USAGE = `Usage: npm run reproduce -- [options]

  --data NAME|FILE        data profile (load-profiles/data)            default scaled-incident
  --scale N               multiply the data profile's rows by N        default 1
  --production NAME|FILE  data profile to project to                   default production
  --deadline SECONDS      stop a slow run after this, project the rest default 30
  --churn FRACTION        changed share of rows before the runs        default ${DEFAULT_CHURN_RATE}
  --only IDS              comma-separated scenario ids (see below)     default all
  --check-projection N    also measure the legacy run at N x the data and compare with its projection
  --out DIR               where the reports go                         default reports/reproduce
  --unconstrained         run without cgroups (no limits, no neighbours)
  --verbose               show what the worker processes print
  --help

Services: embedded PostgreSQL and s3rver unless SERVICES_PROVIDER=environment (DATABASE_URL, S3_ENDPOINT).
Exit status: 0 done; 1 a run or the harness failed; 2 a bad flag or profile (nothing started).
Scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`;

interface Options {
  data: string;
  scale: number;
  production: string;
  deadlineSeconds: number;
  churn: number;
  /** The scenarios to run: those of --only with their references, or all. */
  scenarios: Scenario[];
  checkProjection: number;
  out: string;
  unconstrained: boolean;
  verbose: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: 'scaled-incident' },
      scale: { type: 'string', default: '1' },
      production: { type: 'string', default: 'production' },
      deadline: { type: 'string', default: '30' },
      churn: { type: 'string', default: String(DEFAULT_CHURN_RATE) },
      only: { type: 'string' },
      'check-projection': { type: 'string', default: '0' },
      out: { type: 'string', default: 'reports/reproduce' },
      unconstrained: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const number = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} is ${JSON.stringify(text)}: use a number from ${min} to ${max}`);
    return value;
  };
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    data: values.data,
    scale: number('scale', values.scale, 0.001, 1000),
    production: values.production,
    deadlineSeconds: number('deadline', values.deadline, 1, 3600),
    churn: number('churn', values.churn, 0, 1),
    scenarios: only ? scenariosWithReferences(only) : [...SCENARIOS],
    checkProjection: number('check-projection', values['check-projection'], 0, 100),
    out: values.out,
    unconstrained: values.unconstrained,
    verbose: values.verbose,
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseCommandLine(parseOptions, USAGE);
  if (!options) return;

  const selected = options.scenarios;
  const inputs = loadInputs(() => ({
    data: scaleDataProfile(loadDataProfile(options.data), options.scale),
    production: loadDataProfile(options.production),
    resourceProfiles: resourceProfilesOf(selected),
  }));
  if (!inputs) return;
  const { data, production, resourceProfiles } = inputs;
  const cgroups = detectCgroups();
  if (!options.unconstrained && !cgroups.ok) throw new Error(`resource limits cannot be enforced here: ${cgroups.reason}. Run as root on Linux, or pass --unconstrained.`);
  const provider = (process.env['SERVICES_PROVIDER'] as ProviderName | undefined) ?? 'embedded';

  const started = Date.now();
  // Ctrl-C or SIGTERM: the sandbox removes its groups and processes; the session removes the services.
  const session = { label: 'reproduce', provider, data, scenarios: selected, churnRate: options.churn, cleanUpWhat: 'stopping and removing the services', log };
  await withReproduceSession(session, async ({ services, source }) => {
    const settings: ScenarioSettings = {
      postgres: services.postgres,
      objectStore: services.objectStore,
      deadlineSeconds: options.deadlineSeconds,
      mode: options.unconstrained ? 'unconstrained' : 'enforce',
      verbose: options.verbose,
    };
    const runs: ScenarioRun[] = [];
    for (const [i, scenario] of selected.entries()) {
      const label = `[${String(i + 1).padStart(2)}/${selected.length}] ${scenario.title}`;
      log(`${label}…`);
      const run = await runScenario(scenario, settings);
      runs.push(run);
      const how = run.status === 'finished' ? `${run.child!.runWallSeconds.toFixed(2)} s` : run.status === 'deadline' ? `stopped after ${run.sandbox.wallSeconds.toFixed(1)} s` : `FAILED: ${run.error}`;
      log(`${label}: ${how}, CPU ${run.sandbox.cpuSeconds.toFixed(2)} s, CPUUtilization ${run.sandbox.cpuUtilizationPercent?.toFixed(0) ?? '–'}%`);
    }

    const metrics = deriveMetrics(runs);
    const claims = checkClaims(metrics);
    const projectionRows = projectAll({ runs, metrics, measuredProfile: data, target: production, resourceProfiles });
    const productionTotals = profileTotals(production);
    let projectionCheck: ReproduceReport['projectionCheck'];
    if (options.checkProjection > 0) projectionCheck = await checkProjection(options.checkProjection, data, runs, settings, provider);

    const report: ReproduceReport = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        node: process.version,
        cgroups: options.unconstrained ? 'unconstrained' : cgroups.ok ? `cgroup v${cgroups.hierarchy.version}` : 'none',
        services: services.describe(),
      },
      data: reportData(options, source),
      deadlineSeconds: options.deadlineSeconds,
      claims,
      runs: metrics,
      projection: {
        target: `${options.production} (${productionTotals.targets} targets, ${productionTotals.rows.toLocaleString('en')} rows, largest target ${productionTotals.largestTarget.toLocaleString('en')} rows)`,
        assumptions: [
          'Per-row and per-target costs are fitted (least squares) to the per-target durations of each switch set\'s recommended run here; overlap of parallel targets as measured; never faster than the largest target alone.',
          'Other profiles scale that by the ratio of their job time to the recommended one, measured on the same data here (contention from 2 neighbours on this machine).',
          'Incremental runs read the share of rows they read here; production churn may differ.',
          `Cost: Fargate-equivalent prices, $${PRICE_PER_VCPU_HOUR}/vCPU-hour and $${PRICE_PER_GB_HOUR}/GB-hour, for the reserved units and the hard (else reserved) memory.`,
          "The write-up's baseline for a healthy UpdateAll is ~90 minutes; its incident run took 150+ hours.",
        ],
        rows: projectionRows,
      },
      projectionCheck,
      notes: [
        'The source database and the object store run on this machine outside the sandbox; the neighbours compete with them too, unlike a remote RDS and S3.',
        'Start-up (module loading, connections) runs before the CPU limits apply; job figures cover the UpdateAll only. Memory limits apply from the start.',
        'Figures are from one run on a shared machine; compare ratios within the report, not across machines.',
        'The embedded object store (s3rver) does not enforce conditional writes; manifests are committed by read-check-write, safe with one writer per target.',
      ],
    };
    announceReports(claims, writeReports(path.resolve(options.out), report), started, log);
  });
}

/** Measures the legacy run at a larger scale in a database of its own and compares it with its projection. */
async function checkProjection(factor: number, data: DataProfile, runs: readonly ScenarioRun[], settings: ScenarioSettings, provider: ProviderName) {
  const reference = runs.find((r) => r.scenario.id === 'none@recommended');
  const model = reference ? fitCostModel(reference) : undefined;
  if (!reference || !model) throw new Error('--check-projection needs the none@recommended run to finish');
  const larger = scaleDataProfile(data, factor);
  log(`Checking the projection: seeding ${factor}x the data in a database of its own…`);
  await using postgres = await provisionPostgres({ label: 'reproduce-check', provider });
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  try {
    await migrate(pool);
    await seedDatabase(pool, larger);
  } finally {
    await pool.end();
  }
  const scenario = { ...reference.scenario, id: `check-${factor}x`, title: `legacy worker @ recommended, ${factor}x data` };
  const run = await runScenario(scenario, { ...settings, postgres });
  if (run.status !== 'finished' || !run.child) throw new Error(`the projection check run did not finish: ${run.error ?? run.status}`);
  const projectedSeconds = projectSeconds(model, profileTotals(larger));
  log(`  projected ${projectedSeconds.toFixed(1)} s, measured ${run.child.runWallSeconds.toFixed(1)} s`);
  return { scale: factor, scenario: scenario.title, projectedSeconds, measuredSeconds: run.child.runWallSeconds };
}

runMain('reproduce', main);
