import { parseWatermark } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { SnapshotFormatError } from './snapshot-format-error';
import { generateRows, inBatches, seededRandom } from './testing/generate-rows';
import { buildSnapshot, readAll } from './testing/snapshot-bytes';

// A fresh seed each run widens coverage over time; FUZZ_SEED replays a failure.
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CASES_PER_FILE = 1500;

describe(`snapshot reader fuzz (FUZZ_SEED=${seed})`, () => {
  it.each(['none', 'deflate'] as const)('ends every mutated or truncated file in a clear error or the exact rows (%s)', async (compression) => {
    console.log(`snapshot reader fuzz: FUZZ_SEED=${seed} compression=${compression}`);
    const random = seededRandom(seed);
    const rows = generateRows({ count: 400, seed: 5 });
    const original = await buildSnapshot({
      target: { clientId: 3, kind: 'raw-data' },
      toWatermark: parseWatermark('77'),
      batches: inBatches(rows, [150], ['9', '10']),
      compression,
      frameItems: 64,
    });
    const outcomes = { error: 0, whole: 0 };
    for (let i = 0; i < CASES_PER_FILE; i++) {
      const mutated = mutate(original, random);
      const chunkSize = 1 + Math.floor(random() * 4096);
      try {
        const read = await readAll(mutated, undefined, chunkSize);
        // Success is allowed only if the mutation changed nothing the reader reports.
        expect(read.rows, `case ${i}: a mutated file read as whole must hold the original rows`).toEqual(rows);
        expect(read.tombstones).toEqual(['9', '10']);
        expect(read.totals).toBeDefined();
        outcomes.whole++;
      } catch (error) {
        if (!(error instanceof SnapshotFormatError)) {
          throw new Error(`case ${i} (FUZZ_SEED=${seed}): reader threw ${String(error)} instead of a SnapshotFormatError`);
        }
        outcomes.error++;
      }
    }
    expect(outcomes.error + outcomes.whole).toBe(CASES_PER_FILE);
    expect(outcomes.error).toBeGreaterThan(CASES_PER_FILE / 2);
  });
});

function mutate(bytes: Buffer, random: () => number): Buffer {
  const at = Math.floor(random() * bytes.length);
  const out = Buffer.from(bytes);
  switch (Math.floor(random() * 6)) {
    case 0: // truncate
      return out.subarray(0, at);
    case 1: // flip one bit
      out[at]! ^= 1 << Math.floor(random() * 8);
      return out;
    case 2: // overwrite a run with random bytes
      for (let i = at; i < Math.min(out.length, at + 1 + Math.floor(random() * 16)); i++) out[i] = Math.floor(random() * 256);
      return out;
    case 3: // delete a run
      return Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + Math.floor(random() * 32))]);
    case 4: // insert random bytes
      return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256))), out.subarray(at)]);
    default: // set a 32-bit field to an extreme value
      if (at + 4 <= out.length) out.writeUInt32BE(random() < 0.5 ? 0xffffffff : Math.floor(random() * 2 ** 32), at);
      return out;
  }
}
