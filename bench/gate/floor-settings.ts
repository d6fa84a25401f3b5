// The floor the worker's full sync is compared with: psql's COPY of every kind of the one
// measured client, deflated at the worker's level, then one PUT (run by floor-child.ts).
import { DATA_KINDS } from '@storage-builder/data-model';
import { DEFAULT_DEFLATE_LEVEL } from '@storage-builder/snapshot';
import { feedRowsCopy } from '@storage-builder/source-db';
import type { ChildConnection } from '../harness/measured-child';
import type { FloorRunSettings } from './floor-protocol';

/** The floor run of `connection`'s database: the same COPY statements the feed streams client 1's rows with. */
export function floorRunSettings(connection: ChildConnection): FloorRunSettings {
  return { ...connection, copyStatements: DATA_KINDS.map((kind) => feedRowsCopy(1, kind, null)), deflateLevel: DEFAULT_DEFLATE_LEVEL };
}
