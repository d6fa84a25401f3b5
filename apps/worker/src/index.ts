// The worker's public surface, for other apps and tests that embed it.
export { startWorkerApp, CLOSE_RESERVE_FRACTION, MAX_CLOSE_RESERVE_MS } from './app/worker-app';
export type { WorkerApp, WorkerAppOptions } from './app/worker-app';
export * from './runtime';
export {
  parseWorkerConfig,
  ConfigError,
  DEFAULT_PORT,
  DEFAULT_WORKER_CONCURRENCY,
  DEFAULT_STOP_TIMEOUT_SECONDS,
  MIN_CONTROL_TOKEN_LENGTH,
  TRACKERS,
  MODES,
  LOG_LEVELS,
} from './config/worker-config';
export type { WorkerConfig, TrackerKind, WorkerMode } from './config/worker-config';
export { createControlServer } from './http/control-server';
export type { ControlApi, ReadinessReport } from './http/control-server';
export { RunController, DEFAULT_RUN_HISTORY } from './runs/run-controller';
export type { RunExecutor, StartOutcome } from './runs/run-controller';
export { runDetail } from './runs/run-record';
export type { RunRecord, RunStatus, RunKind, RunTrigger } from './runs/run-record';
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE } from './metrics/prometheus-text';
export type { MetricFamily, Sample } from './metrics/prometheus-text';
