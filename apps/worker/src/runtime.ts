// The worker's composition root alone, for processes that run the updater as the worker does
// without its HTTP API (the harness's measured children): importing it loads no server code.
export { openWorkerRuntime } from './app/worker-runtime';
export type { UpdaterOverrides, WorkerRuntime, WorkerRuntimeOptions } from './app/worker-runtime';
export { parseRuntimeConfig, RUNTIME_VARIABLES } from './config/worker-config';
export type { RuntimeConfig } from './config/worker-config';
