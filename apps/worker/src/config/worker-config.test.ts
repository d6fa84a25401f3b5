import { describe, expect, it } from 'vitest';
import { configErrorOf, VALID_CONFIG_ENV } from '../testing/config-env';
import { DEFAULT_STOP_TIMEOUT_SECONDS, parseWorkerConfig } from './worker-config';

describe('parseWorkerConfig', () => {
  it('applies the defaults', () => {
    expect(parseWorkerConfig(VALID_CONFIG_ENV)).toMatchObject({
      port: 8080,
      serializer: 'streaming',
      compression: 'deflate',
      parallelism: 4,
      incremental: true,
      tracker: 'manifest',
      trackerKeyPrefix: 'StorageBuilder:Version:',
      mode: 'standalone',
      workerConcurrency: 2,
      scheduleIntervalSeconds: undefined,
      stopTimeoutSeconds: DEFAULT_STOP_TIMEOUT_SECONDS,
      logLevel: 'info',
      redisUrl: undefined,
      s3: { bucket: 'snapshots-bucket', endpoint: undefined, region: 'eu-west-1', prefix: 'snapshots', credentials: undefined, socketTimeoutSeconds: 30 },
    });
  });

  it('reads every variable', () => {
    const config = parseWorkerConfig({
      ...VALID_CONFIG_ENV,
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_REGION: undefined,
      AWS_REGION: 'us-east-1',
      S3_PREFIX: 'prod/snapshots',
      S3_SOCKET_TIMEOUT_SECONDS: '5',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'shh',
      PORT: '9090',
      SERIALIZER: 'legacy',
      PARALLELISM: '1',
      INCREMENTAL: 'false',
      TRACKER: 'redis',
      REDIS_URL: 'redis://cache:6379',
      MODE: 'distributed',
      WORKER_CONCURRENCY: '3',
      SCHEDULE_INTERVAL_SECONDS: '3600',
      STOP_TIMEOUT_SECONDS: '45',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      s3: { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', prefix: 'prod/snapshots', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'shh' }, socketTimeoutSeconds: 5 },
      port: 9090,
      serializer: 'legacy',
      parallelism: 1,
      incremental: false,
      tracker: 'redis',
      mode: 'distributed',
      workerConcurrency: 3,
      scheduleIntervalSeconds: 3600,
      stopTimeoutSeconds: 45,
      logLevel: 'debug',
    });
  });

  it.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL', /DATABASE_URL is not set: set it to the source database/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /DATABASE_URL uses mysql:/],
    [{ S3_BUCKET: '' }, 'S3_BUCKET', /S3_BUCKET is not set: set it to the bucket that receives snapshots/],
    [{ S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET', /use a bucket name/],
    [{ S3_REGION: undefined }, 'S3_REGION', /S3_REGION is not set \(nor AWS_REGION\)/],
    [{ S3_PREFIX: '/lead' }, 'S3_PREFIX', /without leading or trailing/],
    [{ AWS_ACCESS_KEY_ID: 'AKIA' }, 'AWS_SECRET_ACCESS_KEY', /set both, or neither/],
    [{ CONTROL_TOKEN: undefined }, 'CONTROL_TOKEN', /CONTROL_TOKEN is not set: set it to a random secret/],
    [{ CONTROL_TOKEN: 'short' }, 'CONTROL_TOKEN', /CONTROL_TOKEN is 5 characters long: use at least 24/],
    [{ PORT: '80a' }, 'PORT', /PORT is "80a": set it to a whole number from 0 to 65535/],
    [{ PARALLELISM: '0' }, 'PARALLELISM', /PARALLELISM is "0": set it to a whole number from 1 to 64/],
    [{ SERIALIZER: 'fast' }, 'SERIALIZER', /one of legacy, batched, streaming/],
    [{ INCREMENTAL: 'maybe' }, 'INCREMENTAL', /set it to true or false/],
    [{ TRACKER: 'redis' }, 'REDIS_URL', /REDIS_URL is not set but TRACKER is redis/],
    [{ MODE: 'distributed' }, 'REDIS_URL', /REDIS_URL is not set but MODE is distributed/],
    [{ MODE: 'cluster' }, 'MODE', /one of standalone, distributed/],
    [{ STOP_TIMEOUT_SECONDS: '500' }, 'STOP_TIMEOUT_SECONDS', /from 1 to 110/],
    [{ SCHEDULE_INTERVAL_SECONDS: '1' }, 'SCHEDULE_INTERVAL_SECONDS', /from 10 to/],
    [{ LOG_LEVEL: 'trace' }, 'LOG_LEVEL', /one of debug, info, warn, error/],
  ])('%j fails naming %s', (change, variable, message) => {
    const error = configErrorOf({ ...VALID_CONFIG_ENV, ...change });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it('does not echo an unparseable URL that may hold a password', () => {
    const error = configErrorOf({ ...VALID_CONFIG_ENV, DATABASE_URL: 'postgres://app:p@ss@[db' });
    expect(error.message).not.toContain('p@ss');
  });
});
