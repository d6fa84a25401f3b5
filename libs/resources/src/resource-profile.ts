/**
 * The resource settings of an ECS task definition that decide how the worker runs,
 * in the task definition's own units: CPU units (1024 = one vCPU) and MiB.
 */
export interface ResourceProfile {
  readonly name: string;
  readonly description: string;
  /** Task-level settings. A task-level `cpu` is a hard CFS quota (required on Fargate). */
  readonly task?: { readonly cpu?: number; readonly memory?: number };
  /**
   * Container-level settings. On the EC2 launch type `cpu` becomes Docker `CpuShares`, a
   * relative weight enforced only under contention; `memoryReservation` is a soft limit;
   * `memory` is the hard limit.
   */
  readonly container: { readonly cpu?: number; readonly memory?: number; readonly memoryReservation?: number };
  /** Busy processes that compete for the CPU, as other tasks on a busy host do. */
  readonly neighbours?: { readonly count: number; readonly cpu: number };
}

/** ECS accepts container `cpu` from 0 to 10 vCPU worth of units; more is a typo. */
const MAX_CPU_UNITS = 10 * 1024;
const MAX_MEMORY_MIB = 1024 * 1024;
const MAX_NEIGHBOURS = 64;

/**
 * Validates a profile read from a file or a request. Errors name the field path and the
 * allowed range, e.g. `container.memoryReservation must be ≤ container.memory (512)`.
 */
export function parseResourceProfile(input: unknown, source = 'profile'): ResourceProfile {
  const at = (field: string) => `${source}.${field}`;
  const object = requireObject(input, source);
  const name = requireString(object['name'], at('name'));
  const description = object['description'] === undefined ? '' : requireString(object['description'], at('description'));
  rejectUnknown(object, ['name', 'description', 'task', 'container', 'neighbours'], source);

  let task: ResourceProfile['task'];
  if (object['task'] !== undefined) {
    const t = requireObject(object['task'], at('task'));
    rejectUnknown(t, ['cpu', 'memory'], at('task'));
    task = {
      ...optionalInteger(t, 'cpu', at('task.cpu'), 1, MAX_CPU_UNITS),
      ...optionalInteger(t, 'memory', at('task.memory'), 6, MAX_MEMORY_MIB),
    };
  }

  const c = requireObject(object['container'] ?? {}, at('container'));
  rejectUnknown(c, ['cpu', 'memory', 'memoryReservation'], at('container'));
  const container = {
    ...optionalInteger(c, 'cpu', at('container.cpu'), 0, MAX_CPU_UNITS),
    ...optionalInteger(c, 'memory', at('container.memory'), 6, MAX_MEMORY_MIB),
    ...optionalInteger(c, 'memoryReservation', at('container.memoryReservation'), 4, MAX_MEMORY_MIB),
  };
  if (container.memory !== undefined && container.memoryReservation !== undefined && container.memoryReservation > container.memory) {
    throw new Error(`${at('container.memoryReservation')} (${container.memoryReservation}) must be ≤ ${at('container.memory')} (${container.memory})`);
  }
  if (task?.memory !== undefined && container.memory !== undefined && container.memory > task.memory) {
    throw new Error(`${at('container.memory')} (${container.memory}) must be ≤ ${at('task.memory')} (${task.memory})`);
  }

  let neighbours: ResourceProfile['neighbours'];
  if (object['neighbours'] !== undefined) {
    const n = requireObject(object['neighbours'], at('neighbours'));
    rejectUnknown(n, ['count', 'cpu'], at('neighbours'));
    neighbours = {
      count: requireInteger(n['count'], at('neighbours.count'), 0, MAX_NEIGHBOURS),
      cpu: requireInteger(n['cpu'] ?? 1024, at('neighbours.cpu'), 2, MAX_CPU_UNITS),
    };
  }

  return { name, description, ...(task ? { task } : {}), container, ...(neighbours ? { neighbours } : {}) };
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new Error(`${field} must be an object, got ${JSON.stringify(value)}`);
}

function requireString(value: unknown, field: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new Error(`${field} must be a non-empty string, got ${JSON.stringify(value)}`);
}

function requireInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new Error(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
}

function optionalInteger<K extends string>(
  object: Record<string, unknown>,
  key: K,
  field: string,
  min: number,
  max: number,
): Partial<Record<K, number>> {
  if (object[key] === undefined) return {};
  return { [key]: requireInteger(object[key], field, min, max) } as Partial<Record<K, number>>;
}

function rejectUnknown(object: Record<string, unknown>, allowed: readonly string[], field: string): void {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new Error(`${field} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: allowed are ${allowed.join(', ')}`);
  }
}
