// Autocomplete for the runs query (query.ts): keys where a key may start, operators after a key,
// values after an operator (states, tags, a param's values seen in the runs).
import { RUN_FORMATS, RUN_STATES } from './api/types';
import { METRIC_AGGS, QUERY_FIELDS, resolveKeyName, tokenize, quoteIfNeeded, type KeyRef, type QuerySchema, type Token } from './query';

export type CompletionKind = 'field' | 'param' | 'metric' | 'function' | 'value' | 'operator' | 'keyword';

export interface Completion {
  /** What the list shows. */
  label: string;
  /** What replaces the text from `from` to `to`. */
  insert: string;
  kind: CompletionKind;
  detail?: string;
}

export interface CompletionResult {
  from: number;
  to: number;
  items: Completion[];
}

export interface CompleteSchema extends QuerySchema {
  tags: readonly string[];
  /** Values seen for a param (for `model = …`); may be empty. */
  paramValues?: (key: string) => readonly string[];
}

const FIELD_DETAIL: Record<string, string> = {
  name: 'run name',
  path: 'path under results',
  state: RUN_STATES.slice(0, 4).join(' | ') + ' …',
  format: RUN_FORMATS.join(' | '),
  group: 'folder',
  server: 'server name',
  tag: 'any of the tags',
  starred: 'starred runs',
  note: 'note text',
  phase: 'train, val, …',
  score: 'number',
  progress: '0 … 1',
  epoch: 'number',
};

const OPERATORS: Completion[] = [
  { label: '=', insert: '= ', kind: 'operator', detail: 'equals' },
  { label: '!=', insert: '!= ', kind: 'operator', detail: 'differs' },
  { label: '<', insert: '< ', kind: 'operator' },
  { label: '<=', insert: '<= ', kind: 'operator' },
  { label: '>', insert: '> ', kind: 'operator' },
  { label: '>=', insert: '>= ', kind: 'operator' },
  { label: '~', insert: '~ ', kind: 'operator', detail: 'contains, or ~ /regex/' },
  { label: 'in', insert: 'in (', kind: 'operator', detail: 'in (a, b)' },
];

const LIMIT = 60;

/** Ranks `candidates` containing `prefix`: starts with it, then a dotted segment starting with it, then anywhere. */
function rank<T extends { label: string }>(items: T[], prefix: string): T[] {
  const p = prefix.toLowerCase();
  if (p === '') return items.slice(0, LIMIT);
  const scored: { item: T; score: number }[] = [];
  for (const item of items) {
    const l = item.label.toLowerCase();
    const at = l.indexOf(p);
    if (at < 0) continue;
    const score = at === 0 ? 0 : l[at - 1] === '.' || l[at - 1] === '_' || l[at - 1] === '(' ? 1 : 2;
    scored.push({ item, score });
  }
  scored.sort((a, b) => a.score - b.score || a.item.label.length - b.item.label.length);
  return scored.slice(0, LIMIT).map((s) => s.item);
}

function keyItems(schema: CompleteSchema): Completion[] {
  const out: Completion[] = QUERY_FIELDS.map((f) => ({ label: f, insert: f === 'starred' ? 'starred ' : `${f} `, kind: 'field' as const, detail: FIELD_DETAIL[f] }));
  for (const k of schema.paramKeys) out.push({ label: k, insert: `${quoteIfNeeded(k)} `, kind: 'param', detail: 'param' });
  for (const m of schema.metricNames) out.push({ label: m, insert: `${quoteIfNeeded(m)} `, kind: 'metric', detail: 'metric, last value' });
  for (const agg of METRIC_AGGS) if (agg !== 'last') out.push({ label: `${agg}(`, insert: `${agg}(`, kind: 'function', detail: `${agg} of a metric` });
  return out;
}

function valueItems(key: KeyRef, schema: CompleteSchema): Completion[] {
  const values = (list: readonly string[], detail?: string) =>
    list.map((v) => ({ label: v, insert: `${quoteIfNeeded(v)} `, kind: 'value' as const, ...(detail ? { detail } : {}) }));
  if (key.kind === 'field') {
    if (key.field === 'state') return values(RUN_STATES);
    if (key.field === 'format') return values(RUN_FORMATS);
    if (key.field === 'tag') return values(schema.tags, 'tag');
    if (key.field === 'starred') return values(['true', 'false']);
    return [];
  }
  if (key.kind === 'param') return values(schema.paramValues?.(key.key) ?? []);
  return [];
}

