// The UI as a static copy on another origin: it finds no AI Lab server at its own origin, and
// talks to a server that lists that origin in allowed_origins (and only to such a server).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  PASSWORD,
  USER,
  appendLines,
  freePort,
  logTimestamp,
  openBrowser,
  repoRoot,
  screenshotter,
  serveStatic,
  startServer,
  waitUntil,
} from './harness.mjs';

let site;
let allowed;
let other;
let ui;

before(async () => {
  const sitePort = await freePort();
  site = await serveStatic(path.join(repoRoot, 'ui', 'dist'), sitePort);
  allowed = await startServer({
    allowedOrigins: [site.url],
    prepare: async (dirs) => {
      const runDir = path.join(dirs.results, 'static_project', 'run_a');
      await mkdir(runDir, { recursive: true });
      await appendLines(path.join(runDir, 'ailab.log'), [
        { timestamp: logTimestamp(), goal: 'train 1/2', progress: 0.5, score: 0.7, loss: 0.3, step: 1 },
      ]);
    },
  });
  other = await startServer({ allowedOrigins: [] });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await allowed?.stop();
  await other?.stop();
  await site?.stop();
});

async function addServer(page, url) {
  await page.getByTestId('add-server-button').click();
  const dialog = page.getByTestId('add-server-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('login-url').fill(url);
  await dialog.getByTestId('login-user').fill(USER);
  await dialog.getByTestId('login-password').fill(PASSWORD);
  await dialog.getByTestId('login-submit').click();
  return dialog;
}

test('a static copy adds an allowing server and is refused by one that does not allow it', async () => {
  const { page } = ui;
  const shot = screenshotter(page, 'static');

  await page.goto(`${site.url}/#/overview`);
  await page.getByTestId('nav').waitFor();
  assert.equal(await page.getByTestId('login-form').count(), 0, 'no login form: the static host is no AI Lab server');
  assert.equal(await page.getByTestId('system-card').count(), 0);
  await shot('empty');

  await page.getByTestId('nav-servers').click();
  let dialog = await addServer(page, other.url);
  const error = dialog.getByTestId('login-error');
  await error.waitFor();
  assert.match(await error.textContent(), /cannot reach/i, 'a server without this origin in allowed_origins is not reachable');
  assert.equal(await page.getByTestId('server-row').count(), 0);
  await shot('refused');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  dialog = await addServer(page, allowed.url);
  await dialog.waitFor({ state: 'detached' });
  const status = page.getByTestId('server-row').getByTestId('server-status');
  await waitUntil(async () => (await status.getAttribute('data-state')) === 'connected', 'allowed server connected');
  await shot('added');

  await page.getByTestId('nav-overview').click();
  const row = page.locator('[data-testid="run-row"]', { hasText: 'run_a' });
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), 'running');
  await page.getByTestId('system-card').waitFor();
  await shot('overview');
});
