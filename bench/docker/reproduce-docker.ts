// The reproduce flow with the worker image: the same data and scenarios as `npm run reproduce`,
// but each UpdateAll runs in the worker container under the resource profile's Docker
// HostConfig limits (as ECS on EC2 sets them), driven through the worker's control API.
// Writes report.json and report.md. Needs a Docker engine and the image.
//
//   npm run docker:build && npm run reproduce:docker
//   npm run reproduce:docker -- --help
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { ResourceProfile } from '@storage-builder/resources';
import { provisionServices } from '@storage-builder/services';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater, targetsOf } from '@storage-builder/updater';
import { cleanUpOnSignal, loadInputs, parseCommandLine, runMain } from '../reproduce/command-lifecycle';
import { loadDataProfile, loadResourceProfile, scaleDataProfile } from '../reproduce/load-profiles';
import { claimsTable } from '../reproduce/report';
import { prepareSource } from '../reproduce/source-preparation';
import { dockerCli } from './docker-cli';
import { checkDockerReady } from './docker-preflight';
import { deriveDockerMetrics, dockerClaims } from './docker-run-metrics';
import { writeDockerReports, type DockerReproduceReport } from './docker-report';
import { runDockerScenario, type DockerScenarioRun } from './docker-scenario';
import { parseDockerReproduceOptions, USAGE } from './reproduce-docker-options';
import { verifySnapshots } from './snapshot-verification';
import { CONTAINER_LABEL } from './worker-container-args';

const log = (message: string) => process.stderr.write(`${message}\n`);
/** The store's warning that s3rver does not enforce conditional writes would repeat per target. */
const quietStoreLogger = { warn: () => undefined };

async function main(): Promise<void> {
  const options = parseCommandLine(parseDockerReproduceOptions, USAGE);
  if (!options) return;

  const inputs = loadInputs(() => ({
    data: scaleDataProfile(loadDataProfile(options.data), options.scale),
    profiles: new Map<string, ResourceProfile>(options.scenarios.map((s) => [s.profile, loadResourceProfile(s.profile)])),
  }));
  if (!inputs) return;
  const { data, profiles } = inputs;

  // Before any service starts: without Docker or the image nothing below can run.
  const docker = dockerCli();
  const ready = await checkDockerReady(docker, options.image);
  log(`Docker ${ready.serverVersion}, image ${options.image} (${ready.imageId})`);
  const runLabel = `run-${randomBytes(4).toString('hex')}`;
  const started = Date.now();

  log('Provisioning services…');
  await using services = await provisionServices({ label: 'reproduce-docker', redis: false });
  for (const line of services.describe()) log(`  ${line}`);
  const pool = createSourcePool({ connectionString: services.postgres.url, max: 4 });
  const s3 = new S3Client(services.objectStore.clientConfig);
  // Ctrl-C or SIGTERM: this invocation's containers (by label), then the services.
  const removeSignalHandlers = cleanUpOnSignal("removing this run's containers and the services", async () => {
    await docker(['ps', '--all', '--quiet', '--filter', `label=${CONTAINER_LABEL}=${runLabel}`])
      .then((listed) => (listed.stdout ? docker(['rm', '--force', ...listed.stdout.split('\n')]) : undefined))
      .catch(() => undefined);
    await pool.end().catch(() => undefined);
    await services.stop();
  });
  try {
    const source = await prepareSource({ pool, s3, bucket: services.objectStore.bucket, data, scenarios: options.scenarios, churnRate: options.churn, log });
    const targets = targetsOf(await new StorageUpdater({ source: pool, store: new SnapshotStore({ s3, bucket: services.objectStore.bucket }) }).clientIds());
    const { connection, bucket } = services.objectStore;

    const runs: DockerScenarioRun[] = [];
    for (const [i, scenario] of options.scenarios.entries()) {
      const label = `[${i + 1}/${options.scenarios.length}] ${scenario.title}`;
      log(`${label}…`);
      const run = await runDockerScenario(scenario, {
        docker,
        image: options.image,
        runLabel,
        services: {
          databaseUrl: services.postgres.url,
          s3: { endpoint: connection.endpoint, region: connection.region, bucket, accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
        },
        deadlineSeconds: options.deadlineSeconds,
        timeoutSeconds: options.timeoutSeconds,
        startupTimeoutSeconds: options.startupTimeoutSeconds,
        verify: (prefix) => verifySnapshots(pool, new SnapshotStore({ s3, bucket, prefix, logger: quietStoreLogger }), targets),
        log,
      });
      runs.push(run);
      const how =
        run.status === 'finished' ? `${run.run!.durationSeconds.toFixed(2)} s, snapshots equal the database` : run.status === 'deadline' ? `stopped after ${run.wallSeconds?.toFixed(1)} s (${run.progress?.done}/${run.progress?.total} targets)` : `FAILED: ${run.error}`;
      log(`${label}: ${how}, CPU ${run.usage?.cpuSeconds?.toFixed(2) ?? '–'} s`);
    }

    const metrics = deriveDockerMetrics(runs, profiles);
    const claims = dockerClaims(metrics);
    const report: DockerReproduceReport = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: availableParallelism(), node: process.version, dockerServer: ready.serverVersion, image: options.image, imageId: ready.imageId, services: services.describe() },
      data: { profile: options.data + (options.scale !== 1 ? ` × ${options.scale}` : ''), rows: source.rows, targets: source.targets, seedSeconds: source.seedSeconds, churnRate: options.churn },
      deadlineSeconds: options.deadlineSeconds,
      claims,
      runs: metrics,
      notes: [
        'Each run is the worker image started with docker run and the profile\'s HostConfig flags (dockerRunFlags), --network host; the profile\'s neighbours are busy containers with their CPU shares, started once the worker is ready.',
        'CPU, throttling, heap limit and GC are the worker\'s own /metrics read before and after the run; job time is the worker\'s UpdateAll duration. Start-up runs under the limits too.',
        'The database and the object store run outside the containers, on this host; the neighbours compete with them too, unlike a remote RDS and S3.',
        'Starting points of incremental scenarios are synced in-process before the churn, as in npm run reproduce.',
        'Figures are from one run on a shared machine; compare ratios within the report, not across machines.',
      ],
    };
    const files = writeDockerReports(path.resolve(options.out), report);
    process.stdout.write(`\n${claimsTable(claims)}\n\n`);
    log(`Reports: ${files.join(', ')}`);
    log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const failed = runs.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      log(`${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.scenario.id).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    removeSignalHandlers();
    s3.destroy();
    await pool.end();
  }
}

runMain('reproduce:docker', main);
