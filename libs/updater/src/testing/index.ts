// Helpers for tests and long-running checks of the updater: real services, seeded data.
export { updaterFixture, TEST_PROFILE } from './updater-fixture';
export { runRandomizedSync, seededRandom } from './randomized-sync';
export type { RandomizedSyncOptions, RandomizedSyncReport } from './randomized-sync';
