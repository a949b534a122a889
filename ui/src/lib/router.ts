/** A parsed hash route: "#/run/srv/abc?x=1" → { parts: ["run","srv","abc"], query }. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  let text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text.startsWith('/')) text = text.slice(1);
  const q = text.indexOf('?');
  const path = q >= 0 ? text.slice(0, q) : text;
  const query = new URLSearchParams(q >= 0 ? text.slice(q + 1) : '');
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, query };
}

export function href(...parts: string[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

export interface RunRef {
  serverId: string;
  runId: string;
}

/** "#/compare?runs=srv:id,srv2:id2" for the given runs. Server ids never contain ':'. */
export function compareHref(runs: RunRef[]): string {
  const list = runs.map((r) => `${encodeURIComponent(r.serverId)}:${encodeURIComponent(r.runId)}`).join(',');
  return `#/compare?runs=${list}`;
}

export function parseCompareRuns(value: string | null): RunRef[] {
  if (!value) return [];
  const out: RunRef[] = [];
  for (const item of value.split(',')) {
    const i = item.indexOf(':');
    if (i <= 0 || i === item.length - 1) continue;
    out.push({ serverId: item.slice(0, i), runId: item.slice(i + 1) });
  }
  return out;
}

/**
 * Replaces the hash route's query (view state: chart settings, filters) without a new history
 * entry and without a hashchange, so Back, reload and a copied link restore the view.
 */
export function replaceHashQuery(queryText: string): void {
  if (typeof location === 'undefined') return;
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : location.hash;
  const q = hash.indexOf('?');
  const path = q >= 0 ? hash.slice(0, q) : hash;
  const next = `#${path}${queryText ? `?${queryText}` : ''}`;
  if (next !== location.hash) history.replaceState(history.state, '', next);
}
