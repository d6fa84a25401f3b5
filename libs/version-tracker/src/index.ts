export type { TrackedVersion, TrackerLookup, VersionTracker } from './version-tracker';
export { RedisVersionTracker, DEFAULT_VERSION_KEY_PREFIX, DEFAULT_VERSION_TTL_SECONDS } from './redis-version-tracker';
export type { RedisVersionTrackerOptions } from './redis-version-tracker';
export { PostgresVersionTracker, DEFAULT_VERSION_TABLE } from './postgres-version-tracker';
export type { PostgresVersionTrackerOptions } from './postgres-version-tracker';
export { decodeTrackedVersion, encodeTrackedVersion } from './tracked-version-codec';
