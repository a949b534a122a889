// Issue 3: a run written by a training script shows up in the overview as running, its page
// charts the metrics, new log lines add points live, and a final line turns it "done".
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  appendLines,
  logTimestamp,
  loginThroughUi,
  openBrowser,
  screenshotter,
  startServer,
  waitUntil,
} from './harness.mjs';

let server;
let ui;
let logFile;

function line(step, extra = {}) {
  return {
    timestamp: logTimestamp(),
    goal: 'train 1/10',
    progress: step / 100,
    eta: '0:10:00',
    score: 0.5 + step / 100,
    loss: 1 / step,
    step,
    ...extra,
  };
}

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      const runDir = path.join(dirs.results, 'e2e_project', '2024-01-02_10.00.00_run00001');
      await mkdir(runDir, { recursive: true });
      logFile = path.join(runDir, 'ailab.log');
      await appendLines(logFile, [line(1), line(2), line(3)]);
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

const chartPoints = (page) =>
  page.$eval('[data-testid="chart"][data-metric="loss"]', (el) => Number(el.getAttribute('data-points')));

test('a live run: overview row, chart, new points, done', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'runs');
  await loginThroughUi(page, server);

  const row = page.locator('[data-testid="run-row"]', { hasText: '2024-01-02_10.00.00_run00001' });
  await row.waitFor();
  await waitUntil(async () => (await row.getAttribute('data-state')) === 'running', 'run shown as running');
  assert.equal(await row.getByTestId('run-state').textContent(), 'running');
  assert.equal(await page.locator('[data-testid="group-row"][data-group="e2e_project"]').count(), 1, 'group row');
  await shot('overview-running');

  await row.getByTestId('run-link').click();
  await page.getByTestId('run-page').waitFor();
  await page.locator('[data-testid="chart"][data-metric="loss"]').waitFor();
  await waitUntil(async () => (await chartPoints(page)) >= 3, 'loss chart with 3 points');
  const before = await chartPoints(page);
  assert.equal(before, 3);
  await shot('run-page');

  await appendLines(logFile, [line(4), line(5), line(6)]);
  await waitUntil(async () => (await chartPoints(page)) >= 6, 'loss chart gains the appended points', 20_000);
  assert.equal(await chartPoints(page), 6);
  await shot('run-page-more-points');

  await appendLines(logFile, [{ timestamp: logTimestamp(), goal: 'done', progress: 1.0, score: 0.9, loss: 0.1, step: 7 }]);
  const state = page.getByTestId('run-header').getByTestId('run-state');
  await waitUntil(async () => (await state.getAttribute('data-state')) === 'done', 'state badge turns done', 20_000);
  assert.equal(await state.textContent(), 'done');
  await shot('run-done');

  assert.deepEqual(problems, [], 'no page errors');
});
