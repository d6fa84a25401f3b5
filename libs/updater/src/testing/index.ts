// Helpers for tests and long-running checks of the updater: real services, seeded data.
export { updaterFixture, TEST_PROFILE } from './updater-fixture';
export type { UpdaterFixture } from './updater-fixture';
export { databaseRows } from './database-rows';
export { randomizedSyncOptionsFor, runRandomizedSync } from './randomized-sync';
export type { RandomizedSyncOptions, RandomizedSyncReport } from './randomized-sync';
export { runMultiWriterCheck } from './multi-writer-check';
export { MULTI_WRITER_STORES } from './multi-writer-options';
export type { MultiWriterCheckOptions, MultiWriterMutation, MultiWriterScale, MultiWriterStore } from './multi-writer-options';
export type { MultiWriterReport } from './multi-writer-report';
export { multiWriterServices } from './multi-writer-services';
export type { MultiWriterServices } from './multi-writer-services';
export { compareTargetRows, findPsql, parseForceQuotedCsv, psqlQuery, readWithPsql } from './psql-reader';
export type { RowComparison } from './psql-reader';
export { SPECIAL_TEXT } from './special-text';
export type { OutcomeCounts } from './writer-activity';
