import { describe, expect, it } from 'vitest';
import { ReleaseStack, withReleaseOnFailure } from './release-stack';

describe('ReleaseStack', () => {
  it('releases last-in-first-out, once, however often it is asked', async () => {
    const order: string[] = [];
    const stack = new ReleaseStack();
    stack.push('first', () => void order.push('first'));
    stack.push('second', async () => void order.push('second'));
    await Promise.all([stack.releaseAll(), stack.releaseAll()]);
    await stack.releaseAll();
    expect(order).toEqual(['second', 'first']);
  });

  it('runs every release when one fails, then reports the failure by label', async () => {
    const order: string[] = [];
    const stack = new ReleaseStack();
    stack.push('database', () => void order.push('database'));
    stack.push('bucket', () => {
      throw new Error('access denied');
    });
    await expect(stack.releaseAll()).rejects.toThrow('releasing bucket failed: access denied');
    expect(order).toEqual(['database']);
  });
});

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
