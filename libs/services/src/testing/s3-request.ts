/** The S3 operations a fault rule can tell apart, from a path-style request line. */
export type S3Operation =
  | 'HeadBucket'
  | 'ListObjects'
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'Other';

export interface S3Request {
  readonly method: string;
  readonly operation: S3Operation;
  readonly bucket: string;
  /** The object key, decoded; empty for bucket operations. */
  readonly key: string;
  /** Set for UploadPart. */
  readonly partNumber: number | undefined;
}

/** Names the operation of a path-style request (`/bucket/key?query`), as the SDK sends it with `forcePathStyle`. */
export function parseS3Request(method: string, url: string): S3Request {
  const parsed = new URL(url, 'http://proxy.invalid');
  const [, bucket = '', ...rest] = parsed.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const query = parsed.searchParams;
  const part = query.get('partNumber');
  return {
    method,
    operation: operationOf(method.toUpperCase(), key, query),
    bucket: decodeURIComponent(bucket),
    key,
    partNumber: part === null ? undefined : Number(part),
  };
}

function operationOf(method: string, key: string, query: URLSearchParams): S3Operation {
  if (key === '') {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'GET') return 'ListObjects';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return 'Other';
  }
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'PUT' && query.has('uploadId')) return 'UploadPart';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'PUT') return 'PutObject';
  if (method === 'DELETE') return 'DeleteObject';
  return 'Other';
}
