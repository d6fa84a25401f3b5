import { spawn, type ChildProcess } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { S3FaultProxy, type S3Request } from '@storage-builder/services/testing';
import { readManifest, SnapshotStore } from '@storage-builder/snapshot';
import { applyChurn } from '@storage-builder/source-db';
import { StorageUpdater, targetsOf } from '@storage-builder/updater';
import { workerFixture, type WorkerFixture } from '../testing/worker-fixture';
import { baseEnv, CLI } from '../testing/worker-process';

// Two writers of one target, interleaved on purpose: the fault proxy holds a writer's
// request at a known step, and SIGSTOP pauses a whole CLI process as a starved task would
// be paused. Each case runs on a store without conditional writes (s3rver) and on one that
// enforces them like AWS (the proxy enforcing If-Match / If-None-Match).

const TARGET: Target = { clientId: 1, kind: 'raw-data' };
const CLIENT_ONE = targetsOf([1]);

let fixture: WorkerFixture;
const proxies: S3FaultProxy[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  fixture = await workerFixture('worker-several-writers');
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await fixture?.[Symbol.asyncDispose]();
});

interface CliRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; output: string }>;
}

/** `cli.ts <args>` against the store behind `proxy`, output collected. */
function startCli(proxy: S3FaultProxy, prefix: string, args: string[], extra: NodeJS.ProcessEnv = {}): CliRun {
  const env = { ...baseEnv(), ...fixture.env({ S3_ENDPOINT: proxy.url, S3_PREFIX: prefix, PARALLELISM: '1', COMPRESSION: 'none', ...extra }) };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.once('close', (code) => resolve({ code, output })));
  return { child, done };
}

function storeBehind(proxy: S3FaultProxy, prefix: string) {
  const s3 = new S3Client({ ...fixture.services.objectStore.clientConfig, endpoint: proxy.url });
  return { s3, store: new SnapshotStore({ s3, bucket: fixture.services.objectStore.bucket, prefix, partSize: 5 * 1024 * 1024 }) };
}

const dataObjectOf = (prefix: string) => (r: S3Request) => r.key.startsWith(`${prefix}/${targetId(TARGET)}/g`) && r.key.endsWith('.snap') && r.method !== 'GET' && r.method !== 'HEAD';
const manifestPutOf = (prefix: string) => (r: S3Request) => r.key === `${prefix}/${targetId(TARGET)}/manifest.json` && r.operation === 'PutObject';
const leaseKey = (store: SnapshotStore, target: Target) => `${store.location}/${targetId(target)}`;
const leaseToken = async (store: SnapshotStore, target: Target) =>
  Number((await fixture.pool.query<{ token: string }>('SELECT token FROM target_leases WHERE target_key = $1', [leaseKey(store, target)])).rows[0]?.token ?? 0);

async function expectClientOneMatchesDatabase(store: SnapshotStore) {
  for (const target of CLIENT_ONE) {
    const state = await fixture.targetState(store.options.prefix, target);
    expect(state.state, targetId(target)).toBe('committed');
    if (state.state === 'committed') expect(state.rows, targetId(target)).toEqual(await fixture.databaseRows(target));
  }
  // The manifests name objects that exist, with their recorded sizes and checksums.
  const updater = new StorageUpdater({ source: fixture.pool, store });
  expect(await updater.verify({ clientId: 1, heal: false })).toMatchObject({ ok: 5, broken: 0 });
}

