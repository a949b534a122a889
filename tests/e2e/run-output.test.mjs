// Issue 12: a run page shows the tail of its log file(s) live, with a link into Files; a finished
// run shows no ETA (defect 8).
import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

const RUN = '2024-06-01_10.00.00_output';
let server;
let ui;
let logFile;
let trainLog;

const line = (step, extra = {}) => ({ timestamp: logTimestamp(), goal: 'train 1/10', progress: step / 10, eta: '0:05:00', loss: 1 / step, step, ...extra });

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      const dir = path.join(dirs.results, 'output_project', RUN);
      await mkdir(dir, { recursive: true });
      logFile = path.join(dir, 'ailab.log');
      trainLog = path.join(dir, 'train.log');
      // More lines than the panel keeps (200): the tail holds the last ones.
      await appendLines(logFile, Array.from({ length: 250 }, (_, i) => line(i + 1)));
      await writeFile(trainLog, 'starting\n');
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

test('the log tail follows appends, links into Files, and a done run has no ETA', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'run-output');
  await loginThroughUi(page, server);
  const row = page.locator('[data-testid="run-row"]', { hasText: RUN });
  await row.waitFor();
  await row.getByTestId('run-link').click();
  const output = page.getByTestId('run-output');
  await output.waitFor();
  const view = output.getByTestId('text-view');
  const lines = async () => Number(await view.getAttribute('data-lines'));
  await waitUntil(async () => (await lines()) > 0, 'the tail is read');
  assert.ok((await lines()) <= 201, `the tail keeps about 200 lines (${await lines()})`);
  assert.match(await output.textContent(), /"step":250/, 'the last line is shown');
  assert.equal(await output.getAttribute('data-file'), 'ailab.log');
  assert.notEqual((await page.getByTestId('run-eta').textContent()).trim(), '–', 'a running run shows its ETA');

  // Appended lines come in without a reload.
  await appendLines(logFile, [line(251), line(252)]);
  await waitUntil(async () => /"step":252/.test(await output.textContent()), 'the appended line', 20_000);
  await shot('followed');

  // The second output file is a tab; it follows too.
  await output.getByTestId('run-output-tab').filter({ hasText: 'train.log' }).click();
  await waitUntil(async () => (await output.getAttribute('data-file')) === 'train.log', 'train.log picked');
  await waitUntil(async () => (await output.textContent()).includes('starting'), 'train.log read');
  await appendFile(trainLog, 'epoch 1 loss 0.42\n');
  await waitUntil(async () => (await output.textContent()).includes('epoch 1 loss 0.42'), 'train.log grows', 20_000);

  // "Open in Files" opens that file in the Files page of the run's root.
  const link = output.getByTestId('run-output-open');
  const href = await link.getAttribute('href');
  assert.match(href, /^#\/files\/[^/]+\/run%3A[0-9a-f]+\?path=train\.log$/);

  // A finished run shows no ETA, though its last line had one.
  await appendLines(logFile, [line(253, { goal: 'done', progress: 1 })]);
  const state = page.getByTestId('run-header').getByTestId('run-state');
  await waitUntil(async () => (await state.getAttribute('data-state')) === 'done', 'the run is done', 20_000);
  assert.equal((await page.getByTestId('run-eta').textContent()).trim(), '–');
  await shot('done');

  await link.click();
  await page.getByTestId('files-page').waitFor();
  await waitUntil(async () => (await page.getByTestId('files-page').textContent()).includes('epoch 1 loss 0.42'), 'the file in Files');
  await shot('in-files');
  assert.deepEqual(problems, [], 'no page errors');
});
