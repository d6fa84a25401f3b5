import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONTAINER_PLANS, containerImages, LOCALSTACK_CONTAINER, POSTGRES_CONTAINER, REAPER_IMAGE } from './container-plans';
import { provisionObjectStore } from '../object-store-service';

describe('container plans', () => {
  it('pins every image to an explicit version', () => {
    for (const plan of CONTAINER_PLANS) {
      expect(plan.image).toMatch(/:\d+(\.\d+)+(-[a-z]+)?$/);
      expect(plan.image).not.toContain(':latest');
    }
  });

  it('keeps LocalStack on a 4.x image, which runs without an auth token, with S3 enabled', () => {
    expect(LOCALSTACK_CONTAINER.image).toMatch(/^localstack\/localstack:4\./);
    expect(LOCALSTACK_CONTAINER.environment.SERVICES.split(',')).toContain('s3');
    expect(LOCALSTACK_CONTAINER.port).toBe(4566);
  });
});

describe('containerImages', () => {
  it('names the reaper the installed testcontainers starts, unless it is disabled or replaced', () => {
    const reaperSource = readFileSync(createRequire(import.meta.url).resolve('testcontainers/build/reaper/reaper.js'), 'utf8');
    expect(reaperSource).toContain(`ImageName.fromString("${REAPER_IMAGE}")`);
    expect(containerImages('postgres', {})).toEqual([POSTGRES_CONTAINER.image, REAPER_IMAGE]);
    expect(containerImages('postgres', { TESTCONTAINERS_RYUK_DISABLED: 'true' })).toEqual([POSTGRES_CONTAINER.image]);
    expect(containerImages('object-store', { RYUK_CONTAINER_IMAGE: 'mirror/ryuk:1' })).toEqual([LOCALSTACK_CONTAINER.image, 'mirror/ryuk:1']);
  });
});

describe('the Testcontainers path without a Docker engine', () => {
  const noDocker = async () => ({ reachable: false, detail: 'test: no engine' });

  it('is refused with the probe result when requested and no engine answers', async () => {
    await expect(provisionObjectStore({ env: {}, provider: 'testcontainers', probeDocker: noDocker })).rejects.toThrow(
      /testcontainers: no Docker engine can run it \(test: no engine\)/,
    );
  });
});
