// Issue 4: the overview's system card shows CPU and memory, updates with new samples, and says
// that there is no GPU on this GPU-less machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

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

test('system card shows live CPU and memory and the GPU status', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'system');
  await loginThroughUi(page, server);

  const card = page.getByTestId('system-card').first();
  await card.waitFor();
  await waitUntil(async () => (await card.getAttribute('data-time')) !== '', 'a first system sample');
  const firstTime = Number(await card.getAttribute('data-time'));
  const cpu = Number(await card.getByTestId('system-cpu').getAttribute('data-value'));
  const memory = Number(await card.getByTestId('system-memory').getAttribute('data-value'));
  assert.ok(firstTime > 1.6e9, `sample time is Unix seconds (${firstTime})`);
  assert.ok(cpu >= 0 && cpu <= 100, `cpu percent in range (${cpu})`);
  assert.ok(memory > 0 && memory <= 100, `memory percent in range (${memory})`);
  assert.match(await card.getByTestId('system-memory').textContent(), /iB \/ .*iB/, 'memory used / total shown');
  await shot('first-sample');

  await waitUntil(
    async () => Number(await card.getAttribute('data-time')) > firstTime,
    'a newer sample (system.sample over the WebSocket)',
    20_000,
  );
  await shot('next-sample');

  const gpu = card.getByTestId('gpu-status');
  await gpu.waitFor();
  assert.match(await gpu.textContent(), /no gpu|gpu sampling disabled/i);
  assert.notEqual(await gpu.getAttribute('data-status'), 'ok');
  assert.equal(await card.getByTestId('gpu-tile').count(), 0);

  // The System page charts the history of the same server.
  await page.getByTestId('nav-system').click();
  await page.getByTestId('system-page').waitFor();
  await page.locator('[data-testid="chart"][data-metric="cpu-memory"]').waitFor();
  await waitUntil(
    async () => Number(await page.locator('[data-testid="chart"][data-metric="cpu-memory"]').getAttribute('data-points')) > 0,
    'history chart points',
  );
  await shot('system-page');

  assert.deepEqual(problems, [], 'no page errors');
});