describe.each([
  ['s3rver, no conditional writes', false],
  ['a store that enforces conditional writes', true],
] as const)('several writers of one target on %s', (_name, enforceConditionalWrites) => {
  let proxy: S3FaultProxy;
  beforeAll(async () => {
    proxy = await S3FaultProxy.start(fixture.services.objectStore.connection.endpoint, { enforceConditionalWrites });
    proxies.push(proxy);
  });

  it('a full writer skips the target an incremental writer holds at its manifest commit, names the holder, and --wait waits for it', async () => {
    const prefix = `held-${enforceConditionalWrites}`;
    const { s3, store } = storeBehind(proxy, prefix);
    try {
      expect((await store.conditionalWrites()).ifMatch).toBe(enforceConditionalWrites);
      await new StorageUpdater({ source: fixture.pool, store }).update(1);
      await applyChurn(fixture.pool, { rate: 0.02, seed: 41, clientIds: [1], outOfOrder: true });

      // The incremental writer, stopped with its delta uploaded and its manifest PUT in flight.
      const held = proxy.inject({ matches: manifestPutOf(prefix), fault: { kind: 'hold' }, times: 1 });
      const incremental = startCli(proxy, prefix, ['update', '--client', '1']);
      await held.reached;

      // An operator's full rebuild at the same time: the held target is skipped, with who holds it.
      const full = await startCli(proxy, prefix, ['update', '--client', '1'], { INCREMENTAL: 'false' }).done;
      expect(full.code).toBe(1);
      expect(full.output).toMatch(new RegExp(`${targetId(TARGET)} skipped: held by \\S+ run [0-9a-f-]{36} \\(lease until `));
      expect(full.output).toMatch(/4 full, 0 incremental, 0 failed, 0 aborted, 1 skipped/);

      // Asked to wait, it runs the target once the incremental writer has committed.
      const waiting = startCli(proxy, prefix, ['update', '--client', '1', '--wait'], { INCREMENTAL: 'false' });
      held.release();
      held.remove();
      expect((await incremental.done).code).toBe(0);
      const waited = await waiting.done;
      expect(waited.code, waited.output).toBe(0);
      expect(waited.output).toMatch(/5 full, 0 incremental, 0 failed, 0 aborted, 0 skipped/);
      await expectClientOneMatchesDatabase(store);

      // The operator's check: every object each manifest names is there.
      await store.deleteQuietly(TARGET, [(await readManifest(store, TARGET))!.manifest.base.key]);
      const broken = await startCli(proxy, prefix, ['verify', '--client', '1', '--no-heal']).done;
      expect(broken.code).toBe(1);
      expect(broken.output).toMatch(new RegExp(`${targetId(TARGET)} broken: manifest names \\S+, which does not exist\\nverified 5 targets in [\\d.]+s: 4 ok, 0 healed, 1 broken`));
      const healed = await startCli(proxy, prefix, ['verify', '--client', '1']).done;
      expect(healed.code, healed.output).toBe(0);
      expect(healed.output).toMatch(/verified 5 targets in [\d.]+s: 4 ok, 1 healed, 0 broken/);
      await expectClientOneMatchesDatabase(store);
    } finally {
      s3.destroy();
    }
  });

  it('a writer paused past its lease can never commit: the next writer takes the target over and the paused one is fenced off', async () => {
    const prefix = `paused-${enforceConditionalWrites}`;
    const { s3, store } = storeBehind(proxy, prefix);
    try {
      await new StorageUpdater({ source: fixture.pool, store }).update(1);
      await applyChurn(fixture.pool, { rate: 0.02, seed: 42, clientIds: [1], outOfOrder: true });

      // The writer reaches its data upload, then its whole process is paused.
      const held = proxy.inject({ matches: dataObjectOf(prefix), fault: { kind: 'hold' }, times: 1 });
      const paused = startCli(proxy, prefix, ['update', '--client', '1'], { LEASE_TTL_SECONDS: '1' });
      await held.reached;
      const pausedToken = await leaseToken(store, TARGET);
      paused.child.kill('SIGSTOP');
      held.release();
      held.remove();
      // Its renewals stopped with it: the lease lapses.
      await expect.poll(async () => (await fixture.pool.query('SELECT count(*)::int AS n FROM target_leases WHERE target_key = $1 AND expires_at > now()', [leaseKey(store, TARGET)])).rows[0].n, { timeout: 10_000 }).toBe(0);

      await applyChurn(fixture.pool, { rate: 0.02, seed: 43, clientIds: [1] });
      const next = await new StorageUpdater({ source: fixture.pool, store, incremental: false }).update(1);
      expect(next).toMatchObject({ failed: 0, skipped: 0, completed: { full: 5 } });
      const committed = (await readManifest(store, TARGET))!.manifest;
      expect(committed.fence).toBeGreaterThan(pausedToken);

      // Resumed, the paused writer finds its lease taken over and commits nothing.
      paused.child.kill('SIGCONT');
      const resumed = await paused.done;
      expect(resumed.code).toBe(1);
      expect(resumed.output).toMatch(new RegExp(`${targetId(TARGET)} skipped: lease lost: .*taken over`));
      expect((await readManifest(store, TARGET))!.manifest).toEqual(committed);
      await expectClientOneMatchesDatabase(store);
      // Its data object can never be committed; the next base removes it (an older token).
      const rerun = await new StorageUpdater({ source: fixture.pool, store, incremental: false }).runTargets([TARGET]);
      expect(rerun.failed).toBe(0);
      const manifest = (await readManifest(store, TARGET))!.manifest;
      expect(await fixture.objectKeys(`${prefix}/${targetId(TARGET)}/`)).toEqual([manifest.base.key, `${prefix}/${targetId(TARGET)}/manifest.json`].sort());
    } finally {
      s3.destroy();
    }
  });
});
