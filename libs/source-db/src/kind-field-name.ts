import type { DataKind } from '@storage-builder/data-model';

/**
 * A kind's name as a JavaScript identifier: `raw-data` → `rawData`. Profile files key their
 * row counts by it and the legacy provider names its methods after it; deriving it from
 * the kind, rather than writing it per kind, keeps it from ever disagreeing with the kind.
 */
export type KindFieldName<K extends string> = K extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<KindFieldName<Tail>>}` : K;

export function kindFieldName<K extends DataKind>(kind: K): KindFieldName<K> {
  return kind.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()) as KindFieldName<K>;
}
