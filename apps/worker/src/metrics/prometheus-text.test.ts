import { describe, expect, it } from 'vitest';
import { renderPrometheus } from './prometheus-text';

describe('renderPrometheus', () => {
  it('writes HELP, TYPE and samples with escaped labels', () => {
    const text = renderPrometheus([
      { name: 'jobs_total', help: 'Jobs done.', type: 'counter', samples: [{ labels: { state: 'ok' }, value: 3 }, { labels: { state: 'a"b\\c\nd' }, value: 1 }] },
      { name: 'lag_seconds', help: 'Lag.', type: 'summary', samples: [{ suffix: '_sum', value: 1.5 }, { suffix: '_count', value: 2 }, { value: NaN, labels: { quantile: '0.5' } }] },
    ]);
    expect(text).toBe(
      [
        '# HELP jobs_total Jobs done.',
        '# TYPE jobs_total counter',
        'jobs_total{state="ok"} 3',
        'jobs_total{state="a\\"b\\\\c\\nd"} 1',
        '# HELP lag_seconds Lag.',
        '# TYPE lag_seconds summary',
        'lag_seconds_sum 1.5',
        'lag_seconds_count 2',
        'lag_seconds{quantile="0.5"} NaN',
        '',
      ].join('\n'),
    );
  });

  it('refuses a name Prometheus would reject', () => {
    expect(() => renderPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(/bad-name/);
  });
});
