import type { ReleaseStack } from '@storage-builder/resources';
import type { ServiceHandle } from './service-types';

/** Gives a handle's fields `stop()` and `[Symbol.asyncDispose]`, both releasing `stack` once. */
export function makeHandle<T extends Omit<ServiceHandle, 'stop' | typeof Symbol.asyncDispose>>(
  fields: T,
  stack: ReleaseStack,
): T & ServiceHandle {
  const stop = () => stack.releaseAll();
  return { ...fields, stop, [Symbol.asyncDispose]: stop };
}
