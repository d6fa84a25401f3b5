import { DATA_KINDS, type DataKind, type RowKey, type RowValues, type Watermark } from '@storage-builder/data-model';
import { openChangeFeed } from './change-feed';
import { kindFieldName, type KindFieldName } from './kind-field-name';
import type { SqlSource } from './sql-source';

export type OnNewVersion = (version: Watermark) => Promise<void> | void;
export type OnUpdated = (item: RowValues) => Promise<void> | void;
export type OnDeleted = (key: RowKey) => Promise<void> | void;

export interface LegacyProviderOptions {
  source: SqlSource;
  /**
   * Rows fetched per round trip under the callbacks; the callbacks still run per item.
   * @defaultValue the feed's `DEFAULT_BATCH_SIZE`
   */
  batchSize?: number;
}

/** A read of one kind: `getWithCallbacks` with the kind filled in. */
export type KindCallbacksMethod = (
  clientId: number,
  currentVersion: Watermark | string | null,
  onNewVersion: OnNewVersion,
  onUpdated: OnUpdated,
  onDeleted: OnDeleted,
) => Promise<void>;

/** The legacy worker's method per kind, named after the kind: `getRawDataWithCallbacks`, `getEntitiesWithCallbacks`, ... */
export type LegacyKindMethods = { readonly [K in DataKind as `get${Capitalize<KindFieldName<K>>}WithCallbacks`]: KindCallbacksMethod };

class CallbackProvider {
  constructor(private readonly options: LegacyProviderOptions) {}

  /** The same for a kind given as a value. */
  async getWithCallbacks(
    kind: DataKind | string,
    clientId: number,
    currentVersion: Watermark | string | null,
    onNewVersion: OnNewVersion,
    onUpdated: OnUpdated,
    onDeleted: OnDeleted,
  ): Promise<void> {
    await using feed = await openChangeFeed({ source: this.options.source, clientId, kind, since: currentVersion, batchSize: this.options.batchSize });
    await onNewVersion(feed.watermark);
    for await (const batch of feed.batches()) {
      for (const item of batch.rows) await onUpdated(item);
      for (const key of batch.tombstones) await onDeleted(key);
    }
  }
}

// Installed from DATA_KINDS rather than written out, so every kind has its method.
for (const kind of DATA_KINDS) {
  const field = kindFieldName(kind);
  Object.defineProperty(CallbackProvider.prototype, `get${field.charAt(0).toUpperCase()}${field.slice(1)}WithCallbacks`, {
    value(this: CallbackProvider, ...args: Parameters<KindCallbacksMethod>) {
      return this.getWithCallbacks(kind, ...args);
    },
    configurable: true,
    writable: true,
  });
}

/**
 * The provider the legacy worker used, kept for the harness that reproduces the
 * incident: one awaited `onUpdated` per item, one `onDeleted` per deleted key. It reads
 * through the same change feed, so only the calling convention is old.
 *
 * `onNewVersion` is called once, with the read's watermark, before the first item, in
 * the order of the parameters. A caller that saves the version there would skip rows if
 * it crashed before publishing them; the legacy worker ignored it (it always passed
 * `currentVersion: null`), and the new pipeline saves the feed's watermark after commit.
 */
export type LegacyDataProvider = CallbackProvider & LegacyKindMethods;
// TypeScript cannot declare methods whose names are computed from a list, hence the cast.
export const LegacyDataProvider = CallbackProvider as new (options: LegacyProviderOptions) => LegacyDataProvider;
