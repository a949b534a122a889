// Evaluation of a parsed runs query (see query.ts): each node becomes a closure once, so a
// keystroke costs one tree walk per row and no parsing.
import type { ParamValue } from './api/types';
import type { EvalContext, KeyRef, Literal, Op, Predicate, QueryNode, QueryUses } from './query';
import { runFormat } from './runFormat';
import type { RunRow } from './table';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Actual = ParamValue | undefined;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function asNumber(v: string): number | null {
  return NUMBER.test(v.trim()) ? Number(v) : null;
}

function textMatches(actual: string, value: Literal): boolean {
  return value.regex ? value.regex.test(actual) : actual.toLowerCase().includes(value.lower);
}

/** One value against one literal, for the positive operators (= < <= > >= ~). */
function matchOne(actual: ParamValue, op: Op, value: Literal): boolean {
  if (actual === null) return false;
  if (Array.isArray(actual)) return actual.some((a) => matchOne(a, op, value));
  if (op === '~') return textMatches(String(actual), value);
  if (typeof actual === 'boolean') {
    if (op !== '=') return false;
    if (value.bool !== null) return actual === value.bool;
    if (value.num !== null) return (actual ? 1 : 0) === value.num;
    return String(actual) === value.lower;
  }
  const n = typeof actual === 'number' ? actual : value.num !== null ? asNumber(actual) : null;
  if (n !== null && value.num !== null) {
    switch (op) {
      case '=':
        return n === value.num;
      case '<':
        return n < value.num;
      case '<=':
        return n <= value.num;
      case '>':
        return n > value.num;
      case '>=':
        return n >= value.num;
    }
  }
  if (typeof actual === 'number') return op === '=' && String(actual) === value.lower;
  const order = op === '=' ? (actual.toLowerCase() === value.lower ? 0 : 1) : collator.compare(actual, value.text);
  switch (op) {
    case '=':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
  return false;
}

function matches(actual: Actual, op: Op, value: Literal): boolean {
  const missing = actual === undefined || actual === null;
  if (op === '!=') return missing || !matchOne(actual, '=', value);
  if (op === '!~') return missing || !matchOne(actual, '~', value);
  return !missing && matchOne(actual, op, value);
}

type Getter = (row: RunRow, ctx: EvalContext) => Actual;

function getter(key: KeyRef): Getter {
  if (key.kind === 'param') {
    const k = key.key;
    return (row, ctx) => ctx.params(row.key)[k];
  }
  if (key.kind === 'metric') {
    const { name, agg } = key;
    return (row, ctx) => ctx.values(row.key)[name]?.[agg] ?? undefined;
  }
  switch (key.field) {
    case 'name':
      return (row) => row.run.name;
    case 'path':
      return (row) => row.run.path;
    case 'state':
      return (row) => row.run.state;
    case 'format':
      return (row) => runFormat(row.run);
    case 'group':
      return (row) => row.run.group ?? undefined;
    case 'phase':
      return (row) => row.run.phase ?? undefined;
    case 'score':
      return (row) => row.run.score ?? undefined;
    case 'progress':
      return (row) => row.run.progress ?? undefined;
    case 'epoch':
      return (row) => row.run.epoch ?? undefined;
    case 'server':
      return (row, ctx) => [ctx.serverName(row.serverId), row.serverId];
    case 'tag':
      return (row, ctx) => ctx.annotations(row.key).tags;
    case 'starred':
      return (row, ctx) => ctx.annotations(row.key).starred;
    case 'note':
      return (row, ctx) => ctx.annotations(row.key).note;
  }
}

/** The lowercased text a bare word is looked for in (name, path, group, phase, state); rows never change. */
const haystacks = new WeakMap<RunRow, string>();
function haystack(row: RunRow): string {
  let h = haystacks.get(row);
  if (h === undefined) {
    const r = row.run;
    h = `${r.name}\n${r.path}\n${r.group ?? ''}\n${r.phase ?? ''}\n${r.state}`.toLowerCase();
    haystacks.set(row, h);
  }
  return h;
}

export function toPredicate(node: QueryNode): Predicate {
  switch (node.type) {
    case 'all':
      return () => true;
    case 'and': {
      const a = toPredicate(node.left);
      const b = toPredicate(node.right);
      return (row, ctx) => a(row, ctx) && b(row, ctx);
    }
    case 'or': {
      const a = toPredicate(node.left);
      const b = toPredicate(node.right);
      return (row, ctx) => a(row, ctx) || b(row, ctx);
    }
    case 'not': {
      const a = toPredicate(node.expr);
      return (row, ctx) => !a(row, ctx);
    }
    case 'starred':
      return (row, ctx) => ctx.annotations(row.key).starred;
    case 'text': {
      const word = node.text;
      return (row, ctx) => haystack(row).includes(word) || ctx.serverName(row.serverId).toLowerCase().includes(word);
    }
    case 'cmp': {
      const get = getter(node.key);
      const { op, value } = node;
      if (node.key.kind === 'field' && node.key.field === 'starred') {
        const want = (value.bool ?? value.num === 1) === (op === '=');
        return (row, ctx) => ctx.annotations(row.key).starred === want;
      }
      return (row, ctx) => matches(get(row, ctx), op, value);
    }
    case 'in': {
      const get = getter(node.key);
      const { values, negated } = node;
      return (row, ctx) => {
        const actual = get(row, ctx);
        const any = actual !== undefined && actual !== null && values.some((v) => matchOne(actual, '=', v));
        return negated ? !any : any;
      };
    }
  }
}

export function collectUses(node: QueryNode, uses: QueryUses): void {
  switch (node.type) {
    case 'and':
    case 'or':
      collectUses(node.left, uses);
      collectUses(node.right, uses);
      return;
    case 'not':
      collectUses(node.expr, uses);
      return;
    case 'starred':
      uses.annotations = true;
      return;
    case 'cmp':
    case 'in':
      if (node.key.kind === 'param') uses.params = true;
      else if (node.key.kind === 'metric') uses.metrics = true;
      else if (node.key.field === 'tag' || node.key.field === 'starred' || node.key.field === 'note') uses.annotations = true;
      return;
  }
}

