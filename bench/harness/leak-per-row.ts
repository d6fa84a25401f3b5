// Built into a worker bundle by the gate when GATE_INJECT_REGRESSION=leak-per-row
// (`node tools/build-worker.mjs --inject bench/harness/leak-per-row.ts`, memory-growth.ts):
// esbuild runs it before the worker's own modules, and it makes every publish keep 100 bytes
// of each row for good. A shipped bundle never contains it.
import { withLeakPerRow, wrapPublishedBatches } from './regression-injection';

wrapPublishedBatches('leak-per-row', withLeakPerRow);
