// Issue 12: the chart workspace through the real UI — zoom and crosshair shared by every chart of a
// page (with a reset), the metric regex filter (kept in the URL), a chart enlarged to full width,
// PNG and SVG export drawn from the data, relative time on x, and the log-y note for values ≤ 0.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, apiToken, appendLines, logTimestamp, openBrowser, screenshotter, startServer, waitUntil, loginThroughUi } from './harness.mjs';

let server;
let ui;

const STEPS = 60;
const METRICS = ['loss', 'acc', 'lr', 'reward', 'loss/val'];
// One line every 30 s, starting an hour ago: relative time runs 0 … 29m30s.
const START = Date.now() - 3600_000;
const reward = (step, shift) => Math.sin(step / 5 + shift);

function linesOf(shift) {
  const lines = [];
  for (let step = 1; step <= STEPS; step++) {
    const values = {
      loss: (2 + shift) / step + 0.05,
      acc: Math.min(1, step / STEPS + shift * 0.1),
      lr: 1e-3 * 0.95 ** step,
      reward: reward(step, shift),
    };
    if (step % 10 === 0) values['loss/val'] = (2.2 + shift) / step + 0.1;
    lines.push({ timestamp: logTimestamp(new Date(START + step * 30_000)), goal: 'train', progress: step / STEPS, step, ...values });
  }
  return lines;
}
/** Values ≤ 0 of the reward metric of a run (what the log-y note must count). */
const nonPositive = (shift) => linesOf(shift).filter((l) => l.reward <= 0).length;

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      for (const [name, shift] of [
        ['charts_a', 0],
        ['charts_b', 1],
      ]) {
        const dir = path.join(dirs.results, 'charts', name);
        await mkdir(dir, { recursive: true });
        await appendLines(path.join(dir, 'ailab.log'), linesOf(shift));
      }
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

const serverId = () => `127.0.0.1-${server.port}`;

async function runIds() {
  const token = await apiToken(server);
  let runs = [];
  await waitUntil(async () => {
    const answer = await fetch(`${server.url}/api/v1/runs`, { headers: { Authorization: `Bearer ${token}` } });
    runs = (await answer.json()).runs.filter((r) => r.path.includes('charts'));
    return runs.length === 2;
  }, 'both runs listed');
  return Object.fromEntries(runs.map((r) => [r.name, r.id]));
}

const chartSel = (metric) => `[data-testid="chart"][data-metric="${metric}"]`;
const boxSel = (metric) => `[data-testid="chart-box"][data-metric="${metric}"]`;

/** The x range each chart shows, from its data-x-min / data-x-max. */
const xRanges = (page) =>
  page.$$eval('[data-testid="chart"]', (els) =>
    Object.fromEntries(els.map((el) => [el.getAttribute('data-metric'), [Number(el.getAttribute('data-x-min')), Number(el.getAttribute('data-x-max'))]])),
  );

/** The shown charts' metrics, in page order. */
const shownMetrics = (page) => page.$$eval('[data-testid="chart"]', (els) => els.map((el) => el.getAttribute('data-metric')));

/** The legend value of a chart's first series (after x). */
const legendValue = (page, metric) => page.$eval(`${chartSel(metric)} .u-legend .u-series:nth-child(2) .u-value`, (el) => el.textContent.trim());

/** Waits until every chart has drawn all of its points. */
async function chartsLoaded(page, metrics, points) {
  await waitUntil(
    async () => {
      const counts = await page.$$eval('[data-testid="chart"]', (els) => els.map((el) => [el.getAttribute('data-metric'), Number(el.getAttribute('data-points'))]));
      const m = Object.fromEntries(counts);
      return metrics.every((k) => m[k] >= (k === 'loss/val' ? points / 10 : points)) && counts.length === metrics.length;
    },
    `charts ${metrics.join(', ')} with their points`,
    20_000,
  );
}

/** A drag across the plot area of a chart, from fraction `from` to `to` of its width. */
async function dragSelect(page, metric, from, to) {
  const over = page.locator(`${chartSel(metric)} .u-over`);
  const box = await over.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((from + to) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * to, y, { steps: 4 });
  await page.mouse.up();
}

/** Clicks a chart's export button and returns the downloaded file's name and bytes. */
async function exportChart(page, metric, kind) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`${boxSel(metric)} [data-testid="chart-${kind}"]`).click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

