import { describe, expect, it } from 'vitest';
import type { MetricValues, RunAnnotations, RunParams } from './api/types';
import { compileQuery, parseQuery, QueryError, tokenize, type EvalContext, type QuerySchema } from './query';
import { complete } from './queryComplete';
import { rowKey, type RunRow } from './table';
import { makeRun } from './testdata';

interface Fixture {
  id: string;
  name?: string;
  state?: RunRow['run']['state'];
  format?: RunRow['run']['format'];
  group?: string | null;
  server?: string;
  params?: RunParams;
  values?: Record<string, MetricValues>;
  tags?: string[];
  starred?: boolean;
  note?: string;
}

function world(fixtures: Fixture[]) {
  const rows: RunRow[] = [];
  const params = new Map<string, RunParams>();
  const values = new Map<string, Record<string, MetricValues>>();
  const annotations = new Map<string, RunAnnotations>();
  for (const f of fixtures) {
    const serverId = f.server ?? 's1';
    const run = makeRun({ id: f.id, name: f.name ?? f.id, state: f.state ?? 'running', format: f.format, group: f.group === undefined ? 'proj' : f.group });
    const key = rowKey(serverId, f.id);
    rows.push({ key, serverId, run });
    params.set(key, f.params ?? {});
    values.set(key, f.values ?? {});
    annotations.set(key, { note: f.note ?? '', tags: f.tags ?? [], starred: f.starred ?? false, updated_at: null, updated_by: null });
  }
  const ctx: EvalContext = {
    params: (k) => params.get(k) ?? {},
    values: (k) => values.get(k) ?? {},
    annotations: (k) => annotations.get(k)!,
    serverName: (id) => ({ s1: 'gpu box', s2: 'cluster' })[id] ?? id,
  };
  const schema: QuerySchema = {
    paramKeys: [...new Set([...params.values()].flatMap((p) => Object.keys(p)))].sort(),
    metricNames: [...new Set([...values.values()].flatMap((v) => Object.keys(v)))].sort(),
  };
  const ids = (query: string) => {
    const q = compileQuery(query, schema);
    return rows.filter((r) => q.predicate(r, ctx)).map((r) => r.run.id);
  };
  return { rows, ctx, schema, ids };
}

const mv = (last: number, min: number, max: number): MetricValues => ({ last, min, max });

const runs = world([
  {
    id: 'a',
    name: 'resnet-lr0.1',
    state: 'running',
    params: { lr: 0.1, model: 'resnet50', 'optimizer.momentum': 0.9, seed: 1, use_amp: true, layers: [1, 2] },
    values: { loss: mv(0.5, 0.4, 2), acc: mv(0.7, 0.1, 0.7) },
    tags: ['best', 'paper'],
    starred: true,
    note: 'The good one',
  },
  {
    id: 'b',
    name: 'resnet-lr0.001',
    state: 'done',
    params: { lr: 0.001, model: 'resnet50', 'optimizer.momentum': 0.95, seed: 2, use_amp: false },
    values: { loss: mv(0.3, 0.2, 2.5), acc: mv(0.8, 0.1, 0.85) },
    tags: ['baseline'],
  },
  {
    id: 'c',
    name: 'vit-small',
    state: 'failed',
    group: 'vision',
    server: 's2',
    params: { lr: 1e-3, model: 'ViT-S', seed: 1, 'sched.name': 'cosine' },
    values: { loss: mv(1.2, 1.1, 3) },
  },
  { id: 'd', name: 'old-run', state: 'dead', group: null },
]);

describe('tokenize', () => {
  it('splits words, strings, operators, parentheses and regexes with positions', () => {
    const t = tokenize('lr<=1e-3 and (name ~ /res.*net/i or model="res 50")');
    expect(t.map((x) => `${x.kind}:${x.value}`)).toEqual([
      'word:lr',
      'op:<=',
      'word:1e-3',
      'word:and',
      'lparen:(',
      'word:name',
      'op:~',
      'regex:res.*net',
      'word:or',
      'word:model',
      'op:=',
      'string:res 50',
      'rparen:)',
    ]);
    expect(t[1]).toMatchObject({ start: 2, end: 4 });
    expect(t[7].flags).toBe('i');
  });
  it('reads "!" as not, "!=" and "!~" as operators, "==" as "="', () => {
    expect(tokenize('!starred').map((x) => x.kind)).toEqual(['not', 'word']);
    expect(tokenize('a != 1 b !~ x c == 2').filter((x) => x.kind === 'op').map((x) => x.value)).toEqual(['!=', '!~', '=']);
  });
  it('unescapes strings and keeps a slash outside a regex as part of a word', () => {
    expect(tokenize('"a \\"quoted\\" word"')[0].value).toBe('a "quoted" word');
    expect(tokenize('vision/resnet')[0]).toMatchObject({ kind: 'word', value: 'vision/resnet' });
  });
  it('fails on an unterminated string or regex, unless lenient', () => {
    expect(() => tokenize('model = "res')).toThrow(/unterminated string/);
    expect(() => tokenize('name ~ /abc')).toThrow(/unterminated regex/);
    expect(tokenize('model = "res', true)[2]).toMatchObject({ kind: 'string', value: 'res' });
  });
});

