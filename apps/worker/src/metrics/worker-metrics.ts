import type { ProgressEvent, TargetResult } from '@storage-builder/updater';
import type { MetricFamily, Sample } from './prometheus-text';

type Key = string;
const keyOf = (labels: Record<string, string>): Key => JSON.stringify(labels);

class LabelledCounter {
  private readonly values = new Map<Key, { labels: Record<string, string>; value: number }>();
  add(labels: Record<string, string>, by = 1): void {
    const key = keyOf(labels);
    const current = this.values.get(key);
    if (current) current.value += by;
    else this.values.set(key, { labels, value: by });
  }
  samples(suffix?: string): Sample[] {
    return [...this.values.values()].map(({ labels, value }) => ({ labels, value, ...(suffix ? { suffix } : {}) }));
  }
}

/** Counters of what the updater did in this process, fed by its progress events. */
export class WorkerMetrics {
  private readonly targets = new LabelledCounter();
  private readonly rows = new LabelledCounter();
  private readonly bytes = new LabelledCounter();
  private readonly durationSum = new LabelledCounter();
  private readonly durationCount = new LabelledCounter();
  private readonly retries = new LabelledCounter();
  private readonly runs = new LabelledCounter();
  private readonly multipart = new LabelledCounter();
  private running = 0;
  private openUploads = 0;

  /** A progress listener: pass it as the updater's `onProgress`. */
  readonly onProgress = (event: ProgressEvent): void => {
    if (event.type === 'target-finished') this.recordTarget(event.result);
    if (event.type === 'target-retrying') this.retries.add({ kind: event.target.kind });
  };

  recordTarget(result: TargetResult): void {
    const mode = result.state === 'completed' ? result.mode : 'none';
    this.targets.add({ state: result.state, mode });
    if (result.state === 'completed') {
      this.rows.add({ mode }, result.rows);
      this.bytes.add({ mode }, result.bytes);
    }
    if (result.state !== 'skipped') {
      this.durationSum.add({ state: result.state }, result.durationMs / 1000);
      this.durationCount.add({ state: result.state });
    }
  }

  runStarted(): void {
    this.running += 1;
  }

  runFinished(outcome: 'completed' | 'failed-targets' | 'aborted' | 'error'): void {
    this.running -= 1;
    this.runs.add({ outcome });
  }

  /** Multipart uploads as the S3 client saw them: an upload is open from Create until Complete or Abort succeeds. */
  multipartEvent(event: 'created' | 'completed' | 'aborted'): void {
    this.multipart.add({ event });
    this.openUploads += event === 'created' ? 1 : -1;
  }

  get openMultipartUploads(): number {
    return this.openUploads;
  }

  families(): MetricFamily[] {
    return [
      { name: 'storage_worker_targets_total', help: 'Targets processed, by final state and sync mode (full or incremental; none unless completed).', type: 'counter', samples: this.targets.samples() },
      { name: 'storage_worker_rows_total', help: 'Rows written into snapshots by completed targets, by sync mode.', type: 'counter', samples: this.rows.samples() },
      { name: 'storage_worker_bytes_total', help: 'Snapshot bytes uploaded by completed targets, by sync mode.', type: 'counter', samples: this.bytes.samples() },
      {
        name: 'storage_worker_target_duration_seconds',
        help: 'Wall time of targets, by final state.',
        type: 'summary',
        samples: [...this.durationSum.samples('_sum'), ...this.durationCount.samples('_count')],
      },
      { name: 'storage_worker_target_retries_total', help: 'Retried target attempts (network, transient database or S3 failures), by kind.', type: 'counter', samples: this.retries.samples() },
      { name: 'storage_worker_runs_total', help: 'Runs finished in this process, by outcome.', type: 'counter', samples: this.runs.samples() },
      { name: 'storage_worker_runs_in_progress', help: 'Runs in progress in this process.', type: 'gauge', samples: [{ value: this.running }] },
      { name: 'storage_worker_multipart_uploads_total', help: 'Multipart upload lifecycle events seen by the S3 client.', type: 'counter', samples: this.multipart.samples() },
      { name: 'storage_worker_multipart_uploads_open', help: 'Multipart uploads created and neither completed nor aborted.', type: 'gauge', samples: [{ value: this.openUploads }] },
    ];
  }
}
