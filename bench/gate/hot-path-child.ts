// One hot path of the streaming sync over a prepared file, run once and nothing else: the
// program bench/gate/instruction-counts.ts counts the instructions of under Valgrind. No
// services, no timers, no threads of its own: for the same file and node flags it executes
// the same instructions.
//
//   node hot-path-child.mjs encode <COPY text file>   # what the feed hands the encoder
//   node hot-path-child.mjs decode <snapshot file>    # what compaction and readers do
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readSnapshot, SnapshotEncoder } from '@storage-builder/snapshot';
import { INJECTED_DEFLATE_LEVEL, injectionFromEnv } from '../harness/regression-injection';
import { header } from '../serializer/generated-feed';

/** The feed hands the encoder the whole rows of one socket read: about this many bytes. */
const READ_BYTES = 64 * 1024;

const [mode, file] = process.argv.slice(2);
if ((mode !== 'encode' && mode !== 'decode') || !file) {
  console.error('usage: hot-path-child.mjs encode <COPY text file> | decode <snapshot file>');
  process.exit(2);
}
const input = readFileSync(file);
let rows = 0;
if (mode === 'encode') {
  const injection = injectionFromEnv();
  const encoder = new SnapshotEncoder(header('deflate'), injection === 'compression-level' ? { deflateLevel: INJECTED_DEFLATE_LEVEL } : {});
  // The injected regression: the first 32nd of every read encoded again, in frames of its own.
  const extraWork = injection === 'encoder-extra-work' ? new SnapshotEncoder(header('deflate'), { frameBytes: 4096 }) : undefined;
  for (let start = 0; start < input.length; ) {
    const newline = input.indexOf(10, Math.min(input.length - 1, start + READ_BYTES - 1));
    const end = newline < 0 ? input.length : newline + 1;
    encoder.addCopyText({ copyText: input.subarray(start, end) });
    encoder.takeOutput();
    if (extraWork) {
      const cut = input.indexOf(10, start + (end - start) / 32);
      extraWork.addCopyText({ copyText: input.subarray(start, cut < 0 || cut >= end ? end : cut + 1) });
      extraWork.takeOutput();
    }
    start = end;
  }
  rows = encoder.finish().rows;
} else {
  const reader = await readSnapshot(Readable.from([input]));
  for await (const batch of reader.batches) if (batch.type === 'rows') rows += batch.rows.length;
}
console.log(`${mode}: ${rows} rows`);
