import { describe, expect, it } from 'vitest';
import { HandoffChannel } from './handoff-channel';

describe('HandoffChannel', () => {
  it('resolves each push only when the consumer takes the item, in order', async () => {
    const channel = new HandoffChannel<number>();
    const taken: number[] = [];
    const producer = (async () => {
      for (const n of [1, 2, 3]) {
        await channel.push(n);
        taken.push(n);
      }
      channel.close();
    })();
    const received: number[] = [];
    for await (const n of channel) {
      received.push(n);
      // The producer is held until this item is taken: it cannot run ahead by more than one.
      expect(taken.length).toBeGreaterThanOrEqual(n - 1);
      expect(taken.length).toBeLessThanOrEqual(n);
    }
    await producer;
    expect(received).toEqual([1, 2, 3]);
  });

  it('ends the consumer with the producer error', async () => {
    const channel = new HandoffChannel<number>();
    void channel.push(1).then(() => channel.fail(new Error('connection lost')));
    const received: number[] = [];
    await expect(
      (async () => {
        for await (const n of channel) received.push(n);
      })(),
    ).rejects.toThrow('connection lost');
    expect(received).toEqual([1]);
  });

  it('rejects the producer when the consumer stops reading', async () => {
    const channel = new HandoffChannel<number>();
    const first = channel.push(1);
    for await (const n of channel) {
      expect(n).toBe(1);
      break;
    }
    await first;
    await expect(channel.push(2)).rejects.toThrow('the consumer stopped reading');
  });
});
