import type { ChangeBatch, Target, Watermark } from '@storage-builder/data-model';
import { parseWatermark } from '@storage-builder/data-model';
import type { LegacyDataProvider } from '@storage-builder/source-db';
import { HandoffChannel } from './handoff-channel';

export interface LegacyFeed {
  readonly watermark: Watermark;
  /** One row or one deleted key per batch, each handed over by an awaited callback. */
  readonly batches: AsyncIterable<ChangeBatch>;
  /** Settles when the provider's read has ended; rejects with its error. */
  readonly finished: Promise<void>;
  /** Ends a read whose consumer will not come: the provider's next hand-over fails and it closes its transaction. */
  cancel(): Promise<void>;
}

/**
 * Reads a target the way the legacy worker did: through the callback provider, one
 * awaited `onUpdated` per item, each item handed to the serializer on its own.
 */
export async function openLegacyFeed(provider: LegacyDataProvider, target: Target, since: Watermark | null): Promise<LegacyFeed> {
  const channel = new HandoffChannel<ChangeBatch>();
  let announce!: (watermark: Watermark) => void;
  const announced = new Promise<Watermark>((resolve) => (announce = resolve));

  const finished = provider
    .getWithCallbacks(
      target.kind,
      target.clientId,
      since,
      (version) => announce(parseWatermark(version)),
      (item) => channel.push({ rows: [item], tombstones: [] }),
      (key) => channel.push({ rows: [], tombstones: [key] }),
    )
    .then(
      () => channel.close(),
      (error: unknown) => {
        channel.fail(error);
        throw error;
      },
    );

  // The provider announces the version before the first item; if it fails first, so does this.
  const watermark = await Promise.race([announced, finished.then(() => Promise.reject(new Error('the legacy provider ended without announcing a version')))]);
  return {
    watermark,
    batches: channel,
    finished,
    cancel: async () => {
      channel.cancel(new Error('the read was cancelled'));
      await finished.catch(() => undefined);
    },
  };
}
