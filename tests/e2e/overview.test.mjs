// Issue 12, the overview: filter by params with the query language (and see its errors without
// losing the table), Back and reload restore the view from the URL, tags and stars survive a
// reload and filter, params as sortable columns, grouping by a param, keyboard shortcuts, and the
// narrow layout without sideways scrolling.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let server;
let ui;

// name → [config.json, final goal or null (still running)]
const RUNS = {
  'lr0.1_resnet': [{ lr: 0.1, model: 'resnet50', seed: 1, optimizer: { name: 'sgd', momentum: 0.9 } }, null],
  'lr0.001_resnet': [{ lr: 0.001, model: 'resnet50', seed: 2, optimizer: { name: 'adam', momentum: 0.95 } }, 'done'],
  'lr0.005_vit': [{ lr: 0.005, model: 'vit', seed: 1, optimizer: { name: 'adam', momentum: 0.9 } }, 'failed'],
  'lr0.05_vit': [{ lr: 0.05, model: 'vit', seed: 2, optimizer: { name: 'sgd', momentum: 0.8 } }, null],
};
const NAMES = Object.keys(RUNS);

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      const ts = logTimestamp();
      let i = 0;
      for (const [name, [config, end]] of Object.entries(RUNS)) {
        i++;
        const dir = path.join(dirs.results, 'sweep', name);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
        const lines = [1, 2, 3].map((step) => ({ timestamp: ts, goal: 'train 1/10', progress: step / 10, eta: '0:10:00', score: i / 10, loss: i / step, step }));
        if (end) lines.push({ timestamp: ts, goal: end, step: 4 });
        await appendLines(path.join(dir, 'ailab.log'), lines);
      }
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

const rowNames = (page) => page.$$eval('[data-testid="run-row"] [data-testid="run-link"]', (links) => links.map((a) => a.textContent.trim()));
const sorted = (xs) => [...xs].sort();

async function filter(page, text) {
  const box = page.getByTestId('runs-filter');
  await box.fill(text);
}

async function waitForRows(page, expected, what) {
  await waitUntil(async () => JSON.stringify(sorted(await rowNames(page))) === JSON.stringify(sorted(expected)), what);
}

