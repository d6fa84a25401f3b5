import { ConfigError, parseWorkerConfig } from '../config/worker-config';

/** The least environment parseWorkerConfig accepts; tests change one variable at a time. */
export const VALID_CONFIG_ENV = {
  DATABASE_URL: 'postgres://app:secret@db:5432/source',
  S3_BUCKET: 'snapshots-bucket',
  S3_REGION: 'eu-west-1',
  CONTROL_TOKEN: 'x'.repeat(32),
};

/** The ConfigError parseWorkerConfig throws for `env`; any other outcome fails the test. */
export function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseWorkerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
