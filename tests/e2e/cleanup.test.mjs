// Issue 3 (clean up): only failed/dead/empty/aborted runs are offered, confirmed runs move to the
// trash and leave the table, and the Trash view restores them.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let server;
let ui;

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      const write = async (name, lines) => {
        const dir = path.join(dirs.results, 'cleanup_project', name);
        await mkdir(dir, { recursive: true });
        await appendLines(path.join(dir, 'ailab.log'), lines);
      };
      const ts = logTimestamp();
      await write('run_ok', [{ timestamp: ts, goal: 'train 1/10', progress: 0.1, score: 0.5, loss: 1, step: 1 }]);
      await write('run_failed', [
        { timestamp: ts, goal: 'train 1/10', progress: 0.1, score: 0.5, loss: 1, step: 1 },
        { timestamp: ts, goal: 'failed', step: 2 },
      ]);
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

const row = (page, name) => page.locator('[data-testid="run-row"]', { hasText: name });

test('clean up a failed run, then restore it from the trash', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'cleanup');
  await loginThroughUi(page, server);

  await row(page, 'run_ok').waitFor();
  await row(page, 'run_failed').waitFor();
  await waitUntil(async () => (await row(page, 'run_failed').getAttribute('data-state')) === 'failed', 'failed state');
  await row(page, 'run_ok').locator('input[type="checkbox"]').check();
  await row(page, 'run_failed').locator('input[type="checkbox"]').check();
  await page.getByTestId('cleanup-button').click();

  const dialog = page.getByTestId('cleanup-dialog');
  await dialog.waitFor();
  const items = dialog.getByTestId('cleanup-item');
  assert.equal(await items.count(), 1, 'only the failed run is offered');
  assert.match(await items.first().textContent(), /run_failed/);
  await shot('confirm');

  await dialog.getByTestId('cleanup-confirm').click();
  const result = dialog.getByTestId('cleanup-result');
  await result.waitFor();
  assert.match(await result.textContent(), /1 run moved/);
  await shot('result');
  await page.keyboard.press('Escape');

  await waitUntil(async () => (await row(page, 'run_failed').count()) === 0, 'the failed run leaves the table');
  assert.equal(await row(page, 'run_ok').count(), 1, 'the running run stays');

  await page.getByTestId('trash-link').click();
  const trashRow = page.getByTestId('trash-row');
  await trashRow.first().waitFor();
  assert.equal(await trashRow.count(), 1);
  assert.match(await trashRow.first().textContent(), /cleanup_project\/run_failed/);
  await shot('trash');

  await trashRow.first().locator('input[type="checkbox"]').check();
  await page.getByTestId('restore-button').click();
  await page.getByTestId('restore-result').waitFor();
  assert.match(await page.getByTestId('restore-result').textContent(), /1 restored/);
  await waitUntil(async () => (await page.getByTestId('trash-row').count()) === 0, 'the trash empties');
  await shot('restored');

  await page.getByTestId('nav-overview').click();
  await waitUntil(async () => (await row(page, 'run_failed').count()) === 1, 'the run is back in the table');
  await shot('back');
  assert.deepEqual(problems, [], 'no page errors');
});
