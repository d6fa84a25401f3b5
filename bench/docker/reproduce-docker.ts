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
import { SnapshotStore } from '@storage-builder/snapshot';
import { StorageUpdater, targetsOf } from '@storage-builder/updater';
import { loadInputs, parseCommandLine, runMain } from '../harness/command-lifecycle';
import { loadDataProfile, resourceProfilesOf, scaleDataProfile } from '../harness/load-profiles';
import { reportData } from '../harness/reproduce-report';
import { announceReports } from '../harness/report-files';
import { withReproduceSession } from '../harness/reproduce-session';
import { quietStoreLogger } from '../harness/source-preparation';
import { dockerCli } from './docker-cli';
import { checkDockerReady } from './docker-preflight';
import { deriveDockerMetrics, dockerClaims } from './docker-run-metrics';
import { writeDockerReports, type DockerReproduceReport } from './docker-report';
import { runDockerScenario, type DockerScenarioRun } from './docker-scenario';
import { parseDockerReproduceOptions, USAGE } from './reproduce-docker-options';
import { verifySnapshots } from './snapshot-verification';
import { CONTAINER_LABEL } from './worker-container-args';

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseCommandLine(parseDockerReproduceOptions, USAGE);
  if (!options) return;

  const inputs = loadInputs(() => ({
    data: scaleDataProfile(loadDataProfile(options.data), options.scale),
    profiles: resourceProfilesOf(options.scenarios),
  }));
  if (!inputs) return;
  const { data, profiles } = inputs;

  // Before any service starts: without Docker or the image nothing below can run.
  const docker = dockerCli();
  const ready = await checkDockerReady(docker, options.image);
  log(`Docker ${ready.serverVersion}, image ${options.image} (${ready.imageId})`);
  const runLabel = `run-${randomBytes(4).toString('hex')}`;
  const started = Date.now();

  const session = {
    label: 'reproduce-docker',
    data,
    scenarios: options.scenarios,
    churnRate: options.churn,
    // Ctrl-C or SIGTERM: this invocation's containers (by label), then the services.
    cleanUpWhat: "removing this run's containers and the services",
    cleanUpFirst: async () => {
      await docker(['ps', '--all', '--quiet', '--filter', `label=${CONTAINER_LABEL}=${runLabel}`])
        .then((listed) => (listed.stdout ? docker(['rm', '--force', ...listed.stdout.split('\n')]) : undefined))
        .catch(() => undefined);
    },
    log,
  };
  await withReproduceSession(session, async ({ services, pool, s3, source }) => {
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
      data: reportData(options, source),
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
    announceReports(claims, writeDockerReports(path.resolve(options.out), report), started, log);
    const failed = runs.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      log(`${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.scenario.id).join(', ')}`);
      process.exitCode = 1;
    }
  });
}

runMain('reproduce:docker', main);
