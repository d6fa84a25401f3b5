// tinybench micro-benchmarks (reports only, never gated): the serializer strategies on
// generated rows, the snapshot format's encode and decode, the checksum (zlib.crc32),
// deflate levels, and the COPY parser on values of many MiB. Run from the repository root:
//
//   npx tsx bench/micro/micro-benchmarks.ts [--rows 50000] [--time 500] [--json FILE]
//
// --rows: generated raw-data rows per task (50,000); --time: ms per task (500);
// --json: github-action-benchmark customSmallerIsBetter output (mean ms per operation).
// tinybench 5.1.0 detects async tasks by the function's type (an `async function`), so the
// async tasks below are declared `async` on purpose; results are read from task.result
// (latency / throughput), and a task whose result has an error fails the run.
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { crc32, deflateRawSync } from 'node:zlib';
import { Bench } from 'tinybench';
import { readSnapshot, SERIALIZER_STRATEGIES, SnapshotEncoder, type Compression } from '@storage-builder/snapshot';
import { largeValueCopyText, parseInChunks } from '../harness/large-value-parse';
import { generateFeed, header, serializeOnce } from '../serializer/generated-feed';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    time: { type: 'string', default: '500' },
    json: { type: 'string' },
  },
});

function positive(text: string, flag: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${flag} is ${JSON.stringify(text)}: use a positive integer`);
    process.exit(2);
  }
  return n;
}

const rows = positive(values.rows, 'rows');
const time = positive(values.time, 'time');
const batches = generateFeed(rows, 1000);
const allRows = batches.flatMap((b) => b.rows);

function encodeAll(compression: Compression): Buffer {
  const encoder = new SnapshotEncoder(header(compression), {});
  const parts: Buffer[] = [];
  for (const batch of batches) {
    encoder.addRows(batch.rows);
    if (encoder.bufferedBytes > 1 << 20) parts.push(encoder.takeOutput());
  }
  encoder.finish();
  parts.push(encoder.takeOutput());
  return Buffer.concat(parts);
}

const encoded = { none: encodeAll('none'), deflate: encodeAll('deflate') };
/** COPY-like text of the same rows: what compression and the checksum chew on. */
const text = Buffer.from(allRows.map((r) => r.map((v) => v ?? '\\N').join('\t')).join('\n'));

const bench = new Bench({ name: 'micro', time, warmupTime: 100, throws: false });
for (const strategy of SERIALIZER_STRATEGIES) {
  for (const compression of ['none', 'deflate'] as const) {
    bench.add(`serialize ${strategy}/${compression} (${rows} rows)`, async () => {
      await serializeOnce(batches, strategy, compression);
    });
  }
}
for (const compression of ['none', 'deflate'] as const) {
  bench.add(`encode ${compression}: SnapshotEncoder.addRows (${rows} rows)`, () => {
    encodeAll(compression);
  });
  bench.add(`decode ${compression}: readSnapshot (${rows} rows)`, async () => {
    const reader = await readSnapshot(Readable.from([encoded[compression]]));
    let count = 0;
    for await (const batch of reader.batches) if (batch.type === 'rows') count += batch.rows.length;
    if (count !== rows) throw new Error(`decoded ${count} rows of ${rows}`);
  });
}
bench.add(`checksum: zlib.crc32 of ${(text.length / 2 ** 20).toFixed(1)} MiB`, () => {
  crc32(text);
});
for (const level of [1, 3, 6, 9]) {
  bench.add(`deflateRaw level ${level} of ${(text.length / 2 ** 20).toFixed(1)} MiB`, () => {
    deflateRawSync(text, { level });
  });
}

// The same 64 MiB of COPY text as one value and as eight: linear parsing takes about as long for both.
const oneLargeValue = largeValueCopyText(64 * 2 ** 20, 1);
const eightValues = largeValueCopyText(8 * 2 ** 20, 8);
const PARSE_ONE = 'COPY parser: one 64 MiB value of 64 MiB';
const PARSE_EIGHT = 'COPY parser: eight 8 MiB values of 64 MiB';
bench.add(PARSE_ONE, () => void parseInChunks(oneLargeValue));
bench.add(PARSE_EIGHT, () => void parseInChunks(eightValues));

console.log(`node ${process.version}, tinybench, ${rows} generated raw-data rows, ${time} ms per task`);
await bench.run();

const metrics: { name: string; unit: string; value: number }[] = [];
const table: Record<string, string | number>[] = [];
let failed = 0;
for (const task of bench.tasks) {
  const result = task.result;
  if (!result || result.error || result.aborted) {
    failed++;
    console.error(`${task.name}: ${!result ? 'no result' : result.error ? `failed: ${result.error.message}` : 'aborted'}`);
    continue;
  }
  const meanMs = result.latency.mean;
  const extra: Record<string, string | number> = {};
  const match = /\((\d+) rows\)/.exec(task.name);
  if (match) extra['µs/row'] = Number(((meanMs * 1000) / Number(match[1])).toFixed(3));
  const mib = /of ([\d.]+) MiB/.exec(task.name);
  if (mib) {
    extra['MiB/s'] = Number((Number(mib[1]) / (meanMs / 1000)).toFixed(1));
    if (task.name.startsWith('deflate')) extra['ratio'] = Number((text.length / deflateRawSync(text, { level: Number(/level (\d)/.exec(task.name)![1]) }).length).toFixed(2));
  }
  table.push({ task: task.name, 'mean ms': Number(meanMs.toFixed(3)), 'p99 ms': Number((result.latency.p99 ?? NaN).toFixed(3)), 'rme %': Number(result.latency.rme.toFixed(1)), samples: result.latency.samples.length, ...extra });
  metrics.push({ name: `micro: ${task.name}`, unit: 'ms', value: meanMs });
}
console.table(table);
const parseMs = (name: string) => bench.tasks.find((task) => task.name === name)?.result?.latency.mean;
const [one, eight] = [parseMs(PARSE_ONE), parseMs(PARSE_EIGHT)];
if (one !== undefined && eight !== undefined) console.log(`COPY parser: one 64 MiB value takes ${(one / eight).toFixed(2)}x the time of eight 8 MiB values (linear: about 1; target ≤ 2.5)`);
console.log(`snapshot bytes for ${rows} rows: none ${encoded.none.length}, deflate ${encoded.deflate.length}; COPY-like text ${text.length}`);
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`wrote ${values.json} (customSmallerIsBetter)`);
}
if (failed > 0) process.exitCode = 1;
