// The runs filter: a small query language, compiled once to a predicate over table rows.
//
//   lr < 0.01 and model = "resnet50" and state = running
//   min(val_loss) <= 0.2 or tag = best        not starred        resnet (a bare word: name/path)
//
// Keys: the fields below, params (`lr` matches `lr` or a unique `….lr`; `params.lr` is always a
// param) and metrics (`loss` is its last value; `min(loss)`, `max(loss)`, `last(loss)`).
// Operators: = != < <= > >= ~ (contains, or a /regex/) !~, `in (a, b)`, `not in (…)`; `and`
// (also implied between two terms), `or`, `not` (or `!`), parentheses, quoted strings, numbers.
// Text compares case-insensitively. A run without the key never matches, except with != / !~.
import { RUN_FORMATS, RUN_STATES, type MetricValues, type RunAnnotations, type RunParams } from './api/types';
import type { RunRow } from './table';
import { collectUses, toPredicate } from './queryEval';

export const QUERY_FIELDS = [
  'name',
  'path',
  'state',
  'format',
  'group',
  'server',
  'tag',
  'starred',
  'note',
  'phase',
  'score',
  'progress',
  'epoch',
] as const;
export type QueryField = (typeof QUERY_FIELDS)[number];

/** What a key of the query refers to. */
export type KeyRef =
  | { kind: 'field'; field: QueryField }
  | { kind: 'param'; key: string }
  | { kind: 'metric'; name: string; agg: MetricAgg };
export type MetricAgg = 'last' | 'min' | 'max';
export const METRIC_AGGS: readonly MetricAgg[] = ['last', 'min', 'max'];

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~';

/** The keys a query may name (known from the loaded runs). */
export interface QuerySchema {
  paramKeys: readonly string[];
  metricNames: readonly string[];
}

/** What the predicate reads about a row (the runs store, or a fake in tests). */
export interface EvalContext {
  params(rowKey: string): RunParams;
  values(rowKey: string): Readonly<Record<string, MetricValues>>;
  annotations(rowKey: string): RunAnnotations;
  serverName(serverId: string): string;
}

export type Predicate = (row: RunRow, ctx: EvalContext) => boolean;

/** A query that could not be read: the message and the span of text it is about. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

// ---------------------------------------------------------------- tokens

export type TokenKind = 'word' | 'string' | 'regex' | 'op' | 'not' | 'lparen' | 'rparen' | 'comma';
export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  raw: string;
  /** A word's text, a string's unescaped content, an operator, a regex's pattern. */
  value: string;
  /** A regex's flags. */
  flags?: string;
  start: number;
  end: number;
}

const WORD_BREAK = new Set([' ', '\t', '\n', '\r', '(', ')', ',', '=', '!', '<', '>', '~', '"', "'"]);

/**
 * Splits a query into tokens. `lenient` (for autocomplete) ends an unterminated string or regex at
 * the end of the text instead of failing.
 */
export function tokenize(text: string, lenient = false): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value = text.slice(start, end), flags?: string) =>
    out.push({ kind, raw: text.slice(start, end), value, start, end, ...(flags !== undefined ? { flags } : {}) });
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      push(c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', i, i + 1);
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i];
        if (d === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (d === c) {
          closed = true;
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      if (!closed && !lenient) throw new QueryError(`unterminated string: add a closing ${c}`, start, text.length);
      push('string', start, i, value);
    } else if (c === '/' && out.length > 0 && out[out.length - 1].kind === 'op' && out[out.length - 1].value.endsWith('~')) {
      i++;
      let pattern = '';
      let closed = false;
      let inClass = false;
      while (i < text.length) {
        const d = text[i];
        if (d === '\\' && i + 1 < text.length) {
          pattern += d + text[i + 1];
          i += 2;
          continue;
        }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) {
          closed = true;
          i++;
          break;
        }
        pattern += d;
        i++;
      }
      if (!closed && !lenient) throw new QueryError('unterminated regex: add a closing /', start, text.length);
      const flagsStart = i;
      while (i < text.length && /[a-z]/i.test(text[i])) i++;
      push('regex', start, i, pattern, text.slice(flagsStart, i));
    } else if (c === '<' || c === '>') {
      const two = text[i + 1] === '=';
      push('op', i, i + (two ? 2 : 1));
      i += two ? 2 : 1;
    } else if (c === '=') {
      const two = text[i + 1] === '='; // "==" is read as "="
      push('op', i, i + (two ? 2 : 1), '=');
      i += two ? 2 : 1;
    } else if (c === '~') {
      push('op', i, i + 1);
      i++;
    } else if (c === '!') {
      if (text[i + 1] === '=' || text[i + 1] === '~') {
        push('op', i, i + 2);
        i += 2;
      } else {
        push('not', i, i + 1);
        i++;
      }
    } else {
      while (i < text.length && !WORD_BREAK.has(text[i])) i++;
      const raw = text.slice(start, i);
      push(raw.toLowerCase() === 'not' ? 'not' : 'word', start, i, raw);
    }
  }
  return out;
}

