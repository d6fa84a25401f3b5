import pg from 'pg';
import { targetId, type Target } from '@storage-builder/data-model';
import { decodeTrackedVersion, encodeTrackedVersion } from './tracked-version-codec';
import type { TrackedVersion, TrackerLookup, VersionTracker } from './version-tracker';

export interface PostgresVersionTrackerOptions {
  /** A connection string, or a pool the caller owns (it is then not ended by `stop()`). */
  database: string | pg.Pool;
  /**
   * The state table; created on first use.
   * @defaultValue {@link DEFAULT_VERSION_TABLE}
   */
  table?: string;
}

export const DEFAULT_VERSION_TABLE = 'storage_builder_versions';

/** Versions in a PostgreSQL table, for deployments that have no Redis. */
export class PostgresVersionTracker implements VersionTracker {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly table: string;
  private ready: Promise<void> | undefined;

  constructor(options: PostgresVersionTrackerOptions) {
    const table = options.table ?? DEFAULT_VERSION_TABLE;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`table is ${JSON.stringify(table)}: use a plain lower-case SQL identifier`);
    this.table = table;
    this.ownsPool = typeof options.database === 'string';
    this.pool = typeof options.database === 'string' ? new pg.Pool({ connectionString: options.database, max: 2 }) : options.database;
  }

  async check(): Promise<void> {
    try {
      await this.ensureTable();
    } catch (error) {
      throw new Error(`the PostgreSQL version tracker cannot use table ${this.table}: ${(error as Error).message}`);
    }
  }

  async get(target: Target): Promise<TrackerLookup> {
    await this.ensureTable();
    const { rows } = await this.pool.query<{ value: string }>(`SELECT value FROM ${this.table} WHERE target_id = $1`, [targetId(target)]);
    return decodeTrackedVersion(rows[0]?.value);
  }

  async save(target: Target, version: TrackedVersion): Promise<void> {
    await this.ensureTable();
    await this.pool.query(
      `INSERT INTO ${this.table} (target_id, value) VALUES ($1, $2)
       ON CONFLICT (target_id) DO UPDATE SET value = EXCLUDED.value`,
      [targetId(target), encodeTrackedVersion(version)],
    );
  }

  async clear(target: Target): Promise<void> {
    await this.ensureTable();
    await this.pool.query(`DELETE FROM ${this.table} WHERE target_id = $1`, [targetId(target)]);
  }

  async stop(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }

  private ensureTable(): Promise<void> {
    // The value is the same JSON the Redis tracker stores, so a corrupt row is reported, not thrown.
    this.ready ??= this.pool
      .query(`CREATE TABLE IF NOT EXISTS ${this.table} (target_id text PRIMARY KEY, value text NOT NULL)`)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }
}
