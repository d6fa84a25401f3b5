import type { ObjectStoreConnection } from './service-types';

/** Reads a URL variable and checks its scheme, naming the variable when it is wrong. */
export function readUrlVariable(env: NodeJS.ProcessEnv, name: string, schemes: readonly string[]): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${name} is not a URL ('${redact(value)}'): set it like ${schemes[0]}//host:port/...`);
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new Error(`${name} must start with ${schemes.map((s) => `${s}//`).join(' or ')}; it starts with ${parsed.protocol}//`);
  }
  return value;
}

export const DATABASE_URL_SCHEMES = ['postgres:', 'postgresql:'] as const;
export const REDIS_URL_SCHEMES = ['redis:', 'rediss:'] as const;
export const S3_ENDPOINT_SCHEMES = ['http:', 'https:'] as const;

/** The object store named by `S3_ENDPOINT` and its credentials, or undefined when `S3_ENDPOINT` is unset. */
export function readObjectStoreEnvironment(env: NodeJS.ProcessEnv): ObjectStoreConnection | undefined {
  const endpoint = readUrlVariable(env, 'S3_ENDPOINT', S3_ENDPOINT_SCHEMES);
  if (!endpoint) return undefined;
  const accessKeyId = env['S3_ACCESS_KEY_ID'] || env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['S3_SECRET_ACCESS_KEY'] || env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) {
    const missing = !accessKeyId ? 'S3_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)' : 'S3_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)';
    throw new Error(`S3_ENDPOINT is set but ${missing} is not: set it to the credentials of ${endpoint}`);
  }
  return {
    endpoint,
    region: env['S3_REGION'] || env['AWS_REGION'] || 'us-east-1',
    accessKeyId,
    secretAccessKey,
  };
}

/** Hides a password in a URL before it goes into a message. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@/]*@/, '$1***@');
}
