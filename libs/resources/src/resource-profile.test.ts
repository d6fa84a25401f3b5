import { describe, expect, it } from 'vitest';
import { parseResourceProfile } from './resource-profile';

describe('parseResourceProfile', () => {
  it('accepts a full profile and fills neighbour cpu with 1024', () => {
    expect(
      parseResourceProfile({
        name: 'incident',
        description: 'as deployed',
        task: { cpu: 4 },
        container: { cpu: 4, memoryReservation: 256 },
        neighbours: { count: 2 },
      }),
    ).toEqual({
      name: 'incident',
      description: 'as deployed',
      task: { cpu: 4 },
      container: { cpu: 4, memoryReservation: 256 },
      neighbours: { count: 2, cpu: 1024 },
    });
  });

  it.each([
    [{ container: {} }, 'incident.name must be a non-empty string, got undefined'],
    [{ name: 'x', container: { cpu: -1 } }, 'incident.container.cpu must be an integer from 0 to 10240, got -1'],
    [{ name: 'x', container: { memory: 128, memoryReservation: 256 } }, 'incident.container.memoryReservation (256) must be ≤ incident.container.memory (128)'],
    [{ name: 'x', task: { memory: 256 }, container: { memory: 512 } }, 'incident.container.memory (512) must be ≤ incident.task.memory (256)'],
    [{ name: 'x', container: { cpus: 4 } }, 'incident.container has unknown field cpus: allowed are cpu, memory, memoryReservation'],
    [{ name: 'x', container: {}, neighbours: { count: 1.5 } }, 'incident.neighbours.count must be an integer from 0 to 64, got 1.5'],
    [[], 'incident must be an object, got []'],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseResourceProfile(input, 'incident')).toThrow(message);
  });
});
