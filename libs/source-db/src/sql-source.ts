import type pg from 'pg';

/**
 * Where the library runs its SQL: a pool (a connection is taken and given back per call)
 * or a connected client the caller owns (used as it is, never ended).
 */
export type SqlSource = pg.Pool | pg.ClientBase;

export interface Lease {
  readonly client: pg.ClientBase;
  /** True for a connection taken from a pool here, false for the caller's client. */
  readonly owned: boolean;
  /** Gives the connection back; `destroy` closes it, for a connection left mid-protocol. */
  release(destroy?: boolean): void;
}

function isPool(source: SqlSource): source is pg.Pool {
  return 'idleCount' in source && 'totalCount' in source;
}

export async function lease(source: SqlSource): Promise<Lease> {
  if (!isPool(source)) return { client: source, owned: false, release: () => undefined };
  const client = await source.connect();
  // A connection that dies while leased (pg_terminate_backend, a network cut) emits 'error',
  // which ends the process unless someone listens; the caller learns of it from its query.
  let broken = false;
  const onError = () => (broken = true);
  client.on('error', onError);
  let released = false;
  return {
    client,
    owned: true,
    release: (destroy = false) => {
      if (released) return;
      released = true;
      client.off('error', onError);
      client.release(destroy || broken);
    },
  };
}

export async function withConnection<T>(source: SqlSource, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const leased = await lease(source);
  try {
    return await work(leased.client);
  } finally {
    leased.release();
  }
}

/** Runs `work` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(client: pg.ClientBase, begin: string, work: () => Promise<T>): Promise<T> {
  await client.query(begin);
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
