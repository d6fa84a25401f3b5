import pg from 'pg';

/** The only client encoding the worker reads with: its text decoding assumes UTF-8. */
export const SOURCE_CLIENT_ENCODING = 'UTF8';

export interface SourcePoolOptions {
  readonly connectionString: string;
  readonly max: number;
}

/**
 * The pool every source connection comes from. Rows reach the worker as text (`COPY ...
 * TO STDOUT` in change-feed.ts, parsed as UTF-8 by copy-text-parser.ts, and query
 * results), so the server must convert from the database encoding (LATIN1, WIN1252,
 * ...) to UTF-8 for us: that is `client_encoding`. If it were anything else, bytes would
 * be decoded wrongly without any error. (A SQL_ASCII database is never converted: its
 * bytes arrive as stored, and any that are not UTF-8 still decode as U+FFFD.)
 *
 * node-postgres (pure JS; pg 8.16, pg-protocol 1.16) already appends `client_encoding=UTF8` to
 * every startup message, after any `options=-c ...`, and ignores `client_encoding` in
 * the config, the connection string and PGCLIENTENCODING; a startup parameter also
 * outranks ALTER ROLE/DATABASE ... SET. So with the JS driver UTF8 wins over anything a
 * connection string or the environment asks for, which is what the worker needs: it
 * cannot read any other encoding. Setting it here too states the requirement in one
 * place and carries it to pg-native (libpq), which uses this value unless the connection
 * string names its own. openChangeFeed checks the setting at the start of every read.
 */
export function createSourcePool(options: SourcePoolOptions): pg.Pool {
  return new pg.Pool({ connectionString: options.connectionString, max: options.max, client_encoding: SOURCE_CLIENT_ENCODING });
}
