import { describe, expect, it } from 'vitest';
import { bearerChecker } from './bearer-auth';

describe('bearerChecker', () => {
  const check = bearerChecker('a-long-enough-control-token-123');
  it('accepts the token', () => expect(check('Bearer a-long-enough-control-token-123')).toBe('ok'));
  it('says missing without a header or scheme', () => {
    expect(check(undefined)).toBe('missing');
    expect(check('Basic abc')).toBe('missing');
    expect(check('Bearer ')).toBe('missing');
  });
  it('says wrong for another token, shorter or longer', () => {
    expect(check('Bearer a')).toBe('wrong');
    expect(check('Bearer a-long-enough-control-token-1234')).toBe('wrong');
  });
});
