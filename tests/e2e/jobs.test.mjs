// Issue 9: submit a shell job from the Jobs page's dialog, watch its output stream into the job's
// page (ANSI colours, a `\r` progress bar), cancel it, and see it cancelled there and in the list.
// Then a sweep from the same dialog: one job per value, sent in one batch, shown in the list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiToken, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let server;
let ui;

// Green and red lines, a progress counter redrawn with \r, then a marker and a long sleep.
const SCRIPT = [
  "printf '\\033[32mgreen line\\033[0m\\n'",
  "printf '\\033[31mred line\\033[0m\\n'",
  "for i in 1 2 3 4 5; do printf '\\rprogress %d/5' $i; sleep 0.2; done",
  "printf '\\n'",
  'echo ready-to-cancel',
  'sleep 600',
].join('; ');

before(async () => {
  server = await startServer();
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

/** The text xterm.js shows (its DOM renderer keeps one element per row). */
const terminalRows = (page) =>
  page.$$eval('[data-testid="job-terminal"] .xterm-rows > div', (rows) => rows.map((r) => r.textContent.replace(/\u00a0/g, ' ').replace(/\s+$/, '')));

test('submit from the dialog, watch the output stream, cancel', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'jobs');
  await loginThroughUi(page, server);

  await page.getByTestId('nav-jobs').click();
  await page.getByTestId('jobs-page').waitFor();
  await page.getByTestId('jobs-queue').waitFor();
  await shot('jobs-empty');

  // A request the server refuses (more GPUs than its config lists: none) shows its 400 text inline.
  await page.getByTestId('submit-open').click();
  const dialog = page.getByTestId('submit-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('submit-mode-shell').check();
  await dialog.getByTestId('submit-command').fill(SCRIPT);
  await dialog.getByTestId('submit-name').fill('e2e-colours');
  await dialog.getByTestId('submit-gpus').fill('3');
  await dialog.getByTestId('submit-confirm').click();
  const error = dialog.getByTestId('submit-error');
  await error.waitFor();
  assert.match(await error.textContent(), /gpu/i, 'the server names the GPU problem');
  assert.equal(await dialog.getByTestId('submit-command').inputValue(), SCRIPT, 'nothing typed is lost');
  await shot('submit-error');

  await dialog.getByTestId('submit-gpus').fill('0');
  await shot('submit-dialog');
  await dialog.getByTestId('submit-confirm').click();
  await dialog.waitFor({ state: 'detached' });

  // The new job's page opens, and its output streams in.
  await page.getByTestId('job-page').waitFor();
  const hash = new URL(page.url()).hash;
  const match = /^#\/jobs\/([^/]+)\/(\d+)$/.exec(hash);
  assert.ok(match, `a job's route, got ${hash}`);
  const jobId = Number(match[2]);
  const state = page.getByTestId('job-header').getByTestId('job-state');
  await waitUntil(async () => (await state.getAttribute('data-state')) === 'running', 'the job runs', 20_000);
  await waitUntil(async () => (await terminalRows(page)).includes('ready-to-cancel'), 'the output reaches the marker', 20_000);
  const rows = (await terminalRows(page)).filter((r) => r !== '');
  assert.deepEqual(rows, ['green line', 'red line', 'progress 5/5', 'ready-to-cancel'], 'the \\r redraws one line');
  const green = await page.$$eval('[data-testid="job-terminal"] .xterm-rows span', (spans) =>
    spans.filter((s) => s.textContent.includes('green')).map((s) => s.className),
  );
  assert.ok(green.some((c) => /xterm-fg-2\b/.test(c)), `green text is drawn green (classes: ${green})`);
  const output = page.getByTestId('job-output');
  assert.equal(await output.getAttribute('data-state'), 'streaming');
  assert.ok(Number(await output.getAttribute('data-bytes')) > 40, 'the byte count follows the stream');
  await shot('job-running');

  // The list shows it running.
  await page.goto(`${server.url}/#/jobs`);
  const row = page.locator(`[data-testid="jobs-running"] [data-testid="job-row"][data-job-id="${jobId}"]`);
  await row.waitFor();
  await shot('jobs-running');
  await row.getByTestId('job-link').click();
  await page.getByTestId('job-page').waitFor();
  await waitUntil(async () => (await terminalRows(page)).includes('ready-to-cancel'), 'the output again after reopening');

  // Cancel, confirmed in a dialog.
  await page.getByTestId('job-cancel').click();
  await page.getByTestId('cancel-dialog').waitFor();
  await shot('cancel-dialog');
  await page.getByTestId('cancel-confirm').click();
  await waitUntil(async () => (await state.getAttribute('data-state')) === 'cancelled', 'the job is cancelled', 30_000);
  await waitUntil(async () => (await output.getAttribute('data-state')) === 'ended', 'the stream ends', 20_000);
  assert.match(await page.getByTestId('job-exit').textContent(), /signal 15|signal 9|exit/);
  assert.equal(await page.getByTestId('job-cancel').count(), 0, 'no cancel button on an ended job');
  assert.ok((await terminalRows(page)).includes('ready-to-cancel'), 'the output stays');
  await shot('job-cancelled');

  await page.goto(`${server.url}/#/jobs`);
  const ended = page.locator(`[data-testid="jobs-history"] [data-testid="job-row"][data-job-id="${jobId}"]`);
  await ended.waitFor();
  assert.equal(await ended.getAttribute('data-state'), 'cancelled');
  await shot('jobs-history');

  assert.deepEqual(
    problems.filter((p) => !p.includes('400')),
    [],
    'no page errors (the refused submit logs its 400)',
  );
});

/** GET /api/v1{route} as the admin (the raw answer). */
async function api(route) {
  const token = await apiToken(server);
  const answer = await fetch(`${server.url}/api/v1${route}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.ok(answer.ok, `GET ${route}: ${answer.status}`);
  return answer;
}

test('a sweep submits one job per value and opens the list, where they end done', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'jobs-sweep');
  const known = problems.length;
  await page.goto(`${server.url}/#/jobs`);
  await page.getByTestId('jobs-page').waitFor();

  await page.getByTestId('submit-open').click();
  const dialog = page.getByTestId('submit-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('submit-mode-shell').check();
  await dialog.getByTestId('submit-command').fill('echo lr={lr}');
  await dialog.getByTestId('submit-gpus').fill('0');

  // A bad sweep is named as it is typed, and Submit says so too instead of sending anything.
  await dialog.getByTestId('submit-sweep').fill('lr=1,,2');
  const count = dialog.getByTestId('submit-sweep-count');
  assert.match(await count.textContent(), /empty value/);
  await dialog.getByTestId('submit-confirm').click();
  assert.match(await dialog.getByTestId('submit-error').textContent(), /sweep lr has an empty value/);

  await dialog.getByTestId('submit-sweep').fill('lr=1,2');
  assert.equal((await count.textContent()).trim(), '2 jobs: lr');
  assert.equal((await dialog.getByTestId('submit-confirm').textContent()).trim(), 'Submit 2 jobs');
  await shot('dialog');
  await dialog.getByTestId('submit-confirm').click();
  await dialog.waitFor({ state: 'detached' });

  // The list opens (not one job's page), with both jobs, named by their value, ending done.
  const hash = new URL(page.url()).hash;
  assert.match(hash, /^#\/jobs\/[^/]+$/, `the server's job list, got ${hash}`);
  const sweepRows = () =>
    page.$$eval('[data-testid="jobs-history"] [data-testid="job-row"]', (rows) =>
      rows
        .map((r) => ({ id: Number(r.dataset.jobId), name: r.querySelector('.name').textContent, state: r.dataset.state }))
        .filter((r) => r.name.startsWith('shell lr='))
        .sort((a, b) => a.id - b.id),
    );
  const rows = await waitUntil(async () => {
    const got = await sweepRows();
    return got.length === 2 && got.every((r) => r.state === 'done') && got;
  }, 'both sweep jobs done in the list', 20_000);
  assert.deepEqual(
    rows.map((r) => r.name),
    ['shell lr=1', 'shell lr=2'],
  );
  assert.equal(rows[1].id, rows[0].id + 1, 'consecutive ids, in sweep order');
  for (const [i, r] of rows.entries()) assert.equal(await (await api(`/jobs/${r.id}/output`)).text(), `lr=${i + 1}\n`);
  await shot('list');
  assert.deepEqual(problems.slice(known), [], 'no page errors');
});
