import { ServiceUnavailableError } from './service-unavailable-error';
import type { ProviderName, ServiceKind } from './service-types';

/** The variable that, when set, makes the environment provide a service. */
export const ENVIRONMENT_VARIABLE: Record<ServiceKind, string> = {
  postgres: 'DATABASE_URL',
  'object-store': 'S3_ENDPOINT',
  redis: 'REDIS_URL',
};

/** Set to force one provider for every service (`environment`, `testcontainers` or `embedded`). */
export const PROVIDER_OVERRIDE_VARIABLE = 'SERVICES_PROVIDER';

const PROVIDER_NAMES: readonly ProviderName[] = ['environment', 'testcontainers', 'embedded'];

/** What is known about the machine when a service is asked for. */
export interface ProviderFacts {
  environmentConfigured: boolean;
  /** An engine answered and holds or can pull the service's images; `dockerDetail` says what failed. */
  dockerReachable: boolean;
  dockerDetail: string;
  embeddedAvailable: boolean;
  embeddedDetail: string;
  /** A provider asked for explicitly, by option or by `SERVICES_PROVIDER`. */
  requested?: ProviderName | undefined;
}

export interface ProviderChoice {
  provider: ProviderName;
  reason: string;
  /** With `testcontainers`: the image the service's container runs. */
  image?: string;
}

/**
 * Picks a provider: environment URL first, then a reachable Docker engine, then embedded.
 * An explicit request is honoured or refused with the reason; it never falls back silently.
 */
export function chooseProvider(kind: ServiceKind, facts: ProviderFacts): ProviderChoice {
  const variable = ENVIRONMENT_VARIABLE[kind];
  const verdicts: Record<ProviderName, { ok: boolean; why: string }> = {
    environment: facts.environmentConfigured
      ? { ok: true, why: `${variable} is set` }
      : { ok: false, why: `${variable} is not set` },
    testcontainers: facts.dockerReachable
      ? { ok: true, why: `a Docker engine can run it (${facts.dockerDetail})` }
      : { ok: false, why: `no Docker engine can run it (${facts.dockerDetail})` },
    embedded: facts.embeddedAvailable
      ? { ok: true, why: `embedded ${kind} is available (${facts.embeddedDetail})` }
      : { ok: false, why: `embedded ${kind} is not available (${facts.embeddedDetail})` },
  };

  const candidates = facts.requested ? [facts.requested] : PROVIDER_NAMES;
  for (const [index, provider] of candidates.entries()) {
    const verdict = verdicts[provider];
    if (verdict.ok) {
      // A fallback says, on the same line, why each provider before it could not serve.
      const passedOver = candidates.slice(0, index).map((p) => `; not ${p}: ${verdicts[p].why}`).join('');
      return { provider, reason: facts.requested ? `requested explicitly; ${verdict.why}` : `${verdict.why}${passedOver}` };
    }
  }

  const attempts = candidates.map((p) => `${p}: ${verdicts[p].why}`);
  const fix = facts.requested
    ? `provide ${kind} through '${facts.requested}' as described above, or unset ${PROVIDER_OVERRIDE_VARIABLE} to let the provider be chosen`
    : `set ${variable} to a running ${kind}, start a Docker engine that has or can pull the images, or install the embedded option`;
  throw new ServiceUnavailableError(kind, attempts, fix);
}

/** Reads and validates a provider name (from an option or `SERVICES_PROVIDER`). */
export function parseProviderName(value: string | undefined, source: string): ProviderName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((PROVIDER_NAMES as readonly string[]).includes(value)) return value as ProviderName;
  throw new Error(`${source} is '${value}': set it to one of ${PROVIDER_NAMES.join(', ')}, or leave it unset`);
}