/** What an exported SVG holds, parsed by the browser's DOMParser. */
const parseSvg = (page, text) =>
  page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    const root = doc.documentElement;
    const texts = [...doc.querySelectorAll('text')];
    return {
      root: root.nodeName,
      parseError: doc.querySelector('parsererror') !== null,
      width: Number(root.getAttribute('width')),
      linePaths: [...doc.querySelectorAll('path')].filter((p) => p.getAttribute('fill') === 'none').map((p) => ({ stroke: p.getAttribute('stroke'), points: (p.getAttribute('d').match(/[ML]/g) ?? []).length, pieces: (p.getAttribute('d').match(/M/g) ?? []).length })),
      images: doc.querySelectorAll('image, foreignObject').length,
      xLabels: texts.filter((e) => e.getAttribute('text-anchor') === 'middle').map((e) => e.textContent),
      yLabels: texts.filter((e) => e.getAttribute('text-anchor') === 'end').map((e) => e.textContent),
      texts: texts.map((e) => e.textContent),
    };
  }, text);

test('run page: synced zoom and crosshair, filter, full width, export, relative x, log-y note', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'charts');
  const ids = await runIds();
  await loginThroughUi(page, server, PASSWORD, `#/run/${serverId()}/${ids.charts_a}`);
  await page.getByTestId('run-page').waitFor();
  await page.getByTestId('chart-workspace').waitFor();
  await chartsLoaded(page, METRICS, STEPS);
  assert.deepEqual((await shownMetrics(page)).sort(), [...METRICS].sort());
  assert.equal((await page.getByTestId('metric-count').textContent()).trim(), `5 of 5`);
  await shot('run-charts');

  // Zoom: the full ranges first (steps 1 … 60, the val metric 10 … 60).
  const full = await xRanges(page);
  assert.deepEqual(full.loss, [1, STEPS]);
  assert.deepEqual(full['loss/val'], [10, STEPS]);
  assert.ok(await page.getByTestId('reset-zoom').isDisabled(), 'nothing to reset yet');
  await dragSelect(page, 'loss', 0.25, 0.6);
  await waitUntil(async () => {
    const r = await xRanges(page);
    return r.loss[0] > full.loss[0] && r.loss[1] < full.loss[1];
  }, 'the loss chart zoomed');
  const zoomed = await xRanges(page);
  const [zMin, zMax] = zoomed.loss;
  assert.ok(zMin > 10 && zMin < 20 && zMax > 30 && zMax < 40, `zoomed to about 16 … 37: ${zMin} … ${zMax}`);
  for (const m of METRICS) {
    assert.ok(Math.abs(zoomed[m][0] - zMin) < 1e-6 && Math.abs(zoomed[m][1] - zMax) < 1e-6, `${m} follows the zoom: ${zoomed[m]} vs ${zMin} … ${zMax}`);
  }
  assert.ok(await page.getByTestId('reset-zoom').isEnabled());
  await shot('zoomed-all');

  // Crosshair: hovering the loss chart moves the cursor of the others (their legends show values).
  await page.mouse.move(0, 0);
  await waitUntil(async () => (await legendValue(page, 'acc')) === '–', 'no value shown off the charts');
  const overLoss = await page.locator(`${chartSel('loss')} .u-over`).boundingBox();
  await page.mouse.move(overLoss.x + overLoss.width * 0.5, overLoss.y + overLoss.height * 0.5, { steps: 3 });
  await waitUntil(async () => /^-?\d/.test(await legendValue(page, 'acc')), 'acc legend follows the crosshair');
  for (const m of ['loss', 'acc', 'lr', 'reward']) assert.match(await legendValue(page, m), /^-?\d/, `${m} legend shows a number`);
  // Under the cursor in the middle of the zoom (about step 26 … 27), acc is step / 60.
  // Only the vertical line follows: a horizontal one at the loss value would mean nothing on acc or
  // reward (it used to be drawn there, at the hovered chart's y value in the other metric's scale).
  const cursorOff = (metric, axis) => page.$eval(`${chartSel(metric)} .u-cursor-${axis}`, (el) => el.classList.contains('u-off'));
  assert.equal(await cursorOff('loss', 'y'), false, 'the hovered chart has its horizontal line');
  for (const m of ['acc', 'lr', 'reward', 'loss/val']) {
    assert.equal(await cursorOff(m, 'x'), false, `${m} has the vertical line`);
    assert.equal(await cursorOff(m, 'y'), true, `${m} has no horizontal line`);
  }
  const acc = Number(await legendValue(page, 'acc'));
  assert.ok(acc > zMin / STEPS && acc < zMax / STEPS, `acc at the crosshair within the zoomed steps: ${acc}`);
  await shot('crosshair');
  await page.mouse.move(0, 0);

  await page.getByTestId('reset-zoom').click();
  await waitUntil(async () => JSON.stringify(await xRanges(page)) === JSON.stringify(full), 'every chart back to its full range');
  assert.ok(await page.getByTestId('reset-zoom').isDisabled());
  // A double click on a chart resets too.
  await dragSelect(page, 'acc', 0.1, 0.3);
  await waitUntil(async () => (await xRanges(page)).lr[1] < STEPS, 'lr follows a zoom on acc');
  await page.locator(`${chartSel('lr')} .u-over`).dblclick();
  await waitUntil(async () => JSON.stringify(await xRanges(page)) === JSON.stringify(full), 'double click resets every chart');
  await shot('zoom-reset');

  // The metric filter: a regex, case-insensitive, in the URL.
  const filter = page.getByTestId('metric-filter');
  await filter.fill('^loss');
  await waitUntil(async () => (await shownMetrics(page)).length === 2, 'two charts match ^loss');
  assert.deepEqual((await shownMetrics(page)).sort(), ['loss', 'loss/val']);
  assert.equal((await page.getByTestId('metric-count').textContent()).trim(), '2 of 5');
  await waitUntil(async () => page.evaluate(() => decodeURIComponent(location.hash).includes('filter=^loss')), 'the filter in the URL');
  await shot('filter-loss');
  await page.reload();
  await page.getByTestId('chart-workspace').waitFor();
  await chartsLoaded(page, ['loss', 'loss/val'], STEPS);
  assert.equal(await page.getByTestId('metric-filter').inputValue(), '^loss');
  assert.deepEqual((await shownMetrics(page)).sort(), ['loss', 'loss/val']);
  await shot('filter-after-reload');

  // An invalid regex: a message, the page and its controls stay (matching as plain text).
  await filter.fill('(');
  await page.getByTestId('metric-filter-error').waitFor();
  assert.match(await page.getByTestId('metric-filter-error').textContent(), /Not a valid regex/);
  assert.equal(await filter.getAttribute('aria-invalid'), 'true');
  assert.ok(await page.getByTestId('run-header').isVisible(), 'the run page is still there');
  assert.ok(await page.getByTestId('chart-controls').isVisible());
  assert.match(await page.getByTestId('chart-workspace').textContent(), /No metric matches/);
  await shot('filter-invalid');
  await filter.fill('acc|lr');
  await waitUntil(async () => (await shownMetrics(page)).sort().join() === 'acc,lr', 'alternation matches acc and lr');
  assert.equal(await page.getByTestId('metric-filter-error').count(), 0, 'the message goes with a valid regex');
  await filter.fill('');
  await waitUntil(async () => (await shownMetrics(page)).length === METRICS.length, 'all charts back');

  // Enlarge: the chart spans the row (both columns), and back.
  const gridWidth = await page.locator('[data-testid="chart-section"]').first().locator('.grid').evaluate((g) => g.getBoundingClientRect().width);
  const widthOf = (m) => page.locator(boxSel(m)).evaluate((el) => el.getBoundingClientRect().width);
  const normal = await widthOf('acc');
  assert.ok(normal < gridWidth * 0.6, `two charts a row at 1400 px: ${normal} of ${gridWidth}`);
  await page.locator(`${boxSel('acc')} [data-testid="chart-expand"]`).click();
  await waitUntil(async () => Math.abs((await widthOf('acc')) - gridWidth) < 2, 'acc spans the row');
  assert.equal(await page.locator(`${boxSel('acc')} [data-testid="chart-expand"]`).getAttribute('aria-pressed'), 'true');
  // The plot itself grows with its box (the canvas is resized, not only the panel).
  await waitUntil(async () => (await page.locator(`${chartSel('acc')} canvas`).evaluate((c) => c.getBoundingClientRect().width)) > gridWidth * 0.9, 'the acc canvas is full width');
  await waitUntil(async () => page.evaluate(() => location.hash.includes('full=acc')), 'the full-width chart in the URL');
  assert.ok(Math.abs((await widthOf('loss')) - normal) < 2, 'the other charts keep their width');
  await shot('acc-full-width');
  await page.locator(`${boxSel('acc')} [data-testid="chart-expand"]`).click();
  await waitUntil(async () => Math.abs((await widthOf('acc')) - normal) < 2, 'acc back in the grid');
  await waitUntil(async () => (await page.locator(`${chartSel('acc')} canvas`).evaluate((c) => c.getBoundingClientRect().width)) < gridWidth * 0.6, 'the acc canvas back to its column');
  await shot('acc-back');

  // Export: a PNG (its signature, a plausible size) and an SVG drawn from the data.
  const png = await exportChart(page, 'loss', 'png');
  assert.equal(png.name, 'loss.png');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.ok(png.bytes.length > 3_000 && png.bytes.length < 3_000_000, `PNG size ${png.bytes.length}`);
  const width = png.bytes.readUInt32BE(16);
  const height = png.bytes.readUInt32BE(20);
  assert.ok(width >= 400 && height >= 200, `PNG ${width}×${height}`);
  const svgFile = await exportChart(page, 'loss', 'svg');
  assert.equal(svgFile.name, 'loss.svg');
  const svg = await parseSvg(page, svgFile.bytes.toString('utf8'));
  assert.equal(svg.root, 'svg');
  assert.equal(svg.parseError, false);
  assert.equal(svg.images, 0, 'no embedded bitmap');
  assert.equal(svg.linePaths.length, 1, 'one line: the one series');
  assert.equal(svg.linePaths[0].pieces, 1, 'one unbroken line');
  assert.ok(svg.linePaths[0].points >= 30, `the line has the run's points: ${svg.linePaths[0].points}`);
  assert.ok(svg.xLabels.length >= 3 && svg.xLabels.every((l) => /^\d+$/.test(l)), `step ticks: ${svg.xLabels}`);
  assert.ok(svg.yLabels.length >= 3 && svg.yLabels.every((l) => /^-?[\d.]+$/.test(l)), `value ticks: ${svg.yLabels}`);
  assert.ok(svg.texts.includes('loss'), 'the title');

  // Relative time on x: the tick labels become durations (read from the SVG export and the legend).
  await page.getByTestId('x-axis').selectOption('relative');
  await waitUntil(async () => page.evaluate(() => location.hash.includes('x=relative')), 'x=relative in the URL');
  await waitUntil(async () => {
    const r = await xRanges(page);
    return r.loss && r.loss[0] === 0 && Math.abs(r.loss[1] - (STEPS - 1) * 30) < 1;
  }, 'loss over 0 … 29m30s since the start');
  await chartsLoaded(page, METRICS, STEPS);
  const rel = await parseSvg(page, (await exportChart(page, 'loss', 'svg')).bytes.toString('utf8'));
  assert.ok(rel.xLabels.length >= 3, `relative ticks: ${rel.xLabels}`);
  assert.ok(
    rel.xLabels.every((l) => l === '0' || /^\d+m(\d\ds)?$/.test(l)),
    `durations such as 5m, 10m: ${rel.xLabels}`,
  );
  assert.ok(rel.xLabels.some((l) => /m/.test(l)));
  const xLegend = await page.$eval(`${chartSel('loss')} .u-legend .u-series:first-child th`, (el) => el.textContent.trim());
  assert.equal(xLegend, 'time since start');
  await shot('relative-x');
  await page.getByTestId('x-axis').selectOption('step');
  await waitUntil(async () => (await xRanges(page)).loss?.[1] === STEPS, 'back to steps');

  // Log y: the reward metric goes below 0, the chart says how many values it leaves out.
  assert.equal(await page.locator(`${boxSel('reward')} [data-testid="chart-note"]`).count(), 0, 'no note on a linear axis');
  await page.getByTestId('log-y').check();
  const note = page.locator(`${boxSel('reward')} [data-testid="chart-note"]`);
  await note.waitFor();
  const skipped = nonPositive(0);
  assert.ok(skipped > 0);
  assert.equal((await note.textContent()).trim(), `${skipped} values ≤ 0 not shown (log scale)`);
  assert.equal(await page.locator(`${boxSel('loss')} [data-testid="chart-note"]`).count(), 0, 'positive series: no note');
  await waitUntil(async () => page.evaluate(() => location.hash.includes('log=1')), 'log=1 in the URL');
  // The line is broken where values are left out, not drawn across them (screen and SVG alike).
  const logSvg = await parseSvg(page, (await exportChart(page, 'reward', 'svg')).bytes.toString('utf8'));
  assert.equal(logSvg.linePaths.length, 1);
  assert.equal(logSvg.linePaths[0].pieces, 2, 'two positive stretches of the sine, two pieces');
  assert.ok(logSvg.texts.includes(`${skipped} values ≤ 0 not shown (log scale)`), 'the note in the SVG');
  // One tick style per log axis: lr spans 1e-5 … 1e-3, every label an exponent.
  const lrSvg = await parseSvg(page, (await exportChart(page, 'lr', 'svg')).bytes.toString('utf8'));
  const lrLabels = lrSvg.yLabels.filter((l) => l !== '');
  assert.ok(lrLabels.length >= 2 && lrLabels.every((l) => /^\de-\d$/.test(l)), `lr log ticks: ${lrLabels}`);
  await shot('log-y-note');
  await page.getByTestId('log-y').uncheck();
  await waitUntil(async () => (await page.locator('[data-testid="chart-note"]').count()) === 0, 'the note goes with a linear axis');
  assert.deepEqual(problems, [], 'no page errors');
});

