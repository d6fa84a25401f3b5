// File format
export {
  COMPRESSIONS,
  DEFAULT_COMPRESSION,
  DEFAULT_DEFLATE_LEVEL,
  DEFAULT_FRAME_BYTES,
  DEFAULT_FRAME_ITEMS,
  FORMAT_VERSION,
  MAGIC,
} from './format-constants';
export type { Compression } from './format-constants';
export { snapshotHeader } from './snapshot-header';
export type { SnapshotExpectation, SnapshotHeader, SnapshotHeaderInput } from './snapshot-header';
export { SnapshotEncoder, resolveFrameOptions } from './snapshot-encoder';
export type { FrameOptions, ResolvedFrameOptions, SnapshotTotals } from './snapshot-encoder';
export { readSnapshot } from './snapshot-reader';
export type { SnapshotBatch, SnapshotReader } from './snapshot-reader';
export { SnapshotFormatError } from './snapshot-format-error';
export type { SnapshotFormatErrorCode } from './snapshot-format-error';

// Serializer strategies
export { serializeSnapshot } from './serialize-snapshot';
export { OUTPUT_HIGH_WATER_MARK } from './output-writer';
export type { SnapshotItem } from './legacy-serializer';
export { DEFAULT_SERIALIZER_STRATEGY, SERIALIZER_STRATEGIES, serializerStrategy } from './serializer-registry';
export type { SerializerStrategy } from './serializer-registry';
export type { SerializerStrategyDefinition, StrategyInput, StrategyOutput } from './serializer-strategy';
export type { SerializeCounters, SerializedSnapshot, SerializeSnapshotOptions } from './serialize-types';
export { serializeEnumerable } from './legacy-serializer';
export { serializeEnumerableBatched } from './batched-serializer';
export { STREAMING_SLICE_ROWS } from './streaming-serializer';
export {
  chooseBatchSize,
  DEFAULT_BATCH_MEMORY_FRACTION,
  DEFAULT_BYTES_PER_ITEM,
  MAX_BATCH_SIZE,
  MIN_BATCH_SIZE,
  readMemoryFacts,
} from './memory-budget';
export type { BatchSizingOptions, MemoryFacts } from './memory-budget';

// Object store
export { SnapshotStore, DEFAULT_KEY_PREFIX, resolveSnapshotStoreOptions } from './snapshot-store';
export type { ListedObject, ResolvedSnapshotStoreOptions, SnapshotLogger, SnapshotStoreOptions, TargetKeys } from './snapshot-store';
export { uploadStream, DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, MAX_PARTS, MIN_PART_SIZE } from './multipart-upload';
export type { StreamUploadInput, StreamUploadResult, UploadConditions } from './multipart-upload';
export { probeConditionalWrites } from './conditional-write-probe';
export type { ConditionalWriteSupport } from './conditional-write-probe';
export { SnapshotConflictError } from './s3-errors';
export type { SnapshotConflictCode } from './s3-errors';

// Manifests, publishing, compaction, materialization
export { MANIFEST_VERSION, ManifestError, parseManifest } from './manifest';
export type { ManifestBase, ManifestDelta, ManifestErrorCode, ManifestObject, SnapshotManifest } from './manifest';
export { commitManifest, readManifest, readTargetManifest } from './manifest-store';
export type { CommitFence, CommitGuard, ManifestVersion, TargetManifest } from './manifest-store';
export { inspectChain, isSnapshotDamage, verifyTarget } from './target-health';
export type { ChainInspection, TargetHealth, VerifyOptions } from './target-health';
export { DEFAULT_MAX_DELTA_BYTES_RATIO, DEFAULT_MAX_DELTAS, SnapshotPublisher } from './snapshot-publisher';
export type { PublishInput, PublisherOptions, PublishResult, ResolvedPublisherOptions } from './snapshot-publisher';
export { materializeManifest, materializeTarget } from './materialize';
export type { MaterializedTarget } from './materialize';
