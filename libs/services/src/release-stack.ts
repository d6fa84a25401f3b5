import { ReleaseStack } from '@storage-builder/resources';

/** Runs `build` with a fresh stack; if it throws, everything pushed so far is released before rethrowing. */
export async function withReleaseOnFailure<T>(build: (stack: ReleaseStack) => Promise<T>): Promise<T> {
  const stack = new ReleaseStack();
  try {
    return await build(stack);
  } catch (error) {
    await stack.releaseAll().catch(() => undefined);
    throw error;
  }
}
