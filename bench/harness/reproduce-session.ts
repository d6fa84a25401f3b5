// What `npm run reproduce` and `npm run reproduce:docker` run their scenarios in: the
// services, a pool and an S3 client on them, and the source seeded, synced and churned. All of
// it is released when the work returns or throws, and on Ctrl-C or SIGTERM.
import { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { provisionServices, type ProviderName, type ServiceSet } from '@storage-builder/services';
import { createSourcePool, type DataProfile } from '@storage-builder/source-db';
import { cleanUpOnSignal } from './command-lifecycle';
import type { Scenario } from './scenarios';
import { prepareSource, type SourcePreparation } from './source-preparation';

export interface ReproduceSessionOptions {
  /** Names the services' databases and buckets. */
  readonly label: string;
  /** @defaultValue libs/services chooses: DATABASE_URL / S3_ENDPOINT, else Testcontainers, else embedded */
  readonly provider?: ProviderName;
  readonly data: DataProfile;
  readonly scenarios: readonly Scenario[];
  readonly churnRate: number;
  /** Said on Ctrl-C or SIGTERM: `<signal>: <what>…`. */
  readonly cleanUpWhat: string;
  /** Runs on Ctrl-C or SIGTERM before the pool and the services go, e.g. removing containers. */
  readonly cleanUpFirst?: () => Promise<void>;
  readonly log: (message: string) => void;
}

export interface ReproduceSession {
  readonly services: ServiceSet<{ label: string; redis: false }>;
  readonly pool: pg.Pool;
  readonly s3: S3Client;
  readonly source: SourcePreparation;
}

export async function withReproduceSession<T>(options: ReproduceSessionOptions, work: (session: ReproduceSession) => Promise<T>): Promise<T> {
  const { log } = options;
  log(`Provisioning services${options.provider ? ` (${options.provider})` : ''}…`);
  await using services = await provisionServices({ label: options.label, ...(options.provider ? { provider: options.provider } : {}), redis: false });
  for (const line of services.describe()) log(`  ${line}`);
  const pool = createSourcePool({ connectionString: services.postgres.url, max: 4 });
  const s3 = new S3Client(services.objectStore.clientConfig);
  const removeSignalHandlers = cleanUpOnSignal(options.cleanUpWhat, async () => {
    await options.cleanUpFirst?.();
    await pool.end().catch(() => undefined);
    await services.stop();
  });
  try {
    const source = await prepareSource({ pool, s3, bucket: services.objectStore.bucket, data: options.data, scenarios: options.scenarios, churnRate: options.churnRate, log });
    return await work({ services, pool, s3, source });
  } finally {
    removeSignalHandlers();
    s3.destroy();
    await pool.end();
  }
}
