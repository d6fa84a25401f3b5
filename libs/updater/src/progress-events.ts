import type { Target } from '@storage-builder/data-model';
import type { Logger } from './logger';
import { errorMessage } from './logger';
import type { RunSummary, TargetResult } from './target-result';

/** What a progress bar or a status endpoint follows. */
export type ProgressEvent =
  | { readonly type: 'run-started'; readonly runId: string; readonly targets: number }
  | { readonly type: 'target-started'; readonly runId: string; readonly target: Target }
  | { readonly type: 'target-retrying'; readonly runId: string; readonly target: Target; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly type: 'target-finished'; readonly runId: string; readonly result: TargetResult; readonly done: number; readonly total: number }
  | { readonly type: 'run-finished'; readonly summary: RunSummary };

export type ProgressListener = (event: ProgressEvent) => void;

/** Delivers an event; a listener that throws is logged, never allowed to break the run. */
export function emitProgress(listener: ProgressListener | undefined, event: ProgressEvent, logger: Logger): void {
  if (!listener) return;
  try {
    listener(event);
  } catch (error) {
    logger.log('warn', 'progress listener threw', { event: event.type, error: errorMessage(error) });
  }
}
