import type { IncomingMessage } from 'node:http';

/** Control bodies are a few fields; anything larger is refused before it is buffered. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A request the API refuses, with the status and the field at fault. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Reads a JSON object body; an empty body is `{}`. */
export async function readJsonObject(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    throw new RequestError(413, 'body-too-large', `the body is ${declared} bytes: the limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RequestError(413, 'body-too-large', `the body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new RequestError(415, 'unsupported-media-type', `the body is ${type || 'untyped'}: send Content-Type: application/json`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, 'invalid-json', `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError(400, 'invalid-body', `the body must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The optional fields a run request may carry. */
export interface RunRequestBody {
  /** Why the run was started, kept with the run and logged. */
  readonly reason: string | undefined;
}

export const MAX_REASON_LENGTH = 200;

export function parseRunRequestBody(body: Record<string, unknown>): RunRequestBody {
  for (const field of Object.keys(body)) {
    if (field !== 'reason') throw new RequestError(400, 'unknown-field', `field ${JSON.stringify(field)} is not accepted: the only field is "reason"`, field);
  }
  const reason = body['reason'];
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
    throw new RequestError(400, 'invalid-field', `field "reason" must be a string of at most ${MAX_REASON_LENGTH} characters`, 'reason');
  }
  return { reason };
}

/** A client id from the path: a positive integer. */
export function parseClientIdParam(text: string): number {
  const value = Number(text);
  if (!/^\d{1,10}$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new RequestError(400, 'invalid-field', `field "clientId" (in the path) must be a positive integer, got ${JSON.stringify(decodeURIComponentSafe(text))}`, 'clientId');
  }
  return value;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
