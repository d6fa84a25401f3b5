import { jsonLogger, type Logger, type LogLevel } from '@storage-builder/updater';
import type { RuntimeConfig } from './worker-config';
import { configSecrets, redactingLogger } from './redact';

/** JSON lines on stdout without the token, passwords or keys of the configuration. */
export function processLogger(config: RuntimeConfig | undefined, minLevel: LogLevel = config?.logLevel ?? 'info', write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  return redactingLogger(jsonLogger(write, minLevel), config ? configSecrets(config) : []);
}