// ---------------------------------------------------------------- syntax tree

export interface Literal {
  text: string;
  lower: string;
  num: number | null;
  bool: boolean | null;
  regex: RegExp | null;
  start: number;
  end: number;
}

export type QueryNode =
  | { type: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { type: 'not'; expr: QueryNode }
  | { type: 'cmp'; key: KeyRef; op: Op; value: Literal }
  | { type: 'in'; key: KeyRef; values: Literal[]; negated: boolean }
  | { type: 'text'; text: string }
  | { type: 'starred' }
  | { type: 'all' };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'in']);
const isKeyword = (t: Token | undefined, word: string) => t !== undefined && t.kind === 'word' && t.value.toLowerCase() === word;

function shown(t: Token | undefined): string {
  return t ? `'${t.raw}'` : 'the end';
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
    private readonly schema: QuerySchema,
  ) {}

  parse(): QueryNode {
    if (this.tokens.length === 0) return { type: 'all' };
    const node = this.parseOr();
    const extra = this.peek();
    if (extra) {
      if (extra.kind === 'rparen') throw this.error(`unexpected ')' without a matching '('`, extra);
      throw this.error(`unexpected ${shown(extra)}`, extra);
    }
    return node;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  private next(): Token | undefined {
    return this.tokens[this.i++];
  }
  private error(message: string, at?: Token): QueryError {
    return at ? new QueryError(message, at.start, at.end) : new QueryError(message, this.text.length, this.text.length);
  }
  /** Whether a term could start at the next token (for an implied `and`). */
  private startsTerm(t: Token | undefined): boolean {
    if (!t) return false;
    if (t.kind === 'lparen' || t.kind === 'string' || t.kind === 'not') return true;
    return t.kind === 'word' && !isKeyword(t, 'and') && !isKeyword(t, 'or');
  }
  /** The operand after `and` / `or` / `not`, read by `parse`; an error when there is none. */
  private operand(after: Token, parse: () => QueryNode): QueryNode {
    const t = this.peek();
    if (!t || t.kind === 'rparen' || t.kind === 'comma' || isKeyword(t, 'and') || isKeyword(t, 'or'))
      throw this.error(`expected an expression after '${after.raw}'`, t ?? after);
    return parse();
  }

  private parseOr(): QueryNode {
    let left = this.parseAnd();
    while (isKeyword(this.peek(), 'or')) {
      const op = this.next()!;
      left = { type: 'or', left, right: this.operand(op, () => this.parseAnd()) };
    }
    return left;
  }

  private parseAnd(): QueryNode {
    let left = this.parseNot();
    for (;;) {
      const t = this.peek();
      if (isKeyword(t, 'and')) {
        this.next();
        left = { type: 'and', left, right: this.operand(t!, () => this.parseNot()) };
      } else if (this.startsTerm(t)) {
        left = { type: 'and', left, right: this.parseNot() };
      } else return left;
    }
  }

  private parseNot(): QueryNode {
    const t = this.peek();
    if (t?.kind === 'not') {
      this.next();
      return { type: 'not', expr: this.operand(t, () => this.parseNot()) };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): QueryNode {
    const t = this.next();
    if (!t) throw this.error('expected an expression');
    switch (t.kind) {
      case 'lparen': {
        if (this.peek()?.kind === 'rparen') throw this.error("empty '( )'", this.peek());
        const inner = this.parseOr();
        if (this.peek()?.kind !== 'rparen') throw new QueryError(`missing ')' to close the '(' at ${t.start + 1}`, t.start, t.end);
        this.next();
        return inner;
      }
      case 'rparen':
        throw this.error(`unexpected ')' without a matching '('`, t);
      case 'comma':
        throw this.error("unexpected ','", t);
      case 'op':
        throw this.error(`expected a key before '${t.value}'`, t);
      case 'regex':
        throw this.error('unexpected regex', t);
      case 'not':
        throw this.error(`expected an expression after '${t.raw}'`, t);
      case 'string':
      case 'word':
        return this.parseTerm(t);
    }
  }

  private parseTerm(t: Token): QueryNode {
    const lower = t.value.toLowerCase();
    if (t.kind === 'word' && (lower === 'and' || lower === 'or')) throw this.error(`expected an expression before '${t.raw}'`, t);
    if (t.kind === 'word' && lower === 'in') throw this.error("expected a key before 'in'", t);
    let key: KeyRef | null = null;
    let keyEnd = t;
    if (t.kind === 'word' && (METRIC_AGGS as readonly string[]).includes(lower) && this.peek()?.kind === 'lparen') {
      this.next();
      const name = this.next();
      if (!name || (name.kind !== 'word' && name.kind !== 'string'))
        throw this.error(`expected a metric name after '${t.raw}(', as in ${lower}(loss)`, name ?? t);
      const close = this.next();
      if (close?.kind !== 'rparen') throw this.error(`missing ')' after '${t.raw}(${name.raw}'`, close ?? name);
      key = this.resolveMetric(name, lower as MetricAgg);
      keyEnd = close;
    }
    const op = this.peek();
    const isIn = isKeyword(op, 'in') || (op?.kind === 'not' && isKeyword(this.peek(1), 'in'));
    if (op?.kind !== 'op' && !isIn) {
      if (key) throw this.error(`expected an operator after '${this.text.slice(t.start, keyEnd.end)}'`, op ?? keyEnd);
      if (t.kind === 'word' && lower === 'starred') return { type: 'starred' };
      return { type: 'text', text: t.value.toLowerCase() };
    }
    key ??= this.resolveKey(t);
    if (isIn) return this.parseIn(key, t);
    this.next();
    const operator = op!.value as Op;
    const v = this.next();
    if (!v || (v.kind !== 'word' && v.kind !== 'string' && v.kind !== 'regex') || (v.kind === 'word' && KEYWORDS.has(v.value.toLowerCase())))
      throw this.error(`expected a value after '${operator}'`, v ?? op);
    const value = this.literal(v);
    this.check(key, operator, value, t);
    return { type: 'cmp', key, op: operator, value };
  }

  private parseIn(key: KeyRef, keyToken: Token): QueryNode {
    const negated = this.peek()?.kind === 'not';
    if (negated) this.next();
    const inToken = this.next()!;
    const open = this.next();
    if (open?.kind !== 'lparen') throw this.error("expected '(' after 'in', as in state in (running, done)", open ?? inToken);
    const values: Literal[] = [];
    for (;;) {
      const v = this.next();
      if (!v || (v.kind !== 'word' && v.kind !== 'string')) {
        if (v?.kind === 'rparen' && values.length === 0) throw this.error("expected a value in 'in ( )'", v);
        throw this.error(v ? `expected a value in the list, not ${shown(v)}` : "missing ')' to close the list", v);
      }
      const value = this.literal(v);
      this.check(key, '=', value, keyToken);
      values.push(value);
      const sep = this.next();
      if (sep?.kind === 'rparen') break;
      if (sep?.kind !== 'comma') throw this.error(sep ? `expected ',' or ')' in the list, not ${shown(sep)}` : "missing ')' to close the list", sep);
    }
    return { type: 'in', key, values, negated };
  }

  private literal(t: Token): Literal {
    const text = t.value;
    const lower = text.toLowerCase();
    let regex: RegExp | null = null;
    if (t.kind === 'regex') {
      try {
        // Case-insensitive like the rest of the filter.
        const flags = t.flags ?? '';
        regex = new RegExp(text, flags.includes('i') ? flags : `${flags}i`);
      } catch (e) {
        throw new QueryError(`invalid regex: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, t.start, t.end);
      }
    }
    const num = t.kind !== 'regex' && NUMBER.test(text) ? Number(text) : null;
    const bool = t.kind === 'word' && (lower === 'true' || lower === 'false') ? lower === 'true' : null;
    return { text, lower, num, bool, regex, start: t.start, end: t.end };
  }

  /** Checks that an operator and value make sense for the key (states exist, starred is a flag). */
  private check(key: KeyRef, op: Op, value: Literal, keyToken: Token): void {
    const ordering = op === '<' || op === '<=' || op === '>' || op === '>=';
    const at = (message: string) => new QueryError(message, value.start, value.end);
    if (key.kind === 'metric') {
      if (op !== '~' && op !== '!~' && value.num === null) throw at(`expected a number after '${op}': ${keyLabel(key)} is a metric`);
      return;
    }
    if (key.kind === 'param') return;
    const field = key.field;
    if (field === 'starred') {
      if (op !== '=' && op !== '!=') throw new QueryError(`'${op}' does not apply to 'starred': write starred, not starred or starred = false`, keyToken.start, value.end);
      if (value.bool === null && value.num !== 0 && value.num !== 1) throw at("'starred' is true or false");
      return;
    }
    if ((field === 'score' || field === 'progress' || field === 'epoch') && ordering && value.num === null)
      throw at(`expected a number after '${op}'`);
    if (ordering && (field === 'tag' || field === 'state' || field === 'format')) throw new QueryError(`'${op}' does not apply to '${field}': use = != ~ or in`, keyToken.start, value.end);
    if (field === 'state' && (op === '=' || op === '!=') && !(RUN_STATES as readonly string[]).includes(value.lower)) {
      const close = closest(value.lower, RUN_STATES);
      throw at(`unknown state '${value.text}'${close ? ` — did you mean '${close}'?` : ''} (one of ${RUN_STATES.join(', ')})`);
    }
    if (field === 'format' && (op === '=' || op === '!=') && !(RUN_FORMATS as readonly string[]).includes(value.lower)) {
      const close = closest(value.lower, RUN_FORMATS);
      throw at(`unknown format '${value.text}'${close ? ` — did you mean '${close}'?` : ''} (one of ${RUN_FORMATS.join(', ')})`);
    }
  }

  private resolveMetric(name: Token, agg: MetricAgg): KeyRef {
    const metrics = this.schema.metricNames;
    if (metrics.includes(name.value)) return { kind: 'metric', name: name.value, agg };
    const insensitive = metrics.find((m) => m.toLowerCase() === name.value.toLowerCase());
    if (insensitive) return { kind: 'metric', name: insensitive, agg };
    const close = closest(name.value, metrics);
    throw new QueryError(`unknown metric '${name.value}'${close ? ` — did you mean '${close}'?` : ''}`, name.start, name.end);
  }

  private resolveKey(t: Token): KeyRef {
    const ref = resolveKeyName(t.value, this.schema);
    if (ref.ok) return ref.key;
    throw new QueryError(ref.message, t.start, t.end);
  }
}

/** The key a name refers to: a field, a param (exact, `params.x`, or a unique suffix) or a metric. */
export function resolveKeyName(name: string, schema: QuerySchema): { ok: true; key: KeyRef } | { ok: false; message: string } {
  const lower = name.toLowerCase();
  if ((QUERY_FIELDS as readonly string[]).includes(lower)) return { ok: true, key: { kind: 'field', field: lower as QueryField } };
  const params = schema.paramKeys;
  const explicit = lower.startsWith('params.') ? name.slice('params.'.length) : null;
  const wanted = explicit ?? name;
  if (params.includes(wanted)) return { ok: true, key: { kind: 'param', key: wanted } };
  const suffix = params.filter((k) => k.endsWith(`.${wanted}`));
  if (suffix.length === 1) return { ok: true, key: { kind: 'param', key: suffix[0] } };
  const insensitive = params.find((k) => k.toLowerCase() === wanted.toLowerCase());
  if (insensitive) return { ok: true, key: { kind: 'param', key: insensitive } };
  if (explicit === null) {
    if (schema.metricNames.includes(name)) return { ok: true, key: { kind: 'metric', name, agg: 'last' } };
    const metric = schema.metricNames.find((m) => m.toLowerCase() === lower);
    if (metric) return { ok: true, key: { kind: 'metric', name: metric, agg: 'last' } };
  }
  if (suffix.length > 1) {
    const shown = suffix.slice(0, 3).map((k) => `'${k}'`).join(', ');
    return { ok: false, message: `ambiguous key '${name}': write ${shown}${suffix.length > 3 ? ', …' : ''}` };
  }
  const candidates = explicit !== null ? params : [...QUERY_FIELDS, ...params, ...schema.metricNames, ...params.map((k) => k.slice(k.lastIndexOf('.') + 1))];
  const close = closest(wanted, candidates);
  const what = explicit !== null ? 'param' : 'key';
  return { ok: false, message: `unknown ${what} '${name}'${close ? ` — did you mean '${close}'?` : ''}` };
}

export function keyLabel(key: KeyRef): string {
  if (key.kind === 'field') return key.field;
  if (key.kind === 'param') return key.key;
  return key.agg === 'last' ? key.name : `${key.agg}(${key.name})`;
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The nearest candidate within a small edit distance, or null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - w.length) > limit) continue;
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance && d <= limit) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** What a compiled query reads, so a caller can depend on only those parts of the store. */
export interface QueryUses {
  params: boolean;
  metrics: boolean;
  annotations: boolean;
}

export interface CompiledQuery {
  predicate: Predicate;
  uses: QueryUses;
  /** True for an empty query (every row). */
  all: boolean;
}

/** Parses a query into its tree (throws QueryError). */
export function parseQuery(text: string, schema: QuerySchema): QueryNode {
  return new Parser(tokenize(text), text, schema).parse();
}

/** Compiles a query once into a predicate (throws QueryError with the position of the problem). */
export function compileQuery(text: string, schema: QuerySchema): CompiledQuery {
  const node = parseQuery(text, schema);
  const uses: QueryUses = { params: false, metrics: false, annotations: false };
  collectUses(node, uses);
  return { predicate: toPredicate(node), uses, all: node.type === 'all' };
}

/** Quotes a value or key for the query when it is not a plain word. */
export function quoteIfNeeded(text: string): string {
  if (text !== '' && ![...text].some((c) => WORD_BREAK.has(c)) && !KEYWORDS.has(text.toLowerCase())) return text;
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
