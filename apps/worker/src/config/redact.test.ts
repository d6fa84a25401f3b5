import { describe, expect, it } from 'vitest';
import { redactingWriter, redactUrl, redactUrlsIn, secretsOf } from './redact';

describe('redaction', () => {
  it('hides URL passwords', () => {
    expect(redactUrl('postgres://app:hunter22@db:5432/source')).toBe('postgres://app:***@db:5432/source');
    expect(redactUrlsIn('could not reach redis://:tok3n@cache:6379 and postgres://u:pw12@h/db')).toBe('could not reach redis://:***@cache:6379 and postgres://u:***@h/db');
  });

  it('removes every configured secret from log lines', () => {
    const lines: string[] = [];
    const write = redactingWriter((line) => lines.push(line), secretsOf(['control-token-value', 'postgres://app:hunter22@db/source', undefined]));
    write('{"message":"token control-token-value and password hunter22"}');
    expect(lines).toEqual(['{"message":"token *** and password ***"}']);
  });
});
