import { describe, expect, it } from 'vitest';
import { ReleaseStack } from './release-stack';

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

  it('runs every release when one fails, then throws the failure by label', async () => {
    const order: string[] = [];
    const stack = new ReleaseStack();
    stack.push('database', () => void order.push('database'));
    stack.push('bucket', () => {
      throw new Error('access denied');
    });
    await expect(stack.releaseAll()).rejects.toThrow('releasing bucket failed: access denied');
    expect(order).toEqual(['database']);
  });

  it('throws several failures together, naming each', async () => {
    const stack = new ReleaseStack();
    stack.push('pool', () => Promise.reject(new Error('timeout')));
    stack.push('server', () => {
      throw new Error('busy');
    });
    const error = await stack.releaseAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).message).toBe('releasing server failed: busy; releasing pool failed: timeout');
  });

  it('hands each failure to onError in release order and resolves, running every release', async () => {
    const order: string[] = [];
    const reported: Array<[string, string]> = [];
    const stack = new ReleaseStack();
    stack.push('runtime metrics', () => void order.push('runtime metrics'));
    stack.push('database pool', () => Promise.reject(new Error('end timed out')));
    stack.push('HTTP server', () => {
      throw new Error('not running');
    });
    await expect(stack.releaseAll((label, error) => reported.push([label, (error as Error).message]))).resolves.toBeUndefined();
    expect(reported).toEqual([
      ['HTTP server', 'not running'],
      ['database pool', 'end timed out'],
    ]);
    expect(order).toEqual(['runtime metrics']);
  });

  it('releases what a release pushes before the rest', async () => {
    const order: string[] = [];
    const stack = new ReleaseStack();
    stack.push('first', () => void order.push('first'));
    stack.push('second', () => {
      order.push('second');
      stack.push('opened while closing', () => void order.push('opened while closing'));
    });
    await stack.releaseAll();
    expect(order).toEqual(['second', 'opened while closing', 'first']);
  });
});
