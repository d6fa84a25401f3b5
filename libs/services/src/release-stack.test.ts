import { describe, expect, it } from 'vitest';
import { withReleaseOnFailure } from './release-stack';

describe('withReleaseOnFailure', () => {
  it('releases what was built so far when building fails, and rethrows the original error', async () => {
    const released: string[] = [];
    await expect(
      withReleaseOnFailure(async (stack) => {
        stack.push('server', () => void released.push('server'));
        throw new Error('bucket creation failed');
      }),
    ).rejects.toThrow('bucket creation failed');
    expect(released).toEqual(['server']);
  });
});
