#!/usr/bin/env node
// Bundles the worker's two entry points into apps/worker/dist/{main,cli}.mjs with esbuild:
// one ES module each, the workspace libraries and the npm dependencies inside, so the
// process neither loads the tsx loader nor resolves hundreds of files at start-up.
//
//   npm run build:worker            # = node tools/build-worker.mjs
//   node tools/build-worker.mjs --outdir DIR --metafile
//   node tools/build-worker.mjs --outdir DIR --inject FILE   # FILE runs before the worker's own modules
//
// --inject is for the performance gate's own test, which builds a bundle with a deliberate
// regression (bench/harness/leak-per-row.ts); a bundle to ship is built without it.
//
// Only native add-ons stay outside; each is optional and its package falls back without it.
/* global console, URL */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    outdir: { type: 'string', default: path.join(ROOT, 'apps/worker/dist') },
    metafile: { type: 'boolean', default: false },
    inject: { type: 'string', multiple: true, default: [] },
  },
});

/** Optional native add-ons: pg (pg-native) and msgpackr, used by BullMQ (msgpackr-extract), load them in a try/catch. */
const EXTERNAL = ['pg-native', 'msgpackr-extract'];

const outdir = path.resolve(values.outdir);
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'apps/worker/src/main.ts', cli: 'apps/worker/src/cli.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The images run Node 22; the repository's engines allow 20.19 too.
  target: 'node20.19',
  // One tsconfig for every file, so a build from a checkout and one in the image agree.
  tsconfig: 'tsconfig.base.json',
  external: EXTERNAL,
  inject: values.inject.map((file) => path.resolve(file)),
  // CommonJS dependencies (pg, the AWS SDK's parts) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // V8 keeps a module's source in the heap for as long as the module lives (it compiles
  // functions lazily from it), as a two-byte string if one character is outside Latin-1:
  // unminified, comments esbuild keeps held some, and the source took 6.7 MiB of every
  // worker's heap. Whitespace minification drops comments and layout: 2.3 MiB, one byte per
  // character, 5 MiB less idle RSS. Names are not minified, so stack traces and CPU profiles
  // keep the functions' names; positions map back to the sources through the linked source map.
  minifyWhitespace: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: values.metafile,
});
if (values.metafile) writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
console.log(`worker bundle: ${outdir}/{main,cli}.mjs`);
