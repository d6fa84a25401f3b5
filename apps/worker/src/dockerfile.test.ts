import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP = path.join(ROOT, 'apps/worker');
const dockerfile = readFileSync(path.join(APP, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((line) => !line.trim().startsWith('#'));
/** The bundle `npm run build:worker` writes; the image has neither the TypeScript sources nor tsx. */
const START = 'node --max-semi-space-size=1 --max-old-space-size=256 apps/worker/dist/main.mjs';

describe('apps/worker/Dockerfile', () => {
  it('copies only paths that exist in the repository (the build context)', () => {
    const sources = lines
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
  });

  it('is multi-stage on Node 22 slim, bundles in a build stage, ships only the bundle, runs as non-root with a health check', () => {
    const froms = lines.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:22-bookworm-slim\b/);
    expect(dockerfile).toMatch(/npm ci --workspace apps\/worker --include-workspace-root/);
    expect(dockerfile).toMatch(/RUN npm run build:worker/);
    const runtime = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM '))).join('\n');
    expect(runtime).toMatch(/COPY --from=build \S+\/apps\/worker\/dist\/main\.mjs/);
    // Its one RUN removes the base image's package managers; past that it installs nothing and loads no TypeScript.
    const runs = runtime.split('\n').filter((line) => line.startsWith('RUN '));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.split(/\s+/).slice(0, 3)).toEqual(['RUN', 'rm', '-rf']);
    expect(runs[0]!.split(/\s+/)).toEqual(expect.arrayContaining(['/usr/local/lib/node_modules', '/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/bin/corepack']));
    expect(runtime.replace(runs[0]!, ''), 'the runtime stage installs nothing and loads no TypeScript').not.toMatch(/node_modules|npm |tsx|\.ts\b/);
    const users = lines.filter((line) => line.startsWith('USER '));
    expect(users.at(-1)).toMatch(/^USER (node|[1-9]\d*)$/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('starts with the command the README documents', () => {
    const cmd = lines.find((line) => line.startsWith('CMD '));
    expect((JSON.parse(cmd!.slice(4)) as string[]).join(' ')).toBe(START);
    const readme = readFileSync(path.join(APP, 'README.md'), 'utf8');
    expect(readme).toContain(START);
    expect(readme).toContain('docker build -f apps/worker/Dockerfile');
  });

  it('has its ignore rules at the root of its build context, where every builder reads them', () => {
    const rules = readFileSync(path.join(APP, '../../.dockerignore'), 'utf8');
    expect(rules).toContain('**/node_modules');
  });
});
