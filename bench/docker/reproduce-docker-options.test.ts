import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE, parseDockerReproduceOptions } from './reproduce-docker-options';

describe('parseDockerReproduceOptions', () => {
  it('defaults to legacy and all fixes at recommended, then legacy at incident, in the standard order', () => {
    const options = parseDockerReproduceOptions([])!;
    expect(options.scenarios.map((s) => s.id)).toEqual(['none@recommended', 'all@recommended', 'none@incident']);
    expect(options).toMatchObject({ image: DEFAULT_IMAGE, data: 'scaled-incident', scale: 1, churn: 0.002, deadlineSeconds: 30, out: 'reports/reproduce-docker' });
  });

  it('adds the reference run a projection needs', () => {
    expect(parseDockerReproduceOptions(['--only', 'batching@incident'])!.scenarios.map((s) => s.id)).toEqual(['batching@recommended', 'batching@incident']);
  });

  it('names the option and the fix on bad input', () => {
    expect(() => parseDockerReproduceOptions(['--only', 'none@nowhere'])).toThrow('--only names unknown scenarios none@nowhere: use ids from --help');
    expect(() => parseDockerReproduceOptions(['--deadline', 'soon'])).toThrow('--deadline is "soon": use a number from 1 to 3600');
    expect(() => parseDockerReproduceOptions(['--only', ','])).toThrow(/--only is empty/);
    expect(parseDockerReproduceOptions(['--help'])).toBeUndefined();
  });
});
