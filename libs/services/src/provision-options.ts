import { probeDocker, type DockerProbeResult, type WantedImage } from './docker-probe';
import { parseProviderName, PROVIDER_OVERRIDE_VARIABLE } from './provider-choice';
import { sanitizeLabel } from './local-resources';
import type { ProviderName } from './service-types';

/** Options shared by every `provision*` function. All are optional. */
export interface ProvisionOptions {
  /**
   * Where URLs and `SERVICES_PROVIDER` are read from.
   * @defaultValue `process.env`
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Use this provider or fail; overrides `SERVICES_PROVIDER`.
   * @defaultValue chosen: environment, then Testcontainers, then embedded
   */
  provider?: ProviderName;
  /**
   * Appears in the names of databases, buckets and key prefixes, to tell runs apart.
   * @defaultValue `'run'`
   */
  label?: string;
  /**
   * Asks whether a Docker engine answers and, for each wanted image, which alternative it holds or can pull.
   * @defaultValue a `/_ping` of `DOCKER_HOST` or `/var/run/docker.sock`, then an image inspect or registry lookup per image
   */
  probeDocker?: (env: NodeJS.ProcessEnv, wanted: readonly WantedImage[]) => Promise<DockerProbeResult>;
}

export interface ResolvedProvisionOptions {
  env: NodeJS.ProcessEnv;
  requested: ProviderName | undefined;
  label: string;
  probeDocker: (env: NodeJS.ProcessEnv, wanted: readonly WantedImage[]) => Promise<DockerProbeResult>;
}

export const DEFAULT_LABEL = 'run';

export function resolveProvisionOptions(options: ProvisionOptions): ResolvedProvisionOptions {
  const env = options.env ?? process.env;
  const requested =
    parseProviderName(options.provider, 'the provider option') ??
    parseProviderName(env[PROVIDER_OVERRIDE_VARIABLE], PROVIDER_OVERRIDE_VARIABLE);
  return {
    env,
    requested,
    label: sanitizeLabel(options.label ?? DEFAULT_LABEL),
    probeDocker: options.probeDocker ?? probeDocker,
  };
}
