// Issue 12: Compare stays live (two running runs, lines appended to both logs, both charts grow),
// groups runs that differ only by seed into mean lines with bands, and keeps its settings in the URL.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, apiToken, appendLines, logTimestamp, openBrowser, screenshotter, startServer, waitUntil, loginThroughUi } from './harness.mjs';

let server;
let ui;
const logs = {};

const line = (step, loss, extra = {}) => ({ timestamp: logTimestamp(), goal: 'train 1/10', progress: step / 100, loss, step, ...extra });

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      for (const name of ['live_a', 'live_b']) {
        const dir = path.join(dirs.results, 'live', name);
        await mkdir(dir, { recursive: true });
        logs[name] = path.join(dir, 'ailab.log');
        const base = name === 'live_a' ? 1 : 2;
        await appendLines(logs[name], [line(1, base), line(2, base * 0.9), line(3, base * 0.8)]);
      }
      // 2 learning rates × 3 seeds, finished; their loss curves differ by lr, and a little by seed.
      for (const lr of [0.1, 0.01]) {
        for (const seed of [1, 2, 3]) {
          const dir = path.join(dirs.results, 'sweep', `lr${lr}_seed${seed}`);
          await mkdir(dir, { recursive: true });
          await writeFile(path.join(dir, 'config.json'), JSON.stringify({ lr, seed, model: { name: 'mlp', width: 64 } }));
          const lines = [];
          for (let step = 1; step <= 20; step++) {
            const loss = (lr === 0.1 ? 1 : 2) / step + seed * 0.03 * (1 + Math.sin(step));
            lines.push(line(step, loss, { progress: step / 20 }));
          }
          lines.push({ timestamp: logTimestamp(), goal: 'done', progress: 1, loss: lines.at(-1).loss, step: 21 });
          await appendLines(path.join(dir, 'ailab.log'), lines);
        }
      }
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

async function api(pathname) {
  const token = await apiToken(server);
  const answer = await fetch(`${server.url}/api/v1${pathname}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: answer.status, body: answer.status === 200 ? await answer.json() : null };
}

const serverId = () => `127.0.0.1-${server.port}`;

async function runIds(prefix) {
  let runs = [];
  await waitUntil(async () => {
    runs = (await api('/runs')).body.runs.filter((r) => r.path.includes(prefix));
    return runs.length > 0;
  }, `runs under ${prefix}`);
  return runs.sort((a, b) => a.name.localeCompare(b.name));
}

/** Per series key (run or group) → its number of values, from the loss chart. */
const seriesPoints = (page) =>
  page.$eval('[data-testid="chart"][data-metric="loss"]', (el) => JSON.parse(el.getAttribute('data-series-points') || '{}'));

test('compare two live runs: both charts grow as lines are appended', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'compare');
  const runs = await runIds('live');
  assert.equal(runs.length, 2);
  const keys = runs.map((r) => `${serverId()}:${r.id}`);
  await loginThroughUi(page, server, PASSWORD, `#/compare?runs=${keys.join(',')}`);
  await page.getByTestId('compare-page').waitFor();
  await page.locator('[data-testid="chart"][data-metric="loss"]').waitFor();
  await waitUntil(async () => {
    const p = await seriesPoints(page);
    return p[keys[0]] === 3 && p[keys[1]] === 3;
  }, 'both runs with 3 points');
  await shot('two-live-runs');

  await appendLines(logs.live_a, [line(4, 0.7), line(5, 0.6)]);
  await appendLines(logs.live_b, [line(4, 1.5), line(5, 1.4), line(6, 1.3)]);
  await waitUntil(
    async () => {
      const p = await seriesPoints(page);
      return p[keys[0]] === 5 && p[keys[1]] === 6;
    },
    'both charts grow live',
    20_000,
  );
  const points = await seriesPoints(page);
  assert.equal(points[keys[0]], 5);
  assert.equal(points[keys[1]], 6);
  // Both lines have their stable colours in the legend, names shortened, full names on hover.
  const legend = await page.$$eval('[data-testid="chart"][data-metric="loss"] .u-legend .u-series:not(.quiet) th', (ths) =>
    ths.map((th) => ({ text: th.textContent.trim(), title: th.closest('tr').title })),
  );
  assert.deepEqual(
    legend.slice(1).map((l) => l.text),
    ['a', 'b'],
  );
  assert.deepEqual(
    legend.slice(1).map((l) => l.title),
    ['live_a', 'live_b'],
  );
  await shot('two-live-runs-grown');

  // Settings go to the URL and come back on reload.
  await page.getByTestId('smoothing').fill('0.6');
  await page.getByTestId('x-axis').selectOption('relative');
  await waitUntil(async () => page.evaluate(() => location.hash.includes('smooth=0.6') && location.hash.includes('x=relative')), 'settings in the URL');
  await page.reload();
  await page.locator('[data-testid="chart"][data-metric="loss"]').waitFor();
  assert.equal(await page.getByTestId('x-axis').inputValue(), 'relative');
  assert.equal(await page.getByTestId('smoothing').inputValue(), '0.6');
  await shot('relative-time');
  // (All lines of these logs share one timestamp, so on a time axis they are one x: back to steps.)
  await page.getByTestId('x-axis').selectOption('step');
  await waitUntil(async () => (await seriesPoints(page))[keys[1]] === 6, 'reloaded chart with its points');
  // Smoothed: each run's raw line is kept, faint, beneath (legend shows each name once).
  const seriesCount = await page.$eval('[data-testid="chart"][data-metric="loss"] .u-legend', (el) => el.querySelectorAll('.u-series').length);
  assert.equal(seriesCount, 1 + 4, 'x + 2 raw + 2 smoothed');
  await shot('smoothed-relative');
  assert.deepEqual(problems, [], 'no page errors');
});

