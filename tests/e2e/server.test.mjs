// Issue 2: log into the UI served by server A, add server B (another origin, which allows A's),
// and stay logged in to both across a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, USER, freePort, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let serverA;
let serverB;
let ui;

before(async () => {
  const portA = await freePort();
  const portB = await freePort();
  serverA = await startServer({ port: portA, allowedOrigins: [`http://127.0.0.1:${portB}`] });
  serverB = await startServer({ port: portB, allowedOrigins: [`http://127.0.0.1:${portA}`] });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await serverA?.stop();
  await serverB?.stop();
});

async function statuses(page) {
  return page.$$eval('[data-testid="server-row"]', (rows) =>
    rows.map((r) => ({
      url: r.getAttribute('data-url'),
      state: r.querySelector('[data-testid="server-status"]')?.getAttribute('data-state'),
    })),
  );
}

test('log in, add a second server, both stay connected after a reload', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'server');

  await page.goto(`${serverA.url}/`);
  await page.getByTestId('login-form').waitFor();
  await shot('login-form');

  // A wrong password shows the server's error and keeps the form.
  await page.getByTestId('login-user').fill(USER);
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  const error = page.getByTestId('login-error');
  await error.waitFor();
  assert.notEqual((await error.textContent()).trim(), '', 'the login error has a message');
  assert.equal(await page.getByTestId('nav').count(), 0, 'no shell before a successful login');
  await shot('login-error');

  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav').waitFor();
  for (const id of ['overview', 'jobs', 'projects', 'system', 'servers']) {
    assert.equal(await page.getByTestId(`nav-${id}`).count(), 1, `nav has ${id}`);
  }
  await shot('shell');

  await page.getByTestId('nav-servers').click();
  await page.getByTestId('server-row').first().waitFor();
  await waitUntil(async () => (await statuses(page))[0]?.state === 'connected', 'server A connected');
  assert.deepEqual(await statuses(page), [{ url: serverA.url, state: 'connected' }]);
  await shot('servers-one');

  await page.getByTestId('add-server-button').click();
  const dialog = page.getByTestId('add-server-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('login-url').fill(serverB.url);
  await dialog.getByTestId('login-user').fill(USER);
  await dialog.getByTestId('login-password').fill(PASSWORD);
  await shot('add-server-dialog');
  await dialog.getByTestId('login-submit').click();
  await dialog.waitFor({ state: 'detached' });

  await waitUntil(async () => {
    const s = await statuses(page);
    return s.length === 2 && s.every((x) => x.state === 'connected');
  }, 'both servers connected');
  assert.deepEqual((await statuses(page)).map((s) => s.url).sort(), [serverA.url, serverB.url].sort());
  await shot('servers-two-connected');

  await page.reload();
  await page.getByTestId('nav').waitFor();
  assert.equal(await page.getByTestId('login-form').count(), 0, 'still logged in after reload');
  await waitUntil(async () => {
    const s = await statuses(page);
    return s.length === 2 && s.every((x) => x.state === 'connected');
  }, 'both servers connected after reload');
  await shot('after-reload');

  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('ailab.servers')));
  assert.equal(stored.length, 2);
  for (const entry of stored) {
    assert.equal(typeof entry.token, 'string');
    assert.equal(entry.user, USER);
  }
  assert.deepEqual(problems.filter((p) => !p.includes('401')), [], 'no page errors');
});
