/**
 * A client id that is not in the source's clients table. Callers that answer a user (the
 * CLI's `--client`, the API's `/clients/:id/…`) turn it into their own bad-input answer.
 */
export class UnknownClientError extends Error {
  override readonly name = 'UnknownClientError';
  constructor(readonly clientId: number) {
    super(`clientId ${clientId} is not in the source's clients table: check the id`);
  }
}
