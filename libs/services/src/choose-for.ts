import type { DockerProbeResult } from './docker-probe';
import { chooseProvider, type ProviderChoice } from './provider-choice';
import type { ResolvedProvisionOptions } from './provision-options';
import type { ServiceKind } from './service-types';
import { containerImages } from './testcontainers/container-plans';

export interface EmbeddedAvailability {
  available: boolean;
  detail: string;
}

/**
 * Gathers the facts for one service and chooses its provider. Docker is asked only when
 * its answer can change the choice.
 */
export async function chooseFor(
  kind: ServiceKind,
  options: ResolvedProvisionOptions,
  environmentConfigured: boolean,
  embedded: () => EmbeddedAvailability,
): Promise<ProviderChoice> {
  const dockerMatters =
    options.requested === 'testcontainers' || (options.requested === undefined && !environmentConfigured);
  const wanted = containerImages(kind, options.env);
  const docker: DockerProbeResult = dockerMatters ? await options.probeDocker(options.env, wanted) : { reachable: false, detail: 'not asked' };
  const embeddedFacts = embedded();
  const choice = chooseProvider(kind, {
    environmentConfigured,
    dockerReachable: docker.reachable,
    dockerDetail: docker.detail,
    embeddedAvailable: embeddedFacts.available,
    embeddedDetail: embeddedFacts.detail,
    requested: options.requested,
  });
  // A probe that names no image (a caller's own) leaves the best candidate.
  return choice.provider === 'testcontainers' ? { ...choice, image: docker.images?.[0] ?? wanted[0]!.alternatives[0]! } : choice;
}
