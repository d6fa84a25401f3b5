// The process an ECS task runs, bundled: `node apps/worker/dist/main.mjs` (`npm run build:worker`);
// in development `node --import tsx apps/worker/src/main.ts`.
import { errorMessage } from '@storage-builder/updater';
import { startWorkerApp } from './app/worker-app';
import { processLogger } from './config/process-logger';
import { redactUrlsIn } from './config/redact';
import { ConfigError, parseWorkerConfig, type WorkerConfig } from './config/worker-config';

/** Exit code for a missing or invalid variable (the task will not start until it is fixed). */
export const EXIT_CONFIG = 2;

let config: WorkerConfig;
try {
  config = parseWorkerConfig(process.env);
} catch (error) {
  const variable = error instanceof ConfigError ? error.variable : undefined;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', message: `invalid configuration: ${redactUrlsIn(errorMessage(error))}`, variable })}\n`);
  process.exit(EXIT_CONFIG);
}

const logger = processLogger(config);
process.on('unhandledRejection', (reason) => {
  logger.log('error', 'unhandled rejection', { error: errorMessage(reason) });
  process.exitCode = 1;
});

try {
  const app = await startWorkerApp(config, { logger });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.log('warn', 'second signal while stopping: exiting now', { signal });
      process.exit(1);
    }
    logger.log('info', 'signal received', { signal });
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.log('error', 'worker did not stop cleanly', { error: errorMessage(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (error) {
  logger.log('error', 'worker could not start', { error: errorMessage(error) });
  process.exit(1);
}
