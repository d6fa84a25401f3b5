import { describe, expect, it } from 'vitest';
import { compareRowKeys } from './rows';

describe('compareRowKeys', () => {
  it('orders bigint ids as PostgreSQL does', () => {
    const ids = ['10', '-3', '9', '0', '-12', '100', '-1', '9223372036854775807', '-9223372036854775808'];
    expect([...ids].sort(compareRowKeys)).toEqual([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)));
  });
});
