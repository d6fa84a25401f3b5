// Options of `npm run reproduce:docker`, defaults in one place, errors that name the option.
import { parseArgs } from 'node:util';
import { SCENARIOS, scenariosWithReferences, type Scenario } from '../harness/scenarios';
import { DEFAULT_CHURN_RATE } from '../harness/source-preparation';

export const DEFAULT_IMAGE = 'storage-builder-worker';
/** The legacy worker as deployed and as recommended, and the fixed worker as recommended. */
export const DEFAULT_SCENARIOS = ['none@recommended', 'all@recommended', 'none@incident'] as const;
export const DEFAULT_DEADLINE_SECONDS = 30;
export const DEFAULT_TIMEOUT_SECONDS = 900;
export const DEFAULT_STARTUP_TIMEOUT_SECONDS = 120;
export const DEFAULT_OUT = 'reports/reproduce-docker';

export interface DockerReproduceOptions {
  readonly image: string;
  readonly data: string;
  readonly scale: number;
  readonly churn: number;
  /** In the standard order, with the reference runs their projections need. */
  readonly scenarios: readonly Scenario[];
  readonly deadlineSeconds: number;
  readonly timeoutSeconds: number;
  readonly startupTimeoutSeconds: number;
  readonly out: string;
}

export const USAGE = `Usage: npm run reproduce:docker -- [options]

Runs reproduce scenarios in the worker image (npm run docker:build) under each resource
profile's Docker HostConfig limits, with the profile's busy neighbours as containers.

  --image NAME            worker image                                 default ${DEFAULT_IMAGE}
  --data NAME|FILE        data profile (load-profiles/data)            default scaled-incident
  --scale N               multiply the data profile's rows by N        default 1
  --churn FRACTION        changed share of rows before the runs        default ${DEFAULT_CHURN_RATE}
  --only IDS              comma-separated scenario ids (see below)     default ${DEFAULT_SCENARIOS.join(',')}
  --deadline SECONDS      stop a slow (incident) run after this, project the rest   default ${DEFAULT_DEADLINE_SECONDS}
  --timeout SECONDS       fail any other run after this                default ${DEFAULT_TIMEOUT_SECONDS}
  --startup-timeout SECONDS  until the worker answers /readyz         default ${DEFAULT_STARTUP_TIMEOUT_SECONDS}
  --out DIR               where report.json and report.md go           default ${DEFAULT_OUT}
  --help

Services: DATABASE_URL / S3_ENDPOINT from the environment, else Testcontainers, else embedded
(SERVICES_PROVIDER forces one). The worker container uses --network host, so it reaches them
at the same addresses as this process.
Scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`;

/** Undefined for --help. */
export function parseDockerReproduceOptions(argv: readonly string[]): DockerReproduceOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      image: { type: 'string', default: DEFAULT_IMAGE },
      data: { type: 'string', default: 'scaled-incident' },
      scale: { type: 'string', default: '1' },
      churn: { type: 'string', default: String(DEFAULT_CHURN_RATE) },
      only: { type: 'string', default: DEFAULT_SCENARIOS.join(',') },
      deadline: { type: 'string', default: String(DEFAULT_DEADLINE_SECONDS) },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_SECONDS) },
      'startup-timeout': { type: 'string', default: String(DEFAULT_STARTUP_TIMEOUT_SECONDS) },
      out: { type: 'string', default: DEFAULT_OUT },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const number = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} is ${JSON.stringify(text)}: use a number from ${min} to ${max}`);
    return value;
  };
  const ids = values.only.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new Error('--only is empty: name at least one scenario id from --help');
  return {
    image: values.image,
    data: values.data,
    scale: number('scale', values.scale, 0.001, 1000),
    churn: number('churn', values.churn, 0, 1),
    scenarios: scenariosWithReferences(ids),
    deadlineSeconds: number('deadline', values.deadline, 1, 3600),
    timeoutSeconds: number('timeout', values.timeout, 1, 24 * 3600),
    startupTimeoutSeconds: number('startup-timeout', values['startup-timeout'], 1, 3600),
    out: values.out,
  };
}