/** The key of the comparison whose value starts after token `index` (an operator, `in (`, or a `,` in its list). */
function keyBefore(tokens: Token[], index: number, schema: QuerySchema): KeyRef | null {
  let i = index;
  const t = tokens[i];
  if (t.kind === 'lparen' || t.kind === 'comma') {
    // Walk back to the `in` of this list.
    while (i >= 0 && !(tokens[i].kind === 'word' && tokens[i].value.toLowerCase() === 'in')) {
      if (tokens[i].kind === 'rparen') return null;
      i--;
    }
    if (i < 0) return null;
    if (tokens[i - 1]?.kind === 'not') i--;
  }
  const k = tokens[i - 1];
  if (!k) return null;
  if (k.kind === 'rparen') {
    // min(loss) <
    const name = tokens[i - 2];
    const open = tokens[i - 3];
    const fn = tokens[i - 4];
    if (name && open?.kind === 'lparen' && fn?.kind === 'word' && (METRIC_AGGS as readonly string[]).includes(fn.value.toLowerCase()))
      return { kind: 'metric', name: name.value, agg: fn.value.toLowerCase() as 'min' };
    return null;
  }
  if (k.kind !== 'word' && k.kind !== 'string') return null;
  const ref = resolveKeyName(k.value, schema);
  return ref.ok ? ref.key : null;
}

/** Whether token `i` ends a complete comparison or term (so `and` / `or` may follow). */
function endsTerm(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  return t !== undefined && (t.kind === 'word' || t.kind === 'string' || t.kind === 'regex' || t.kind === 'rparen');
}

/** The completions at `cursor` in `text`, or null where there are none to offer. */
export function complete(text: string, cursor: number, schema: CompleteSchema): CompletionResult | null {
  // Nothing typed yet: no list over the table.
  if (text.slice(0, cursor).trim() === '') return null;
  const tokens = tokenize(text.slice(0, cursor), true);
  let from = cursor;
  let prefix = '';
  let last = tokens.length - 1;
  const current = tokens[last];
  if (current && current.end === cursor && (current.kind === 'word' || current.kind === 'string')) {
    from = current.start;
    prefix = current.value;
    last--;
  }
  // Replace the rest of the word under the cursor too.
  let to = cursor;
  while (to < text.length && !/[\s()=!<>~,"']/.test(text[to])) to++;
  if (current?.kind === 'string' && current.end === cursor && !current.raw.endsWith(current.raw[0]) && text[to] === current.raw[0]) to++;

  const prev = tokens[last];
  // After an operator or inside `in ( … )`: values.
  if (prev && (prev.kind === 'op' || ((prev.kind === 'lparen' || prev.kind === 'comma') && insideInList(tokens, last)))) {
    const key = keyBefore(tokens, last, schema);
    if (!key) return null;
    const items = rank(valueItems(key, schema), prefix);
    return items.length ? { from, to, items } : null;
  }
  // min( / max( / last(: metric names.
  if (prev?.kind === 'lparen' && tokens[last - 1]?.kind === 'word' && (METRIC_AGGS as readonly string[]).includes(tokens[last - 1].value.toLowerCase())) {
    const items = rank(
      schema.metricNames.map((m) => ({ label: m, insert: `${quoteIfNeeded(m)}) `, kind: 'metric' as const })),
      prefix,
    );
    return items.length ? { from, to, items } : null;
  }
  // Right after a key and a space: the operators.
  if (prefix === '' && prev && (prev.kind === 'word' || prev.kind === 'string' || prev.kind === 'rparen')) {
    const keyLike = prev.kind === 'rparen' ? isMetricCall(tokens, last) : isKeyPosition(tokens, last) && resolveKeyName(prev.value, schema).ok;
    if (keyLike && !(prev.kind === 'word' && prev.value.toLowerCase() === 'starred')) return { from, to, items: OPERATORS };
  }
  const items: Completion[] = [];
  if (endsTerm(tokens, last) && prefix !== '') {
    for (const kw of ['and', 'or', 'not']) if (kw.startsWith(prefix.toLowerCase()) && kw !== prefix.toLowerCase()) items.push({ label: kw, insert: `${kw} `, kind: 'keyword' });
  }
  items.push(...rank(keyItems(schema), prefix));
  const exact = items.length === 1 && items[0].label === prefix;
  return items.length && !exact ? { from, to, items } : null;
}

function insideInList(tokens: Token[], i: number): boolean {
  for (let j = i; j >= 0; j--) {
    const t = tokens[j];
    if (t.kind === 'rparen') return false;
    if (t.kind === 'lparen') return tokens[j - 1]?.kind === 'word' && tokens[j - 1].value.toLowerCase() === 'in';
  }
  return false;
}

function isMetricCall(tokens: Token[], i: number): boolean {
  const fn = tokens[i - 3];
  return tokens[i - 2]?.kind === 'lparen' && fn?.kind === 'word' && (METRIC_AGGS as readonly string[]).includes(fn.value.toLowerCase());
}

/** Whether token `i` stands where a key would (start, after `(`, `and`, `or`, `not`, or a finished comparison). */
function isKeyPosition(tokens: Token[], i: number): boolean {
  const before = tokens[i - 1];
  if (!before) return true;
  if (before.kind === 'lparen' || before.kind === 'not') return true;
  if (before.kind === 'word') {
    const w = before.value.toLowerCase();
    if (w === 'and' || w === 'or') return true;
    // `x = 1 lr`: the word after a finished comparison's value.
    return tokens[i - 2]?.kind === 'op';
  }
  return before.kind === 'string' || before.kind === 'regex' || before.kind === 'rparen';
}
