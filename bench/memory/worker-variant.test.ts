import { describe, expect, it } from 'vitest';
import { imageEnv, imageNodeFlags, parseVariant } from './worker-variant';

const DOCKERFILE = ['FROM node:22 AS build', 'ENV BUILD_ONLY=1', 'FROM node:22-slim', 'ENV NODE_ENV=production PORT=8080', 'ENV MALLOC_ARENA_MAX=2', 'CMD ["node", "--max-semi-space-size=1", "apps/worker/dist/main.mjs"]'].join('\n');

describe('worker variants', () => {
  it('runs the image with its runtime stage’s ENV and its CMD’s flags', () => {
    expect(imageEnv(DOCKERFILE)).toEqual({ NODE_ENV: 'production', PORT: '8080', MALLOC_ARENA_MAX: '2' });
    expect(imageNodeFlags(DOCKERFILE)).toEqual(['--max-semi-space-size=1']);
    const image = parseVariant('image');
    expect(image.env).toEqual(imageEnv());
    expect(image.nodeArgs).toEqual(imageNodeFlags());
  });

  it('takes NAME=value words as environment and the rest as node flags', () => {
    const variant = parseVariant('bundle:--max-semi-space-size=2 MALLOC_ARENA_MAX=4 --expose-gc');
    expect(variant.nodeArgs).toEqual(['--max-semi-space-size=2', '--expose-gc']);
    expect(variant.env).toEqual({ MALLOC_ARENA_MAX: '4' });
    expect(parseVariant('image:MALLOC_ARENA_MAX=8').env['MALLOC_ARENA_MAX']).toBe('8');
  });

  it('names the expected form of a bad variant or ENV line', () => {
    expect(() => parseVariant('docker')).toThrow(/start with one of image, bundle, tsx/);
    expect(() => imageEnv('FROM x\nENV JUSTANAME')).toThrow(/expected ENV NAME=value/);
  });
});
