import type { ServiceKind } from './service-types';

/** No provider could supply a service; `attempts` says what was tried and why each was passed over. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';

  constructor(
    readonly kind: ServiceKind,
    readonly attempts: readonly string[],
    readonly fix: string,
  ) {
    super(`No ${kind} service could be provisioned.\n${attempts.map((a) => `  - ${a}`).join('\n')}\nFix: ${fix}`);
  }
}
