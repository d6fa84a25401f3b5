// The floors the worker's full sync is compared with: psql's COPY of every kind of the one
// measured client, compressed at level 1 natively and in Node (run by floor-child.ts).
import { DATA_KINDS } from '@storage-builder/data-model';
import { feedRowsCopy } from '@storage-builder/source-db';
import type { ChildConnection } from '../harness/measured-child';
import type { FloorRunSettings } from './floor-protocol';

/** The floor run of `connection`'s database: the same COPY statements the feed streams client 1's rows with. */
export function floorRunSettings(connection: ChildConnection): FloorRunSettings {
  return { ...connection, copyStatements: DATA_KINDS.map((kind) => feedRowsCopy(1, kind, null)) };
}