test('group by seed: one mean line with a band per learning rate', async (t) => {
  const params = await api('/runs/params');
  if (params.status === 404) {
    t.skip('the server does not serve /runs/params yet');
    return;
  }
  const { page, problems } = ui;
  const shot = screenshotter(page, 'compare-group');
  const runs = await runIds('sweep');
  assert.equal(runs.length, 6);
  const keys = runs.map((r) => `${serverId()}:${r.id}`);
  await page.goto(`${server.url}/#/compare?runs=${keys.join(',')}`);
  await page.getByTestId('compare-page').waitFor();
  await page.reload(); // params are loaded with the runs
  await page.getByTestId('compare-page').waitFor();

  // The params table: lr and seed differ, model.* is equal everywhere.
  await page.locator('[data-testid="param-row"][data-key="seed"]').waitFor();
  assert.equal(await page.locator('[data-testid="param-row"][data-key="seed"]').getAttribute('data-differs'), 'true');
  assert.equal(await page.locator('[data-testid="param-row"][data-key="model.name"]').getAttribute('data-differs'), 'false');
  await page.getByTestId('params-diff-only').check();
  assert.equal(await page.locator('[data-testid="param-row"][data-key="model.name"]').count(), 0, 'equal keys hidden');
  assert.ok(await page.getByTestId('parallel-coords').isVisible());
  assert.equal(await page.locator('[data-testid="pc-line"]').count(), 6);

  await page.getByTestId('group-by').selectOption('seed');
  await waitUntil(async () => (await page.getByTestId('group-count').textContent()) === '2 groups', 'two groups');
  const chart = page.locator('[data-testid="chart"][data-metric="loss"]');
  await waitUntil(async () => (await chart.getAttribute('data-bands')) === '2', 'a band per group');
  const legend = await page.$$eval('[data-testid="chart"][data-metric="loss"] .u-legend .u-series:not(.quiet) th', (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(legend.slice(1).sort(), ['lr=0.01 (3 runs)', 'lr=0.1 (3 runs)']);
  assert.ok((await page.evaluate(() => location.hash)).includes('group=seed'));
  await shot('grouped-by-seed');

  await page.getByTestId('band-mode').selectOption('std');
  await waitUntil(async () => page.evaluate(() => location.hash.includes('band=std')), 'band mode in the URL');
  await shot('grouped-std');
  assert.deepEqual(problems, [], 'no page errors');
});
