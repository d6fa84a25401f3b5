import { batchedStrategy } from './batched-serializer';
import { legacyStrategy } from './legacy-serializer';
import type { SerializerStrategyDefinition } from './serializer-strategy';
import { streamingStrategy } from './streaming-serializer';

/**
 * Every serializer strategy by name: the names the configuration accepts are this record's
 * keys, so a strategy is added here and in a file of its own, and nowhere else.
 */
export const SERIALIZERS = {
  legacy: legacyStrategy,
  batched: batchedStrategy,
  streaming: streamingStrategy,
} as const satisfies Record<string, SerializerStrategyDefinition>;

/** How rows reach the encoder; every strategy writes the same bytes. */
export type SerializerStrategy = keyof typeof SERIALIZERS;
export const SERIALIZER_STRATEGIES = Object.keys(SERIALIZERS) as readonly SerializerStrategy[];
export const DEFAULT_SERIALIZER_STRATEGY: SerializerStrategy = 'streaming';

/** The definition of `name`; a name that is not in the registry fails, naming the ones that are. */
export function serializerStrategy(name: string): SerializerStrategyDefinition {
  if (!Object.hasOwn(SERIALIZERS, name)) throw new Error(`strategy is ${JSON.stringify(name)}: use one of ${SERIALIZER_STRATEGIES.join(', ')}`);
  return SERIALIZERS[name as SerializerStrategy];
}
