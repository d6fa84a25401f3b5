import { describe, expect, it } from 'vitest';
import { DATABASE_URL_SCHEMES, readObjectStoreEnvironment, readUrlVariable, redact } from './environment-settings';

describe('readUrlVariable', () => {
  it('returns undefined for an unset or blank variable', () => {
    expect(readUrlVariable({}, 'DATABASE_URL', DATABASE_URL_SCHEMES)).toBeUndefined();
    expect(readUrlVariable({ DATABASE_URL: '  ' }, 'DATABASE_URL', DATABASE_URL_SCHEMES)).toBeUndefined();
  });

  it('names the variable and the expected form when the value is wrong, hiding a password', () => {
    expect(() => readUrlVariable({ DATABASE_URL: 'localhost:5432' }, 'DATABASE_URL', DATABASE_URL_SCHEMES)).toThrow(
      'DATABASE_URL must start with postgres:// or postgresql://; it starts with localhost://',
    );
    expect(() => readUrlVariable({ DATABASE_URL: 'not a url' }, 'DATABASE_URL', DATABASE_URL_SCHEMES)).toThrow(
      /DATABASE_URL is not a URL/,
    );
  });
});

describe('readObjectStoreEnvironment', () => {
  it('needs credentials once S3_ENDPOINT is set, and says which one is missing', () => {
    expect(() => readObjectStoreEnvironment({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY_ID: 'a' })).toThrow(
      'S3_ENDPOINT is set but S3_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY) is not',
    );
  });

  it('accepts AWS_* credentials and defaults the region', () => {
    expect(
      readObjectStoreEnvironment({ S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }),
    ).toEqual({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' });
  });
});

describe('redact', () => {
  it('hides the password of a URL and leaves the rest', () => {
    expect(redact('postgres://user:secret@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redact('postgres://host/db')).toBe('postgres://host/db');
  });
});
