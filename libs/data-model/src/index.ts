export { DATA_KINDS, isDataKind, parseDataKind, perKind } from './data-kinds';
export type { DataKind } from './data-kinds';
export { KIND_SCHEMAS } from './kind-schemas';
export type { ColumnSpec, KindSchema } from './kind-schemas';
export type { ChangeBatch, RowKey, RowValues } from './rows';
export { compareWatermarks, parseWatermark } from './watermark';
export type { Watermark } from './watermark';
export { parseClientId, parseTargetId, targetId } from './target';
export type { Target } from './target';
