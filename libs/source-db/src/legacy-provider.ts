import type { DataKind, RowKey, RowValues, Watermark } from '@storage-builder/data-model';
import { openChangeFeed } from './change-feed';
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
export class LegacyDataProvider {
  constructor(private readonly options: LegacyProviderOptions) {}

  getRawDataWithCallbacks(clientId: number, currentVersion: Watermark | string | null, onNewVersion: OnNewVersion, onUpdated: OnUpdated, onDeleted: OnDeleted): Promise<void> {
    return this.getWithCallbacks('raw-data', clientId, currentVersion, onNewVersion, onUpdated, onDeleted);
  }

  getEntitiesWithCallbacks(clientId: number, currentVersion: Watermark | string | null, onNewVersion: OnNewVersion, onUpdated: OnUpdated, onDeleted: OnDeleted): Promise<void> {
    return this.getWithCallbacks('entities', clientId, currentVersion, onNewVersion, onUpdated, onDeleted);
  }

  getDataItemsWithCallbacks(clientId: number, currentVersion: Watermark | string | null, onNewVersion: OnNewVersion, onUpdated: OnUpdated, onDeleted: OnDeleted): Promise<void> {
    return this.getWithCallbacks('data-items', clientId, currentVersion, onNewVersion, onUpdated, onDeleted);
  }

  getFormulasWithCallbacks(clientId: number, currentVersion: Watermark | string | null, onNewVersion: OnNewVersion, onUpdated: OnUpdated, onDeleted: OnDeleted): Promise<void> {
    return this.getWithCallbacks('formulas', clientId, currentVersion, onNewVersion, onUpdated, onDeleted);
  }

  getFormulaAssociationsWithCallbacks(clientId: number, currentVersion: Watermark | string | null, onNewVersion: OnNewVersion, onUpdated: OnUpdated, onDeleted: OnDeleted): Promise<void> {
    return this.getWithCallbacks('formula-associations', clientId, currentVersion, onNewVersion, onUpdated, onDeleted);
  }

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
