import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONTAINER_PLANS, containerImages, isLocalStack, LOCALSTACK_CONTAINER, POSTGRES_CONTAINER, REAPER_IMAGE, STAND_IN_IMAGES } from './container-plans';
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
    const alternatives = (env: NodeJS.ProcessEnv, kind: 'postgres' | 'object-store' = 'postgres') => containerImages(kind, env).map((wanted) => wanted.alternatives);
    expect(alternatives({})).toEqual([[POSTGRES_CONTAINER.image, STAND_IN_IMAGES.postgres], [REAPER_IMAGE]]);
    expect(alternatives({ TESTCONTAINERS_RYUK_DISABLED: 'true' })).toEqual([[POSTGRES_CONTAINER.image, STAND_IN_IMAGES.postgres]]);
    expect(alternatives({ RYUK_CONTAINER_IMAGE: 'mirror/ryuk:1', S3_IMAGE: 'mirror/s3:2' }, 'object-store')).toEqual([['mirror/s3:2'], ['mirror/ryuk:1']]);
    expect(containerImages('redis', {})[1]!.fix).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
  });

  it('tells LocalStack from any other S3 image, and names the s3rver the embedded provider runs', () => {
    expect(isLocalStack(LOCALSTACK_CONTAINER.image)).toBe(true);
    expect(isLocalStack('mirror.example/localstack/localstack@sha256:00')).toBe(true);
    expect(isLocalStack(STAND_IN_IMAGES.s3)).toBe(false);
    const s3rver = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('s3rver/package.json'), 'utf8')) as { version: string };
    expect(STAND_IN_IMAGES.s3).toBe(`storage-builder/s3rver:${s3rver.version}`);
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
