import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthOutcome = 'ok' | 'missing' | 'wrong';

/**
 * Checks `Authorization: Bearer <token>`. Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the presented token.
 */
export function bearerChecker(expectedToken: string): (authorization: string | undefined) => AuthOutcome {
  const expected = createHash('sha256').update(expectedToken, 'utf8').digest();
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return 'missing';
    const presented = createHash('sha256').update(match[1], 'utf8').digest();
    return timingSafeEqual(presented, expected) ? 'ok' : 'wrong';
  };
}
