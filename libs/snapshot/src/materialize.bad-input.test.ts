import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseWatermark, type Target } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { readManifest } from './manifest-store';
import { materializeTarget } from './materialize';
import { SnapshotFormatError } from './snapshot-format-error';
import { SnapshotPublisher } from './snapshot-publisher';
import { generateRows, inBatches } from './testing/generate-rows';
import { snapshotTestStore } from './testing/object-store';

const target: Target = { clientId: 5, kind: 'raw-data' };
const wm = (n: number) => parseWatermark(String(n));

type Corruption = (bytes: Buffer) => Buffer;
const corruptions: Array<[string, Corruption, string]> = [
  ['an empty object', () => Buffer.alloc(0), 'truncated'],
  ['a foreign file', () => Buffer.from('id,name\n1,x\n'), 'bad-magic'],
  ['a truncated file', (bytes) => bytes.subarray(0, bytes.length - 7), 'truncated'],
  ['a flipped byte', (bytes) => Buffer.from(bytes.map((b, i) => (i === bytes.length - 20 ? b ^ 0x10 : b))), 'checksum-mismatch'],
  ['bytes after the trailer', (bytes) => Buffer.concat([bytes, Buffer.from([0])]), 'trailing-data'],
];

// A committed snapshot object damaged in the bucket: reading the target fails with the format
// error, the object's key and the fix, and reading writes nothing.
describe('materializeTarget on a corrupt snapshot object', () => {
  it.each(corruptions)('names the object holding %s', async (_case, corrupt, code) => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store, compression: 'none' });
    await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: inBatches(generateRows({ count: 50 }), [50]) });
    const { object } = await publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(20), batches: inBatches(generateRows({ count: 5, firstId: 1000 }), [5]) });
    const stored = await env.s3.send(new GetObjectCommand({ Bucket: env.service.bucket, Key: object.key }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    await env.s3.send(new PutObjectCommand({ Bucket: env.service.bucket, Key: object.key, Body: corrupt(bytes) }));
    const manifestBefore = await readManifest(env.store, target);
    const keysBefore = await env.listKeys();

    const error = await materializeTarget(env.store, target).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SnapshotFormatError);
    expect((error as SnapshotFormatError).code).toBe(code);
    expect((error as Error).message).toMatch(new RegExp(`^${object.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+; restore it, or publish a full snapshot of the target( \\(at byte \\d+\\))?$`));
    // The reader's own error stays reachable, with the offset it found.
    expect((error as SnapshotFormatError).cause).toBeInstanceOf(SnapshotFormatError);
    expect((error as SnapshotFormatError).offset).toBe(((error as SnapshotFormatError).cause as SnapshotFormatError).offset);
    expect(await readManifest(env.store, target)).toEqual(manifestBefore);
    expect(await env.listKeys()).toEqual(keysBefore);
  });
});
