// Issue 12, defect 4: at 390×844 (a phone) every page fits the viewport (nothing scrolls the page
// sideways; wide tables and long lines scroll inside their own box) and the nav's Log out is on
// screen and can be clicked.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { apiToken, appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

const WIDTH = 390;
const HEIGHT = 844;
const RUNS = [
  { name: '2024-03-01_09.00.00_a_rather_long_run_name_lr_0.001_batch_256', lr: 0.001, done: false },
  { name: '2024-03-01_09.05.00_b_rather_long_run_name_lr_0.01_batch_128', lr: 0.01, done: true },
];

let server;
let ui;

function line(step, extra = {}) {
  return {
    timestamp: logTimestamp(new Date(Date.now() - (20 - step) * 1000)),
    goal: 'train 1/10',
    progress: step / 20,
    eta: '0:10:00',
    score: 0.5 + step / 100,
    loss: 1 / step,
    val_accuracy_of_the_long_named_metric: step / 20,
    step,
    ...extra,
  };
}

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      for (const r of RUNS) {
        const dir = path.join(dirs.results, 'narrow_project_with_a_long_folder_name', r.name);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'config.json'), JSON.stringify({ lr: r.lr, batch_size: 256, model: { name: 'resnet50', width: 64 } }));
        const lines = [1, 2, 3, 4, 5].map((s) => line(s));
        if (r.done) lines.push({ timestamp: logTimestamp(), goal: 'done', progress: 1, score: 0.9, loss: 0.1, step: 6 });
        await appendLines(path.join(dir, 'ailab.log'), lines);
        await writeFile(path.join(dir, 'train.log'), `epoch 1 ${'x'.repeat(300)}\nepoch 2 done\n`);
      }
    },
  });
  ui = await openBrowser();
  await ui.page.setViewportSize({ width: WIDTH, height: HEIGHT });
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

async function runIds() {
  const token = await apiToken(server);
  const answer = await fetch(`${server.url}/api/v1/runs`, { headers: { Authorization: `Bearer ${token}` } });
  const { runs } = await answer.json();
  return RUNS.map((r) => runs.find((x) => x.name === r.name).id);
}

/** What sticks out: the page's width, and the widest elements that pass the viewport's right edge. */
async function overflow(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 0.5) continue;
      // Only the outermost: an element inside a scrolling box that clips it does not widen the page.
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (style.overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 0.5) {
          clipped = true;
          break;
        }
      }
      if (!clipped) wide.push(`${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}.${[...el.classList].join('.')} right=${Math.round(box.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 8) };
  });
}

test('every page fits 390 px, and Log out is on screen', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'narrow');
  await loginThroughUi(page, server);
  const [a, b] = await runIds();

  // The server id the UI gave "this server", read from the run link.
  await page.locator('[data-testid="run-row"]').first().waitFor();
  const href = await page.locator('[data-testid="run-link"]').first().getAttribute('href');
  const serverId = decodeURIComponent(href.split('/')[2]);
  assert.ok(serverId, `a server id in ${href}`);
  const s = encodeURIComponent(serverId);

  const pages = [
    ['overview', '#/overview', 'overview-page'],
    ['run', `#/run/${s}/${a}`, 'run-page'],
    ['compare', `#/compare?runs=${s}:${a},${s}:${b}`, 'compare-page'],
    ['system', '#/system', 'system-page'],
    ['jobs', '#/jobs', 'jobs-page'],
    ['projects', '#/projects', 'projects-page'],
    ['files', `#/files/${s}/${encodeURIComponent(`run:${a}`)}`, 'files-page'],
    ['terminals', '#/terminals', 'terminals-page'],
    ['servers', '#/servers', 'server-list'],
  ];

  const failures = [];
  for (const [name, hash, testid] of pages) {
    await page.goto(`${server.url}/${hash}`);
    await page.getByTestId(testid).first().waitFor();
    if (name === 'run') await page.locator('[data-testid="chart"][data-metric="loss"]').waitFor();
    if (name === 'compare') await page.locator('[data-testid="compare-run"]').nth(1).waitFor();
    // Let charts size themselves and lazy chunks settle.
    await page.waitForTimeout(600);
    await shot(name);

    const o = await overflow(page);
    if (o.scrollWidth > o.innerWidth) failures.push(`${name}: page ${o.scrollWidth} px wide in ${o.innerWidth}: ${o.wide.join(', ')}`);

    if (name === 'system') {
      // Defect 5: a fresh server's 24 h view (a point a minute) has no line yet, and says so.
      await page.getByTestId('range-24h').click();
      const note = page.getByTestId('system-collecting');
      await note.waitFor();
      assert.match(await note.textContent(), /^Collecting( since \d\d:\d\d:\d\d)?: (no point yet|first point at)/);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= WIDTH, 'system 24 h fits');
      await shot('system-24h');
    }

    const logout = page.getByTestId('logout');
    assert.ok(await logout.isVisible(), `${name}: Log out visible`);
    const box = await logout.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= WIDTH && box.y >= 0 && box.y + box.height <= HEIGHT, `${name}: Log out inside the viewport (${JSON.stringify(box)})`);
    // Nothing covers it: the element at its centre is the button itself.
    const onTop = await page.evaluate(
      ([x, y]) => document.elementFromPoint(x, y)?.closest('[data-testid="logout"]') !== null,
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    assert.ok(onTop, `${name}: Log out can be clicked`);

    // Every nav entry can be reached: the bar scrolls inside itself (it never widens the page).
    const nav = await page.getByTestId('nav').evaluate((el) => ({ right: el.getBoundingClientRect().right, entries: el.querySelectorAll('a').length }));
    assert.ok(nav.right <= WIDTH + 0.5 && nav.entries >= 6, `${name}: nav inside the viewport (${JSON.stringify(nav)})`);
  }
  assert.deepEqual(failures, [], 'no page wider than the viewport');

  // The nav's last entry scrolls into reach, and clicking it works.
  await page.goto(`${server.url}/#/overview`);
  await page.getByTestId('nav-servers').click();
  await page.getByTestId('server-list').waitFor();
  assert.ok((await page.getByTestId('nav-servers').boundingBox()).x + 10 <= WIDTH, 'the open page\'s nav entry is in view');

  // Log out really logs out.
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
  await waitUntil(async () => (await page.evaluate(() => document.documentElement.scrollWidth)) <= WIDTH, 'login form fits');
  await shot('logged-out');

  assert.deepEqual(
    problems.filter((p) => !p.includes('401')),
    [],
    'no page errors',
  );
});
