// The page registry in the browser: every nav entry opens its page and lights up alone, pages
// outside the nav light their parent, an unknown route falls back to "No such page", and the
// placeholder page draws its icon without an emoji font.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginThroughUi, openBrowser, screenshotter, startServer } from './harness.mjs';

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

const activeNav = (page) =>
  page.$$eval('[data-testid="nav"] a.active', (links) => links.map((a) => a.getAttribute('data-testid')));

test('nav and routes come from the page registry', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'pages');
  await loginThroughUi(page, server);

  const marks = {
    overview: 'overview-page',
    jobs: 'jobs-page',
    projects: 'projects-page',
    terminals: 'terminals-page',
    system: 'system-page',
    servers: 'add-server-button',
  };
  const navIds = await page.$$eval('[data-testid="nav"] a', (links) => links.map((a) => a.getAttribute('data-testid')));
  assert.deepEqual(navIds, Object.keys(marks).map((id) => `nav-${id}`));
  for (const [id, mark] of Object.entries(marks)) {
    await page.getByTestId(`nav-${id}`).click();
    await page.getByTestId(mark).waitFor();
    assert.equal(new URL(page.url()).hash, `#/${id}`);
    assert.deepEqual(await activeNav(page), [`nav-${id}`], `only ${id} is lit`);
  }

  // Projects (issue 10) is a page of its own now: its list and the "New project" button, no emoji.
  await page.goto(`${server.url}/#/projects`);
  const projects = page.getByTestId('projects-page');
  await projects.getByTestId('new-project').waitFor();
  assert.doesNotMatch(await projects.textContent(), /\p{Extended_Pictographic}/u, 'projects: no emoji');
  // A root's file browser sits under Projects in the nav; a root of an unknown kind is no page.
  await page.goto(`${server.url}/#/files/some-server/project%3Ademo`);
  await page.getByTestId('files-page').waitFor();
  assert.deepEqual(await activeNav(page), ['nav-projects']);
  await page.goto(`${server.url}/#/files/some-server/disk%3Aetc`);
  await page.getByText('No such page.').waitFor();

  // A job's page lights Jobs; a job id that is not a number is no page.
  await page.goto(`${server.url}/#/jobs/some-server/12`);
  await page.getByTestId('job-page').waitFor();
  assert.deepEqual(await activeNav(page), ['nav-jobs']);
  await page.goto(`${server.url}/#/jobs/some-server/twelve`);
  await page.getByText('No such page.').waitFor();

  // Trash sits under Overview in the nav and shows one tab per server, the current one marked.
  await page.goto(`${server.url}/#/trash`);
  await page.getByTestId('trash-page').waitFor();
  assert.deepEqual(await activeNav(page), ['nav-overview']);
  const tabs = page.getByTestId('server-tabs');
  assert.equal(await tabs.locator('a.tab').count(), 1);
  assert.equal(await tabs.locator('a.tab.on').count(), 1);

  await page.goto(`${server.url}/#/no-such-page/x`);
  await page.getByText('No such page.').waitFor();
  assert.deepEqual(await activeNav(page), [], 'an unknown route lights no nav entry');
  await shot('not-found');
  await page.getByRole('link', { name: 'Overview', exact: true }).last().click();
  await page.getByTestId('overview-page').waitFor();

  assert.deepEqual(problems.filter((p) => !p.includes('401')), [], 'no page errors');
});
