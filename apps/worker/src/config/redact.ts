import type { Logger } from '@storage-builder/updater';
import type { RuntimeConfig } from './worker-config';

/** A URL without its password, for logs and error messages: postgres://app:***@db:5432/source. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Every password in URLs anywhere in `text`, replaced. */
export function redactUrlsIn(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)([^\s@/"]+)@/gi, '$1***@');
}

/** The secret values a process must never print, derived from its configuration. */
export function secretsOf(values: ReadonlyArray<string | undefined>): string[] {
  const secrets = new Set<string>();
  for (const value of values) {
    if (value === undefined || value.length < 4) continue;
    secrets.add(value);
    try {
      const password = new URL(value).password;
      if (password.length >= 4) {
        secrets.add(password);
        secrets.add(decodeURIComponent(password));
      }
    } catch {
      // not a URL: the value itself is the secret
    }
  }
  return [...secrets];
}

/** `text` without URL passwords and without any of `secrets`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let safe = redactUrlsIn(text);
  for (const secret of secrets) safe = safe.split(secret).join('***');
  return safe;
}

/**
 * A copy of `value` in which every string is redacted, before anything serializes it: a
 * secret with a quote, a backslash or a newline in it is still the same characters here,
 * where after JSON.stringify it would be escaped and no longer match.
 */
export function redactValue<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, secrets)) as T;
  if (value instanceof Error) return redactText(value.message, secrets) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, secrets)])) as T;
  return value;
}

/** A logger whose message and fields are redacted before the inner logger serializes them. */
export function redactingLogger(inner: Logger, secrets: readonly string[]): Logger {
  return { log: (level, message, fields) => inner.log(level, redactText(message, secrets), fields && redactValue(fields, secrets)) };
}

/** What a process with this configuration must never print: the control token, the URLs' passwords, the AWS secrets. */
export function configSecrets(config: RuntimeConfig & { controlToken?: string }): string[] {
  return secretsOf([config.controlToken, config.databaseUrl, config.redisUrl, config.s3.credentials?.secretAccessKey, config.s3.credentials?.sessionToken]);
}
