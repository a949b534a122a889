// Repeated failed logins: the server answers 429 with Retry-After, the form shows the wait and
// blocks the button until it has passed, then a correct login works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, USER, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let server;
let ui;

before(async () => {
  server = await startServer();
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

test('too many failed logins show the Retry-After wait', async () => {
  const { page } = ui;
  const shot = screenshotter(page, 'login');
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-user').fill(USER);

  const submit = page.getByTestId('login-submit');
  const error = page.getByTestId('login-error');
  let retryAfter = '';
  for (let attempt = 0; attempt < 20 && !retryAfter; attempt++) {
    await page.getByTestId('login-password').fill(`wrong-${attempt}`);
    await submit.click();
    await waitUntil(async () => (await submit.isEnabled()) || (await error.getAttribute('data-retry-after')), 'an answer');
    retryAfter = (await error.getAttribute('data-retry-after')) ?? '';
    await waitUntil(async () => (await error.count()) === 1, 'an error');
  }
  assert.ok(Number(retryAfter) > 0, 'a 429 with Retry-After arrived within 20 attempts');
  assert.match(await error.textContent(), /try again in\s+\d+\s*s/i);
  assert.equal(await submit.isDisabled(), true, 'the button waits');
  await shot('too-many');

  await waitUntil(async () => submit.isEnabled(), 'the wait to pass', 120_000);
  await page.getByTestId('login-password').fill(PASSWORD);
  await submit.click();
  await page.getByTestId('nav').waitFor();
  await shot('logged-in');
});
