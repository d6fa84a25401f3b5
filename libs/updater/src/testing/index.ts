// Helpers for tests and long-running checks of the updater: real services, seeded data.
export { updaterFixture, TEST_PROFILE } from './updater-fixture';
export type { UpdaterFixture } from './updater-fixture';
export { randomizedSyncOptionsFor, runRandomizedSync } from './randomized-sync';
export type { RandomizedSyncOptions, RandomizedSyncReport } from './randomized-sync';
export {
  compareTargetRows,
  findPsql,
  MULTI_WRITER_STORES,
  multiWriterServices,
  parseForceQuotedCsv,
  psqlQuery,
  readWithPsql,
  runMultiWriterCheck,
  SPECIAL_TEXT,
} from './multi-writer-check';
export type {
  MultiWriterCheckOptions,
  MultiWriterMutation,
  MultiWriterReport,
  MultiWriterScale,
  MultiWriterServices,
  MultiWriterStore,
  OutcomeCounts,
  RowComparison,
} from './multi-writer-check';
