import { parseDataKind, type DataKind } from './data-kinds';

/** One snapshot chain: the data of one kind for one client. */
export interface Target {
  readonly clientId: number;
  readonly kind: DataKind;
}

/** A stable text id for a target, used in object keys, queue job ids and logs: `client-42/raw-data`. */
export function targetId(target: Target): string {
  return `client-${target.clientId}/${target.kind}`;
}

export function parseClientId(value: unknown, source = 'clientId'): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number) && number > 0 && number <= 2_147_483_647) return number;
  throw new Error(`${source} is ${JSON.stringify(value)}: a client id is a positive 32-bit integer`);
}

export function parseTargetId(value: string): Target {
  const match = /^client-(\d+)\/([a-z-]+)$/.exec(value);
  if (!match) throw new Error(`target id ${JSON.stringify(value)} is not of the form client-<id>/<kind>`);
  return { clientId: parseClientId(match[1], 'target client id'), kind: parseDataKind(match[2], 'target kind') };
}
