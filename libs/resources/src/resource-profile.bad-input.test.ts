import { describe, expect, it } from 'vitest';
import { parseResourceProfile } from './resource-profile';

// Every field of a profile, out of range, of the wrong type or misspelt: the error names the
// field path under the file it came from and the allowed values.
describe('parseResourceProfile on bad input', () => {
  it.each([
    [null, 'bad.json must be an object, got null'],
    ['incident', 'bad.json must be an object, got "incident"'],
    [{ name: '  ' }, 'bad.json.name must be a non-empty string, got "  "'],
    [{ name: 4 }, 'bad.json.name must be a non-empty string, got 4'],
    [{ name: 'x', description: 7 }, 'bad.json.description must be a non-empty string, got 7'],
    [{ name: 'x', neighbors: { count: 2 } }, 'bad.json has unknown field neighbors: allowed are name, description, task, container, neighbours'],
    [{ name: 'x', task: 4 }, 'bad.json.task must be an object, got 4'],
    [{ name: 'x', task: { cpu: 0 } }, 'bad.json.task.cpu must be an integer from 1 to 10240, got 0'],
    [{ name: 'x', task: { cpu: 10241 } }, 'bad.json.task.cpu must be an integer from 1 to 10240, got 10241'],
    [{ name: 'x', task: { memory: 5 } }, 'bad.json.task.memory must be an integer from 6 to 1048576, got 5'],
    [{ name: 'x', task: { memoryReservation: 256 } }, 'bad.json.task has unknown field memoryReservation: allowed are cpu, memory'],
    [{ name: 'x', container: [] }, 'bad.json.container must be an object, got []'],
    [{ name: 'x', container: { cpu: '4' } }, 'bad.json.container.cpu must be an integer from 0 to 10240, got "4"'],
    [{ name: 'x', container: { cpu: 2.5 } }, 'bad.json.container.cpu must be an integer from 0 to 10240, got 2.5'],
    [{ name: 'x', container: { memory: 4 } }, 'bad.json.container.memory must be an integer from 6 to 1048576, got 4'],
    [{ name: 'x', container: { memory: 2 ** 21 } }, 'bad.json.container.memory must be an integer from 6 to 1048576, got 2097152'],
    [{ name: 'x', container: { memoryReservation: 3 } }, 'bad.json.container.memoryReservation must be an integer from 4 to 1048576, got 3'],
    [{ name: 'x', container: { memoryReservation: null } }, 'bad.json.container.memoryReservation must be an integer from 4 to 1048576, got null'],
    [{ name: 'x', container: { cpu: 4, memroy: 256 } }, 'bad.json.container has unknown field memroy: allowed are cpu, memory, memoryReservation'],
    [{ name: 'x', container: { a: 1, b: 2 } }, 'bad.json.container has unknown fields a, b'],
    [{ name: 'x', neighbours: [] }, 'bad.json.neighbours must be an object, got []'],
    [{ name: 'x', neighbours: {} }, 'bad.json.neighbours.count must be an integer from 0 to 64, got undefined'],
    [{ name: 'x', neighbours: { count: 65 } }, 'bad.json.neighbours.count must be an integer from 0 to 64, got 65'],
    [{ name: 'x', neighbours: { count: 2, cpu: 1 } }, 'bad.json.neighbours.cpu must be an integer from 2 to 10240, got 1'],
    [{ name: 'x', neighbours: { count: 2, shares: 1024 } }, 'bad.json.neighbours has unknown field shares: allowed are count, cpu'],
  ])('%j is refused: %s', (input, message) => {
    expect(() => parseResourceProfile(input, 'bad.json')).toThrow(message);
  });

  it('reports the first problem of a profile with several', () => {
    expect(() => parseResourceProfile({ name: 'x', task: { cpu: -1 }, container: { cpu: -1 } }, 'bad.json')).toThrow(/^bad\.json\.task\.cpu /);
  });
});