describe('parser', () => {
  it('gives "and" precedence over "or", and parentheses override it', () => {
    const p = parseQuery('a or b and c', runs.schema);
    expect(p.type).toBe('or');
    if (p.type === 'or') expect(p.right.type).toBe('and');
    const q = parseQuery('(a or b) and c', runs.schema);
    expect(q.type).toBe('and');
  });
  it('implies "and" between terms', () => {
    expect(parseQuery('resnet lr < 0.01', runs.schema).type).toBe('and');
  });
  it('parses an empty query as "everything"', () => {
    expect(parseQuery('   ', runs.schema).type).toBe('all');
    expect(runs.ids('')).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('errors', () => {
  const error = (query: string): QueryError => {
    try {
      compileQuery(query, runs.schema);
    } catch (e) {
      if (e instanceof QueryError) return e;
      throw e;
    }
    throw new Error(`no error for ${query}`);
  };

  it('names an unknown key and suggests the nearest one, at its position', () => {
    const e = error('lrr < 0.01');
    expect(e.message).toBe("unknown key 'lrr' — did you mean 'lr'?");
    expect([e.start, e.end]).toEqual([0, 3]);
    expect(error('lr = 1 and modle = a').message).toBe("unknown key 'modle' — did you mean 'model'?");
    expect(error('zzzzzz = 1').message).toBe("unknown key 'zzzzzz'");
    expect(error('params.mdel = 1').message).toBe("unknown param 'params.mdel' — did you mean 'model'?");
  });
  it('asks for a value after an operator', () => {
    const e = error('lr <');
    expect(e.message).toBe("expected a value after '<'");
    expect(e.start).toBe(3);
    expect(error('lr < and seed = 1').message).toBe("expected a value after '<'");
    expect(error('lr < )').message).toBe("expected a value after '<'");
  });
  it('asks for a key before an operator', () => {
    expect(error('< 3').message).toBe("expected a key before '<'");
  });
  it('reports unbalanced parentheses', () => {
    expect(error('(lr < 1').message).toBe("missing ')' to close the '(' at 1");
    expect(error('lr < 1)').message).toBe("unexpected ')' without a matching '('");
    expect(error('()').message).toBe("empty '( )'");
  });
  it('reports a missing operand of and / or / not', () => {
    expect(error('lr < 1 and').message).toBe("expected an expression after 'and'");
    expect(error('lr < 1 or').message).toBe("expected an expression after 'or'");
    expect(error('not').message).toBe("expected an expression after 'not'");
    expect(error('and lr < 1').message).toBe("expected an expression before 'and'");
  });
  it('checks in-lists', () => {
    expect(error('state in running').message).toBe("expected '(' after 'in', as in state in (running, done)");
    expect(error('state in ()').message).toBe("expected a value in 'in ( )'");
    expect(error('state in (running done)').message).toBe("expected ',' or ')' in the list, not 'done'");
    expect(error('state in (running,').message).toBe("missing ')' to close the list");
    expect(error('in (a)').message).toBe("expected a key before 'in'");
  });
  it('checks states, stars, metrics and numbers', () => {
    expect(error('state = runing').message).toMatch(/^unknown state 'runing' — did you mean 'running'\?/);
    expect(error('state in (done, faild)').message).toMatch(/did you mean 'failed'/);
    expect(error('starred = maybe').message).toBe("'starred' is true or false");
    expect(error('starred < 1').message).toMatch(/^'<' does not apply to 'starred'/);
    expect(error('tag > a').message).toBe("'>' does not apply to 'tag': use = != ~ or in");
    expect(error('loss < low').message).toBe("expected a number after '<': loss is a metric");
    expect(error('score > high').message).toBe("expected a number after '>'");
    expect(error('min(los) < 1').message).toBe("unknown metric 'los' — did you mean 'loss'?");
    expect(error('min() < 1').message).toBe("expected a metric name after 'min(', as in min(loss)");
    expect(error('min(loss < 1').message).toBe("missing ')' after 'min(loss'");
    expect(error('max(loss)').message).toBe("expected an operator after 'max(loss)'");
  });
  it('reports strings, regexes and ambiguous keys', () => {
    expect(error('model = "abc').message).toBe('unterminated string: add a closing "');
    expect(error('name ~ /a(/').message).toMatch(/^invalid regex/);
    const amb = world([{ id: 'x', params: { 'opt.lr': 1, 'sched.lr': 2 } }]);
    expect(() => compileQuery('lr < 1', amb.schema)).toThrow("ambiguous key 'lr': write 'opt.lr', 'sched.lr'");
    expect(amb.ids('opt.lr < 2')).toEqual(['x']);
  });
});

describe('evaluation', () => {
  it('filters by params with numbers, including 1e-3', () => {
    expect(runs.ids('lr < 0.01')).toEqual(['b', 'c']);
    expect(runs.ids('lr = 1e-3')).toEqual(['b', 'c']);
    expect(runs.ids('lr >= 0.1')).toEqual(['a']);
    expect(runs.ids('seed != 1')).toEqual(['b', 'd']); // a run without the param differs
  });
  it('compares text case-insensitively, by equality or contains or regex', () => {
    expect(runs.ids('model = "resnet50"')).toEqual(['a', 'b']);
    expect(runs.ids('model = vit-s')).toEqual(['c']);
    expect(runs.ids('model ~ net')).toEqual(['a', 'b']);
    expect(runs.ids('name ~ /^resnet-lr0\\.0/')).toEqual(['b']);
    expect(runs.ids('name !~ resnet')).toEqual(['c', 'd']);
  });
  it('resolves a bare key to a unique dotted param, and params.x to a param', () => {
    expect(runs.ids('momentum > 0.92')).toEqual(['b']);
    expect(runs.ids('optimizer.momentum = 0.9')).toEqual(['a']);
    expect(runs.ids('params.lr = 0.1')).toEqual(['a']);
    expect(runs.ids('sched.name = cosine')).toEqual(['c']);
  });
  it('reads booleans and lists', () => {
    expect(runs.ids('use_amp = true')).toEqual(['a']);
    expect(runs.ids('use_amp = false')).toEqual(['b']);
    expect(runs.ids('layers = 2')).toEqual(['a']);
  });
  it('filters by metric last, min and max values', () => {
    expect(runs.ids('loss < 0.6')).toEqual(['a', 'b']);
    expect(runs.ids('min(loss) <= 0.2')).toEqual(['b']);
    expect(runs.ids('max(loss) > 2.6')).toEqual(['c']);
    expect(runs.ids('last(acc) = 0.8')).toEqual(['b']);
  });
  it('filters by tags (any tag), star, note, state, group and server', () => {
    expect(runs.ids('tag = best')).toEqual(['a']);
    expect(runs.ids('tag = "paper"')).toEqual(['a']);
    expect(runs.ids('tag ~ base')).toEqual(['b']);
    expect(runs.ids('tag != best')).toEqual(['b', 'c', 'd']);
    expect(runs.ids('starred')).toEqual(['a']);
    expect(runs.ids('not starred')).toEqual(['b', 'c', 'd']);
    expect(runs.ids('!starred')).toEqual(['b', 'c', 'd']);
    expect(runs.ids('starred = false')).toEqual(['b', 'c', 'd']);
    expect(runs.ids('note ~ good')).toEqual(['a']);
    expect(runs.ids('state = running')).toEqual(['a']);
    expect(runs.ids('group = vision')).toEqual(['c']);
    expect(runs.ids('server = cluster')).toEqual(['c']);
    expect(runs.ids('server ~ gpu')).toEqual(['a', 'b', 'd']);
  });
  it('filters by format (absent: ailab) and the idle state', () => {
    const mixed = world([
      { id: 'old' },
      { id: 'tb', format: 'tensorboard' },
      { id: 'pl', format: 'lightning', state: 'idle' },
      { id: 'hf', format: 'huggingface', state: 'done' },
    ]);
    expect(mixed.ids('format = tensorboard')).toEqual(['tb']);
    expect(mixed.ids('format = ailab')).toEqual(['old']);
    expect(mixed.ids('format != ailab')).toEqual(['tb', 'pl', 'hf']);
    expect(mixed.ids('format in (lightning, huggingface)')).toEqual(['pl', 'hf']);
    expect(mixed.ids('state = idle')).toEqual(['pl']);
    expect(mixed.ids('state in (idle, done)')).toEqual(['pl', 'hf']);
    expect(() => compileQuery('format = tensorbord', mixed.schema)).toThrow(/^unknown format 'tensorbord' — did you mean 'tensorboard'\?/);
    expect(() => compileQuery('format > ailab', mixed.schema)).toThrow(/does not apply to 'format'/);
  });
  it('supports in and not in', () => {
    expect(runs.ids('state in (running, failed)')).toEqual(['a', 'c']);
    expect(runs.ids('state not in (running, failed)')).toEqual(['b', 'd']);
    expect(runs.ids('model in ("resnet50", vit-s)')).toEqual(['a', 'b', 'c']);
    expect(runs.ids('seed in (2, 3)')).toEqual(['b']);
  });
  it('applies precedence: and binds tighter than or; not binds tightest', () => {
    expect(runs.ids('state = dead or lr < 0.01 and model = resnet50')).toEqual(['b', 'd']);
    expect(runs.ids('(state = dead or lr < 0.01) and model = resnet50')).toEqual(['b']);
    expect(runs.ids('not state = dead and not lr < 0.01')).toEqual(['a']);
    expect(runs.ids('not (state = dead or starred)')).toEqual(['b', 'c']);
  });
  it('matches bare words in the name, path, group, phase, state and server (every word)', () => {
    expect(runs.ids('resnet')).toEqual(['a', 'b']);
    expect(runs.ids('resnet lr0.1')).toEqual(['a']);
    expect(runs.ids('VISION')).toEqual(['c']);
    expect(runs.ids('cluster')).toEqual(['c']);
    expect(runs.ids('"old-run"')).toEqual(['d']);
  });
  it('runs the example of the issue', () => {
    expect(runs.ids('lr < 0.01 and model = "resnet50" and state = done')).toEqual(['b']);
    expect(runs.ids('lr < 0.01 and model = "resnet50" and state = running')).toEqual([]);
  });
  it('says what a query reads', () => {
    expect(compileQuery('resnet', runs.schema).uses).toEqual({ params: false, metrics: false, annotations: false });
    expect(compileQuery('lr < 1 or loss < 1 or tag = x', runs.schema).uses).toEqual({ params: true, metrics: true, annotations: true });
  });
  it('filters 10,000 runs × 20 params in a few milliseconds', () => {
    const fixtures: Fixture[] = [];
    for (let i = 0; i < 10_000; i++) {
      const params: RunParams = {};
      for (let p = 0; p < 18; p++) params[`group${p % 3}.p${p}`] = (i * (p + 1)) % 97;
      params.lr = [0.1, 0.01, 0.001][i % 3];
      params.model = ['resnet50', 'vit'][i % 2];
      fixtures.push({ id: String(i), params, values: { loss: mv(i / 10_000, 0, 1) } });
    }
    const big = world(fixtures);
    const q = compileQuery('lr < 0.05 and model = "resnet50" and loss < 0.5', big.schema);
    const t0 = performance.now();
    const kept = big.rows.filter((r) => q.predicate(r, big.ctx)).length;
    const ms = performance.now() - t0;
    expect(kept).toBe(big.rows.filter((_, i) => i % 3 !== 0 && i % 2 === 0 && i < 5000).length);
    expect(ms).toBeLessThan(500); // generous: timing goals live in bench/
  });
});

describe('complete', () => {
  const schema = { ...runs.schema, tags: ['baseline', 'best', 'paper'], paramValues: (k: string) => (k === 'model' ? ['resnet50', 'ViT-S'] : []) };
  const labels = (text: string, cursor = text.length) => complete(text, cursor, schema)?.items.map((i) => i.label) ?? [];

  it('offers keys (fields, params, metrics) matching the word at the cursor', () => {
    expect(labels('mo')).toEqual(['model', 'optimizer.momentum']);
    expect(labels('lo')).toContain('loss');
    expect(labels('sta')).toEqual(['state', 'starred']);
    const r = complete('lr < 1 and mod', 14, schema)!;
    expect([r.from, r.to]).toEqual([11, 14]);
  });
  it('offers operators after a key and a space', () => {
    expect(labels('lr ')).toContain('<=');
    expect(labels('lr ')).toContain('in');
  });
  it('offers the states after state =, tags after tag =, and a param\'s values', () => {
    expect(labels('state = ')).toContain('running');
    expect(labels('state = fa')).toEqual(['failed']);
    expect(labels('state in (running, d').slice(0, 2)).toEqual(['done', 'dead']);
    expect(labels('tag = b')).toEqual(['best', 'baseline']);
    expect(labels('state = id')).toEqual(['idle']);
    expect(labels('format = ')).toEqual(['ailab', 'tensorboard', 'lightning', 'huggingface']);
    expect(labels('form')).toEqual(['format']);
    expect(labels('model = ')).toEqual(['resnet50', 'ViT-S']);
  });
  it('offers metrics inside min( and the keywords after a term', () => {
    expect(labels('min(l')).toEqual(['loss']);
    expect(labels('lr < 1 o')).toContain('or');
  });
  it('offers nothing before anything is typed', () => {
    expect(complete('', 0, schema)).toBeNull();
    expect(complete('   ', 3, schema)).toBeNull();
  });
  it('quotes what is not a plain word', () => {
    const r = complete('model = V', 9, { ...schema, paramValues: () => ['ViT S'] })!;
    expect(r.items[0].insert).toBe('"ViT S" ');
  });
});
