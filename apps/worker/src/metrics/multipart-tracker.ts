import type { S3Client } from '@aws-sdk/client-s3';

export type MultipartEvent = 'created' | 'completed' | 'aborted';

/**
 * Watches the S3 client for multipart uploads: one is open from a successful
 * CreateMultipartUpload until a successful CompleteMultipartUpload or AbortMultipartUpload.
 * What is still open at shutdown is what a lifecycle rule will have to remove.
 */
export class MultipartTracker {
  private readonly open = new Map<string, string>();
  private readonly seen: Record<MultipartEvent, number> = { created: 0, completed: 0, aborted: 0 };

  constructor(private readonly listener: (event: MultipartEvent) => void = () => undefined) {}

  private onEvent(event: MultipartEvent): void {
    this.seen[event] += 1;
    this.listener(event);
  }

  /** Uploads created, completed and aborted since start. */
  counts(): Readonly<Record<MultipartEvent, number>> {
    return { ...this.seen };
  }

  attach(s3: S3Client): void {
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { Key?: string; UploadId?: string };
        const output = result.output as { UploadId?: string };
        switch (context.commandName) {
          case 'CreateMultipartUploadCommand':
            if (output.UploadId) {
              this.open.set(output.UploadId, input.Key ?? '');
              this.onEvent('created');
            }
            break;
          case 'CompleteMultipartUploadCommand':
          case 'AbortMultipartUploadCommand':
            if (input.UploadId && this.open.delete(input.UploadId)) {
              this.onEvent(context.commandName === 'CompleteMultipartUploadCommand' ? 'completed' : 'aborted');
            }
            break;
        }
        return result;
      },
      { step: 'initialize', name: 'storageWorkerMultipartTracker', override: true },
    );
  }

  /** Uploads neither completed nor aborted: key and upload id. */
  openUploads(): Array<{ key: string; uploadId: string }> {
    return [...this.open.entries()].map(([uploadId, key]) => ({ key, uploadId }));
  }
}
