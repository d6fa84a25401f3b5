import { describe, expect, it } from 'vitest';
import { jsonLogger } from '@storage-builder/updater';
import { configSecrets, redactingLogger, redactUrl, redactUrlsIn, redactValue, secretsOf } from './redact';
import { parseWorkerConfig } from './worker-config';

// Secrets as they come: with quotes, backslashes, newlines, and URL escapes in a password.
const TOKEN = 'tok"en\\with\nnewline-0123456789abcdef';
const PASSWORD = 'p@ss"w\\rd';
const DATABASE_URL = `postgres://app:${encodeURIComponent(PASSWORD)}@db:5432/source`;
const config = parseWorkerConfig({ DATABASE_URL, S3_BUCKET: 'snapshots', S3_REGION: 'eu-west-1', CONTROL_TOKEN: TOKEN, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret"key\\/+' });
const secrets = configSecrets(config);

describe('redaction', () => {
  it('hides URL passwords', () => {
    expect(redactUrl('postgres://app:hunter22@db:5432/source')).toBe('postgres://app:***@db:5432/source');
    expect(redactUrlsIn('could not reach redis://:tok3n@cache:6379 and postgres://u:pw12@h/db')).toBe('could not reach redis://:***@cache:6379 and postgres://u:***@h/db');
  });

  it('removes secrets with quotes, backslashes, newlines and URL escapes from every string of a value', () => {
    const value = {
      message: `token ${TOKEN}`,
      nested: { error: `password authentication failed: ${PASSWORD} / ${encodeURIComponent(PASSWORD)}`, list: ['secret"key\\/+', 42, null] },
      cause: new Error(`connect to ${DATABASE_URL} failed`),
    };
    const text = JSON.stringify(redactValue(value, secrets));
    for (const secret of [TOKEN, PASSWORD, encodeURIComponent(PASSWORD), 'secret"key\\/+']) {
      expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ message: 'token ***', nested: { list: ['***', 42, null] }, cause: 'connect to postgres://app:***@db:5432/source failed' });
  });

  it('redacts log lines before they are serialized, where a line writer would see the escaped form', () => {
    const lines: string[] = [];
    const logger = redactingLogger(jsonLogger((line) => lines.push(line)), secrets);
    logger.log('warn', `bad token ${TOKEN}`, { error: `role app, password ${PASSWORD}` });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'bad token ***', error: 'role app, password ***' });
    expect(lines[0]).not.toContain('ss\\"w');
  });

  it('keeps values shorter than four characters, which would blank out ordinary text', () => {
    expect(secretsOf(['abc', undefined, 'abcd'])).toEqual(['abcd']);
  });
});
