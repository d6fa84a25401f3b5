/** Context every log line of a target carries. */
export interface LogFields {
  readonly runId?: string;
  readonly target?: string;
  readonly clientId?: number;
  readonly kind?: string;
  readonly [key: string]: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { log: () => undefined };

/** One JSON object per line, for CloudWatch Logs and `jq`. */
export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`), minLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(level, message, fields) {
      if (order[level] < order[minLevel]) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
    },
  };
}

/**
 * The message of anything thrown, for logs and results. An S3 error also names its code
 * and HTTP status, since its message alone can be as bare as "UnknownError".
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (typeof status === 'number') return `S3 ${error.name} (HTTP ${status}): ${error.message}`;
  return error.message;
}
