import { describe, expect, it } from 'vitest';
import { chooseProvider, parseProviderName, type ProviderFacts } from './provider-choice';
import { ServiceUnavailableError } from './service-unavailable-error';

const nothing: ProviderFacts = {
  environmentConfigured: false,
  dockerReachable: false,
  dockerDetail: '/var/run/docker.sock does not exist',
  embeddedAvailable: false,
  embeddedDetail: 'no redis-server on PATH',
};

describe('chooseProvider', () => {
  it('prefers the environment when its URL is set, even with Docker and embedded available', () => {
    const choice = chooseProvider('postgres', {
      ...nothing,
      environmentConfigured: true,
      dockerReachable: true,
      embeddedAvailable: true,
    });
    expect(choice.provider).toBe('environment');
    expect(choice.reason).toContain('DATABASE_URL is set');
  });

  it('uses Testcontainers when no URL is set and Docker answers', () => {
    const choice = chooseProvider('object-store', { ...nothing, dockerReachable: true, dockerDetail: 'HTTP 200', embeddedAvailable: true });
    expect(choice).toEqual({ provider: 'testcontainers', reason: 'a Docker engine can run it (HTTP 200); not environment: S3_ENDPOINT is not set' });
  });

  it('falls back to embedded when neither a URL nor Docker is there', () => {
    const choice = chooseProvider('redis', { ...nothing, embeddedAvailable: true, embeddedDetail: '/usr/bin/redis-server is on PATH' });
    expect(choice.provider).toBe('embedded');
    // One line: what served, then why each provider before it could not.
    expect(choice.reason).toBe(
      'embedded redis is available (/usr/bin/redis-server is on PATH); not environment: REDIS_URL is not set; not testcontainers: no Docker engine can run it (/var/run/docker.sock does not exist)',
    );
  });

  it('names every provider it tried and what to set when none can serve', () => {
    const attempt = () => chooseProvider('redis', nothing);
    expect(attempt).toThrow(ServiceUnavailableError);
    expect(attempt).toThrow(/environment: REDIS_URL is not set/);
    expect(attempt).toThrow(/testcontainers: no Docker engine can run it \(\/var\/run\/docker.sock does not exist\)/);
    expect(attempt).toThrow(/embedded: embedded redis is not available/);
    expect(attempt).toThrow(/Fix: set REDIS_URL/);
  });

  it('honours an explicit request and never falls back from it', () => {
    const facts = { ...nothing, environmentConfigured: true, embeddedAvailable: true };
    expect(chooseProvider('postgres', { ...facts, requested: 'embedded' }).provider).toBe('embedded');
    expect(() => chooseProvider('postgres', { ...facts, requested: 'testcontainers' })).toThrow(
      /testcontainers: no Docker engine can run it[\s\S]*unset SERVICES_PROVIDER/,
    );
  });
});

describe('parseProviderName', () => {
  it('accepts the three names and nothing else, naming the source of a bad value', () => {
    expect(parseProviderName('embedded', 'SERVICES_PROVIDER')).toBe('embedded');
    expect(parseProviderName(undefined, 'SERVICES_PROVIDER')).toBeUndefined();
    expect(parseProviderName('', 'SERVICES_PROVIDER')).toBeUndefined();
    expect(() => parseProviderName('docker', 'SERVICES_PROVIDER')).toThrow(
      "SERVICES_PROVIDER is 'docker': set it to one of environment, testcontainers, embedded",
    );
  });
});