test('compare: zoom and crosshair shared by both runs, SVG with a path per run, filter in the URL', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'charts-compare');
  const ids = await runIds();
  const keys = [ids.charts_a, ids.charts_b].map((id) => `${serverId()}:${id}`);
  await page.goto(`${server.url}/#/compare?runs=${keys.join(',')}&filter=${encodeURIComponent('^(loss|reward)$')}`);
  await page.getByTestId('compare-page').waitFor();
  await waitUntil(async () => (await shownMetrics(page)).sort().join() === 'loss,reward', 'the filter from the URL applied');
  await waitUntil(async () => {
    const p = await page.$eval(chartSel('loss'), (el) => JSON.parse(el.getAttribute('data-series-points') || '{}'));
    return p[keys[0]] === STEPS && p[keys[1]] === STEPS;
  }, 'both runs drawn');
  assert.equal(await page.getByTestId('metric-filter').inputValue(), '^(loss|reward)$');
  // No params: the parallel coordinates have the metric's axis only, each run a dot on it.
  await waitUntil(async () => (await page.locator('[data-testid="pc-dot"]').count()) === 2, 'a dot per run on the one axis');
  await shot('compare-filtered');

  await dragSelect(page, 'reward', 0.5, 0.9);
  await waitUntil(async () => {
    const r = await xRanges(page);
    return r.reward[0] > 20 && Math.abs(r.loss[0] - r.reward[0]) < 1e-6 && Math.abs(r.loss[1] - r.reward[1]) < 1e-6;
  }, 'loss follows the zoom on reward');
  const overReward = await page.locator(`${chartSel('reward')} .u-over`).boundingBox();
  await page.mouse.move(overReward.x + overReward.width * 0.3, overReward.y + overReward.height / 2, { steps: 3 });
  await waitUntil(async () => {
    const values = await page.$$eval(`${chartSel('loss')} .u-legend .u-series:not(.quiet) .u-value`, (els) => els.map((e) => e.textContent.trim()));
    return values.length === 3 && values.slice(1).every((v) => /^\d/.test(v));
  }, 'both runs’ loss values at the crosshair');
  await shot('compare-zoom-crosshair');
  await page.mouse.move(0, 0);

  const svg = await parseSvg(page, (await exportChart(page, 'loss', 'svg')).bytes.toString('utf8'));
  assert.equal(svg.parseError, false);
  assert.equal(svg.linePaths.length, 2, 'a path per run');
  assert.notEqual(svg.linePaths[0].stroke, svg.linePaths[1].stroke, 'in the runs’ colours');
  assert.ok(svg.xLabels.length >= 2 && svg.xLabels.every((l) => /^\d+$/.test(l)), `step ticks in the zoom: ${svg.xLabels}`);
  // Only the zoomed range is drawn: roughly 40 % of 60 steps per run, not all of them.
  for (const p of svg.linePaths) assert.ok(p.points > 10 && p.points < 40, `points in view: ${p.points}`);
  assert.ok(svg.texts.includes('a') && svg.texts.includes('b'), `the legend names the runs: ${svg.texts.slice(-4)}`);

  await page.getByTestId('reset-zoom').click();
  await waitUntil(async () => (await xRanges(page)).loss[0] === 1, 'compare zoom reset');
  assert.deepEqual(problems, [], 'no page errors');
});
