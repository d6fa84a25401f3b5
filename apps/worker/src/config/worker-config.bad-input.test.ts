import { describe, expect, it } from 'vitest';
import { configErrorOf, VALID_CONFIG_ENV } from '../testing/config-env';
import { parseDatabaseUrl } from './worker-config';

// Variables and values worker-config.test.ts does not try: every one fails naming the variable and the fix.
describe('parseWorkerConfig on bad input', () => {
  it.each([
    [{ DATABASE_URL: '   ' }, 'DATABASE_URL', /DATABASE_URL is not set: set it to the source database/],
    [{ DATABASE_URL: 'db:5432/source' }, 'DATABASE_URL', /DATABASE_URL uses db:\/\/: set it to postgres:\/\/user:password@host:5432\/database/],
    [{ S3_BUCKET: 'ab' }, 'S3_BUCKET', /S3_BUCKET is "ab": use a bucket name \(3-63 lower-case letters/],
    [{ S3_BUCKET: `b${'x'.repeat(63)}` }, 'S3_BUCKET', /S3_BUCKET is "bx+": use a bucket name/],
    [{ S3_BUCKET: 's3://snapshots' }, 'S3_BUCKET', /use a bucket name/],
    [{ S3_ENDPOINT: 'localhost:9000' }, 'S3_ENDPOINT', /S3_ENDPOINT uses localhost:\/\/: set it to http\(s\):\/\/host:port of an S3-compatible store, or unset it for AWS S3/],
    [{ S3_ENDPOINT: 'not a url' }, 'S3_ENDPOINT', /S3_ENDPOINT is not a valid URL: set it to http\(s\):\/\/host:port/],
    [{ S3_PREFIX: 'snapshots/' }, 'S3_PREFIX', /S3_PREFIX is "snapshots\/": use path segments .* without leading or trailing '\/'/],
    [{ S3_PREFIX: 'a//b' }, 'S3_PREFIX', /S3_PREFIX is "a\/\/b"/],
    [{ S3_PREFIX: 'with space' }, 'S3_PREFIX', /S3_PREFIX is "with space"/],
    [{ AWS_SECRET_ACCESS_KEY: 'shh-secret' }, 'AWS_ACCESS_KEY_ID', /AWS_ACCESS_KEY_ID is not set while its pair is: set both, or neither/],
    [{ CONTROL_TOKEN: '   ' }, 'CONTROL_TOKEN', /CONTROL_TOKEN is not set/],
    [{ S3_SOCKET_TIMEOUT_SECONDS: '0' }, 'S3_SOCKET_TIMEOUT_SECONDS', /S3_SOCKET_TIMEOUT_SECONDS is "0": set it to a whole number from 1 to 600 \(default 30\)/],
    [{ TRACKER_KEY_PREFIX: 'Storage Builder:' }, 'TRACKER_KEY_PREFIX', /TRACKER_KEY_PREFIX is "Storage Builder:": use up to 200 printable characters without spaces/],
    [{ PORT: '65536' }, 'PORT', /PORT is "65536": set it to a whole number from 0 to 65535 \(default 8080\)/],
    [{ PORT: '-1' }, 'PORT', /PORT is "-1": set it to a whole number from 0 to 65535/],
    [{ PORT: '80.5' }, 'PORT', /PORT is "80.5"/],
    [{ PORT: '1e3' }, 'PORT', /PORT is "1e3"/],
    [{ PARALLELISM: '65' }, 'PARALLELISM', /PARALLELISM is "65": set it to a whole number from 1 to 64 \(default 4\)/],
    [{ PARALLELISM: 'four' }, 'PARALLELISM', /PARALLELISM is "four"/],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY', /WORKER_CONCURRENCY is "0": set it to a whole number from 1 to 64 \(default 2\)/],
    [{ COMPRESSION: 'gzip' }, 'COMPRESSION', /COMPRESSION is "gzip": set it to one of none, deflate \(default deflate\)/],
    [{ SERIALIZER: 'Streaming' }, 'SERIALIZER', /SERIALIZER is "Streaming": set it to one of legacy, batched, streaming \(default streaming\)/],
    [{ TRACKER: 'memory' }, 'TRACKER', /TRACKER is "memory": set it to one of manifest, redis, postgres \(default manifest\)/],
    [{ INCREMENTAL: '2' }, 'INCREMENTAL', /INCREMENTAL is "2": set it to true or false \(default true\)/],
    [{ SCHEDULE_INTERVAL_SECONDS: 'hourly' }, 'SCHEDULE_INTERVAL_SECONDS', /SCHEDULE_INTERVAL_SECONDS is "hourly": set it to a whole number from 10 to 604800 \(or unset it for no schedule\)/],
    [{ SCHEDULE_INTERVAL_SECONDS: '604801' }, 'SCHEDULE_INTERVAL_SECONDS', /from 10 to 604800/],
    [{ STOP_TIMEOUT_SECONDS: '0' }, 'STOP_TIMEOUT_SECONDS', /STOP_TIMEOUT_SECONDS is "0": set it to a whole number from 1 to 110 \(default 30\)/],
    [{ REDIS_URL: 'cache:6379' }, 'REDIS_URL', /REDIS_URL uses cache:\/\/: set it to redis:\/\/host:6379/],
    [{ LOG_LEVEL: 'INFO' }, 'LOG_LEVEL', /LOG_LEVEL is "INFO": set it to one of debug, info, warn, error/],
  ])('%j fails naming %s', (change, variable, message) => {
    const error = configErrorOf({ ...VALID_CONFIG_ENV, ...change });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['DATABASE_URL', 'postgres://app:hunter22@[db/source'],
    ['DATABASE_URL', 'mysql://app:hunter22@db/source'],
    ['REDIS_URL', 'redis://:hunter22@[cache'],
    ['REDIS_URL', 'http://:hunter22@cache:6379'],
    ['S3_ENDPOINT', 'ftp://key:hunter22@store'],
  ])('names %s without echoing the password in %s', (variable, value) => {
    const error = configErrorOf({ ...VALID_CONFIG_ENV, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable} (is not a valid URL|uses [a-z]+:)`));
    expect(error.message).not.toContain('hunter22');
  });

  it('checks DATABASE_URL alone for the commands that need only the database', () => {
    expect(parseDatabaseUrl({ DATABASE_URL: 'postgresql://db/source' })).toBe('postgresql://db/source');
    expect(() => parseDatabaseUrl({})).toThrow(/^DATABASE_URL is not set/);
    expect(() => parseDatabaseUrl({ DATABASE_URL: 'mysql://app:hunter22@db/x' })).toThrow(/^DATABASE_URL uses mysql:\/\/: set it to postgres:/);
  });
});
