/**
 * A client id that is not in the source's clients table, from `update` and `verify`; the CLI
 * answers it as bad input (`--client N is not in …`, exit 2). The API asks `hasClient` first,
 * since it answers before its run starts.
 */
export class UnknownClientError extends Error {
  override readonly name = 'UnknownClientError';
  constructor(readonly clientId: number) {
    super(`clientId ${clientId} is not in the source's clients table: check the id`);
  }
}