test('the overview: params filter, errors, URL state, tags and stars, columns, grouping, keys, narrow', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'overview');
  await loginThroughUi(page, server);
  await waitForRows(page, NAMES, 'all four runs');
  // The params have arrived once the query knows `lr`.
  await waitUntil(async () => {
    await filter(page, 'lr < 0.01');
    return (await page.getByTestId('filter-error').count()) === 0 && (await rowNames(page)).length === 2;
  }, 'params loaded');

  // ---- filter by a param
  await waitForRows(page, ['lr0.001_resnet', 'lr0.005_vit'], 'lr < 0.01');
  assert.match(page.url(), /#\/overview\?q=lr\+%3C\+0\.01/, 'the filter is in the URL');
  await shot('filter-lr');
  await filter(page, 'lr < 0.01 and model = "resnet50"');
  await waitForRows(page, ['lr0.001_resnet'], 'and model');
  await filter(page, 'momentum >= 0.9 and state in (running, failed)');
  await waitForRows(page, ['lr0.1_resnet', 'lr0.005_vit'], 'a dotted param by its last part, and in ()');
  // A finished run shows no ETA; a running one does.
  await filter(page, '');
  await waitForRows(page, NAMES, 'cleared');
  const eta = (name) => page.locator('[data-testid="run-row"]', { hasText: name }).getByTestId('run-eta').textContent();
  assert.equal(await eta('lr0.001_resnet'), '–');
  assert.notEqual(await eta('lr0.1_resnet'), '–');

  // ---- a query error is shown, the table stays
  await filter(page, 'model = vit');
  await waitForRows(page, ['lr0.005_vit', 'lr0.05_vit'], 'model = vit');
  await filter(page, 'lrr < 0.01');
  const error = page.getByTestId('filter-error');
  await error.waitFor();
  assert.match(await error.textContent(), /unknown key 'lrr' — did you mean 'lr'\?/);
  assert.deepEqual(sorted(await rowNames(page)), ['lr0.005_vit', 'lr0.05_vit'], 'the last good filter still applies');
  await shot('query-error');
  await filter(page, 'lr <');
  await waitUntil(async () => /expected a value after '<'/.test(await error.textContent()), 'missing value error');
  // Autocomplete offers the params.
  await filter(page, 'mom');
  const suggestions = page.getByTestId('filter-suggestions');
  await suggestions.waitFor();
  assert.match(await suggestions.textContent(), /optimizer\.momentum/);
  await page.keyboard.press('Tab');
  assert.equal(await page.getByTestId('runs-filter').inputValue(), 'optimizer.momentum ');

  // ---- Back restores the filter
  await filter(page, 'model = vit and seed = 2');
  await waitForRows(page, ['lr0.05_vit'], 'vit seed 2');
  await page.locator('[data-testid="run-row"]', { hasText: 'lr0.05_vit' }).getByTestId('run-link').click();
  await page.getByTestId('run-page').waitFor();
  await page.goBack();
  await page.getByTestId('runs-table').waitFor();
  assert.equal(await page.getByTestId('runs-filter').inputValue(), 'model = vit and seed = 2');
  await waitForRows(page, ['lr0.05_vit'], 'the filter after Back');
  await shot('back-restores');
  // A sort click is its own history entry: Back undoes it.
  await filter(page, '');
  await page.getByTestId('sort-name').click();
  await waitUntil(async () => (await page.getByTestId('sort-name').getAttribute('data-sort')) === 'asc', 'sorted by name');
  assert.deepEqual(await rowNames(page), ['lr0.001_resnet', 'lr0.1_resnet', 'lr0.005_vit', 'lr0.05_vit'], 'natural order by name');
  await page.goBack();
  await waitUntil(async () => (await page.getByTestId('sort-name').getAttribute('data-sort')) === '', 'Back undid the sort');

  // ---- tag a run (bulk Tag…) and star another; both survive a reload and filter
  await filter(page, '');
  await waitForRows(page, NAMES, 'all rows again');
  const row = (name) => page.locator('[data-testid="run-row"]', { hasText: name });
  await row('lr0.005_vit').getByTestId('run-select').check();
  await page.getByTestId('tag-button').click();
  const dialog = page.getByTestId('tag-dialog');
  await dialog.getByTestId('tag-input').fill('best');
  await dialog.getByTestId('tag-add').click();
  await dialog.getByTestId('tag-done').waitFor();
  await shot('tag-dialog');
  await dialog.getByTestId('tag-close').click();
  await row('lr0.001_resnet').getByTestId('star-toggle').click();
  await waitUntil(async () => (await row('lr0.001_resnet').getByTestId('star-toggle').getAttribute('data-starred')) === 'true', 'starred');
  await page.reload();
  await waitForRows(page, NAMES, 'rows after reload');
  assert.equal(await row('lr0.005_vit').getByTestId('run-select').isChecked(), true, 'the selection is in the URL');
  await waitUntil(async () => (await row('lr0.005_vit').getByTestId('run-tags').textContent()).includes('best'), 'the tag after reload');
  assert.equal(await row('lr0.001_resnet').getByTestId('star-toggle').getAttribute('data-starred'), 'true', 'the star after reload');
  await filter(page, 'tag = "best"');
  await waitForRows(page, ['lr0.005_vit'], 'tag = "best"');
  await filter(page, 'starred');
  await waitForRows(page, ['lr0.001_resnet'], 'starred');
  await shot('starred');

  // ---- a param as a column, sorted; the flat leaderboard; grouping by a param with counts
  await filter(page, '');
  await page.getByTestId('columns-button').click();
  const picker = page.getByTestId('column-picker');
  await picker.getByTestId('columns-search').fill('lr');
  await picker.locator('[data-testid="column-add"][data-column="param:lr"]').click();
  await picker.getByTestId('columns-search').fill('loss');
  await picker.locator('[data-testid="column-add"][data-column="metric:min:loss"]').click();
  await page.keyboard.press('Escape');
  await page.getByTestId('sort-param:lr').click();
  await page.getByTestId('group-select').selectOption('flat');
  await waitUntil(async () => (await page.getByTestId('group-row').count()) === 0, 'flat view');
  assert.deepEqual(await rowNames(page), ['lr0.001_resnet', 'lr0.005_vit', 'lr0.05_vit', 'lr0.1_resnet'], 'sorted by lr, ascending');
  await page.getByTestId('sort-param:lr').click();
  await waitUntil(async () => (await rowNames(page))[0] === 'lr0.1_resnet', 'sorted by lr, descending');
  await shot('flat-sorted-by-lr');
  await page.reload();
  await waitForRows(page, NAMES, 'rows after reload');
  assert.equal(await page.getByTestId('sort-param:lr').getAttribute('data-sort'), 'desc', 'the column and its sort after a reload');
  await page.getByTestId('group-select').selectOption('param:seed');
  await waitUntil(async () => (await page.getByTestId('group-row').count()) === 2, 'two seed groups');
  const counts = await page.$$eval('[data-testid="group-row"]', (rows) => rows.map((r) => `${r.dataset.group}:${r.querySelector('[data-testid="group-count"]').textContent}`));
  assert.deepEqual(sorted(counts), ['1:(2)', '2:(2)']);
  await shot('grouped-by-seed');

  // ---- keyboard shortcuts
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('?');
  await page.getByTestId('shortcuts-help').waitFor();
  assert.match(await page.getByTestId('shortcuts-help').textContent(), /Focus the filter/);
  await shot('shortcuts-help');
  await page.keyboard.press('Escape');
  await waitUntil(async () => (await page.getByTestId('shortcuts-help').count()) === 0, 'help closed');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  const cursorKey = await page.$eval('[data-testid="run-row"].cursor', (el) => el.dataset.key);
  const cursorRow = page.locator(`[data-testid="run-row"][data-key="${cursorKey}"]`);
  // Rows in order: [seed 1] lr0.1, lr0.005 (selected above), [seed 2] …: two steps down is lr0.005.
  assert.match(await cursorRow.textContent(), /lr0\.005_vit/);
  assert.equal(await cursorRow.getByTestId('run-select').isChecked(), true);
  await page.keyboard.press('x');
  await waitUntil(async () => !(await cursorRow.getByTestId('run-select').isChecked()), 'x toggles the cursor row');
  await page.keyboard.press('x');
  await waitUntil(async () => cursorRow.getByTestId('run-select').isChecked(), 'x selects it again');
  await page.keyboard.press('s');
  await waitUntil(async () => (await cursorRow.getByTestId('star-toggle').getAttribute('data-starred')) === 'true', 's stars the cursor row');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'runs-filter', '/ focuses the filter');
  await page.keyboard.type('jk');
  assert.equal(await page.getByTestId('runs-filter').inputValue(), 'jk', 'keys typed in the filter are text');
  await filter(page, '');
  await page.keyboard.press('Escape');
  assert.notEqual(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'runs-filter', 'Esc leaves the filter');
  await page.keyboard.press('k');
  await page.keyboard.press('Enter');
  await page.getByTestId('run-page').waitFor();
  await page.goBack();
  await page.getByTestId('runs-table').waitFor();

  // ---- narrow: cards, no sideways scroll
  await page.setViewportSize({ width: 390, height: 844 });
  await waitForRows(page, NAMES, 'cards');
  await waitUntil(async () => (await page.$$eval('[data-testid="run-row"]', (r) => r.length)) === 4, 'cards shown');
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(widths.scroll <= widths.inner, `no horizontal scroll at 390 px (${widths.scroll} > ${widths.inner})`);
  await shot('narrow');
  await page.setViewportSize({ width: 1400, height: 900 });

  assert.deepEqual(problems, [], 'no page errors');
});

test('the empty overview says which folder is watched and how to log', async () => {
  const empty = await startServer();
  const { browser } = ui;
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  try {
    const shot = screenshotter(page, 'overview-empty');
    await loginThroughUi(page, empty);
    const box = page.getByTestId('runs-empty');
    await box.waitFor();
    await waitUntil(async () => (await page.getByTestId('watched-folder').textContent()).includes(empty.dirs.results), 'the watched folder');
    const example = await page.getByTestId('python-example').textContent();
    assert.match(example, /import json/);
    assert.ok(example.includes(`${empty.dirs.results}/my_run/ailab.log`), 'the example writes into the watched folder');
    assert.match(await box.textContent(), /TensorBoard/);
    await shot('empty');
  } finally {
    await context.close();
    await empty.stop();
  }
});
