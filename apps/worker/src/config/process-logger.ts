import { jsonLogger, type Logger, type LogLevel } from '@storage-builder/updater';
import type { RuntimeConfig, WorkerConfig } from './worker-config';
import { redactingWriter, secretsOf } from './redact';

/** JSON lines on stdout without the token, passwords or keys of the configuration. */
export function processLogger(config: RuntimeConfig | WorkerConfig | undefined, minLevel: LogLevel = config?.logLevel ?? 'info', write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const secrets = config
    ? secretsOf(['controlToken' in config ? config.controlToken : undefined, config.databaseUrl, config.redisUrl, config.s3.credentials?.secretAccessKey, config.s3.credentials?.sessionToken])
    : [];
  return jsonLogger(redactingWriter(write, secrets), minLevel);
}
