/** A URL without its password, for logs and error messages: postgres://app:***@db:5432/source. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Every password in URLs anywhere in `text`, replaced. */
export function redactUrlsIn(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)([^\s@/"]+)@/gi, '$1***@');
}

/** The secret values a process must never print, derived from its configuration. */
export function secretsOf(values: ReadonlyArray<string | undefined>): string[] {
  const secrets = new Set<string>();
  for (const value of values) {
    if (value === undefined || value.length < 4) continue;
    secrets.add(value);
    try {
      const password = new URL(value).password;
      if (password.length >= 4) {
        secrets.add(password);
        secrets.add(decodeURIComponent(password));
      }
    } catch {
      // not a URL: the value itself is the secret
    }
  }
  return [...secrets];
}

/**
 * Wraps a line writer so that no secret and no URL password reaches it, whatever a library
 * put in a message (an error text that echoes a connection string, for instance).
 */
export function redactingWriter(write: (line: string) => void, secrets: readonly string[]): (line: string) => void {
  return (line) => {
    let safe = redactUrlsIn(line);
    for (const secret of secrets) safe = safe.split(secret).join('***');
    write(safe);
  };
}
