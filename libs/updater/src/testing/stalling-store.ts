import type { Target } from '@storage-builder/data-model';
import { SnapshotStore, type SnapshotStoreOptions } from '@storage-builder/snapshot';

/**
 * The in-process updater A's store: calls made with a target's lease held (a data upload,
 * a manifest PUT inside the fence, the clean-up after a commit) may stall the event loop.
 * With `unfencedStrays` (a mutation), every clean-up after a commit also deletes every data
 * object the target's manifest does not name, whatever fencing token wrote it.
 */
export class StallingStore extends SnapshotStore {
  constructor(
    options: SnapshotStoreOptions,
    private readonly stall: (where: string) => unknown,
    private readonly unfencedStrays: boolean,
  ) {
    super(options);
  }

  override upload(...args: Parameters<SnapshotStore['upload']>): ReturnType<SnapshotStore['upload']> {
    this.stall('A uploading a data object (lease held)');
    return super.upload(...args);
  }

  override async putSmall(key: string, body: string, conditions?: { ifMatch?: string; ifNoneMatch?: boolean }): Promise<string> {
    this.stall('A putting a manifest (inside the fence)');
    return super.putSmall(key, body, conditions);
  }

  override async deleteQuietly(target: Target, keys: readonly string[]): Promise<string[]> {
    this.stall('A cleaning up after a commit');
    const deleted = await super.deleteQuietly(target, keys);
    if (!this.unfencedStrays) return deleted;
    const { directory, manifest: manifestKey } = this.keys(target);
    const manifest = await this.getText(manifestKey);
    if (!manifest) return deleted;
    const parsed = JSON.parse(manifest.text) as { base: { key: string }; deltas: Array<{ key: string }> };
    const named = new Set([parsed.base.key, ...parsed.deltas.map((d) => d.key)]);
    const strays = (await this.listKeys(directory)).filter((key) => key.endsWith('.snap') && !named.has(key));
    deleted.push(...(await super.deleteQuietly(target, strays)));
    return deleted;
  }
}
