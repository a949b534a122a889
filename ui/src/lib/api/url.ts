/** Normalises what a user typed as a server address: adds http://, drops a trailing slash and any path. */
export function normalizeServerUrl(input: string): string {
  let text = input.trim();
  if (text === '') throw new Error('Server URL is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = 'http://' + text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Not a valid URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error('Server URL must start with http:// or https://');
  }
  return url.origin;
}

/** The WebSocket address of a server's event stream. */
export function wsUrl(base: string): string {
  return base.replace(/^http/, 'ws') + '/api/v1/ws';
}

/** A short readable id for a server, unique among `taken`: "127.0.0.1-8080". */
export function serverIdFor(url: string, taken: Iterable<string>): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const base = `${u.hostname}-${port}`.replace(/[^a-zA-Z0-9.-]+/g, '-');
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!used.has(candidate)) return candidate;
  }
}
