// Issue 12: notes, tags and stars on a run are the server's, shared by its users. Two browsers
// (two contexts, so two logins) on one server: what A writes on the run page, B sees live without a
// reload; a reload of A shows it; a tag or note the server refuses shows its reason beside the field
// and keeps what was typed.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { apiToken, appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

const RUN = '2024-05-01_10.00.00_notes';
const OTHER = '2024-05-01_11.00.00_other';
let server;
let token;
let a;
let b;

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      for (const name of [RUN, OTHER]) {
        const dir = path.join(dirs.results, 'notes_project', name);
        await mkdir(dir, { recursive: true });
        await appendLines(
          path.join(dir, 'ailab.log'),
          [1, 2, 3].map((step) => ({ timestamp: logTimestamp(), goal: 'train 1/10', progress: step / 10, loss: 1 / step, step })),
        );
      }
    },
  });
  a = await openBrowser();
  // A second context: its own localStorage, so its own login (another browser, as far as the server knows).
  const context = await a.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.setDefaultTimeout(15_000);
  b = { page, problems };
});

after(async () => {
  await a?.browser.close();
  await server?.stop();
});

async function api(method, route, body) {
  if (!token) {
    token = await apiToken(server);
  }
  const answer = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(answer.ok, `${method} ${route}: ${answer.status}`);
  return answer.json();
}

async function runId(name) {
  const { runs } = await api('GET', '/runs');
  return runs.find((r) => r.name === name).id;
}

async function openRun(page) {
  await loginThroughUi(page, server);
  const row = page.locator('[data-testid="run-row"]', { hasText: RUN });
  await row.waitFor();
  await row.getByTestId('run-link').click();
  await page.getByTestId('run-notes').waitFor();
}

const noteText = (page) => page.getByTestId('run-note-text').textContent();
const tagNames = (page) => page.locator('[data-testid="run-tag"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));

test('a note, a tag and a star written in one browser appear live in another', async () => {
  const shotA = screenshotter(a.page, 'annotations-a');
  const shotB = screenshotter(b.page, 'annotations-b');
  await openRun(a.page);
  await openRun(b.page);
  assert.equal((await noteText(b.page)).trim(), 'No note.');
  assert.deepEqual(await tagNames(b.page), []);

  // A writes a note of two lines; Ctrl-Enter saves it.
  await a.page.getByTestId('run-note-edit').click();
  await a.page.getByTestId('run-note-input').fill('lr too high\nloss diverges after epoch 3');
  await a.page.getByTestId('run-note-input').press('Control+Enter');
  await a.page.getByTestId('run-note-input').waitFor({ state: 'detached' });
  assert.equal(await noteText(a.page), 'lr too high\nloss diverges after epoch 3');

  // A adds a tag with Enter.
  await a.page.getByTestId('run-tag-input').fill('diverged');
  await a.page.getByTestId('run-tag-input').press('Enter');
  await waitUntil(async () => (await tagNames(a.page)).includes('diverged'), 'the tag on A');
  assert.equal(await a.page.getByTestId('run-tag-input').inputValue(), '', 'the input is cleared once the tag is saved');
  await a.page.getByTestId('run-star').click();
  await waitUntil(async () => (await a.page.getByTestId('run-notes').getAttribute('data-starred')) === 'true', 'starred on A');
  await shotA('written');

  // B sees all of it without a reload, and who changed it.
  await waitUntil(async () => (await noteText(b.page)) === 'lr too high\nloss diverges after epoch 3', 'the note on B');
  await waitUntil(async () => (await tagNames(b.page)).includes('diverged'), 'the tag on B');
  await waitUntil(async () => (await b.page.getByTestId('run-notes').getAttribute('data-starred')) === 'true', 'the star on B');
  assert.match(await b.page.getByTestId('run-annotations-by').textContent(), /^edited by admin /);
  // The line break is kept on screen: the note is two lines tall.
  const lines = await b.page.getByTestId('run-note-text').evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)));
  assert.equal(lines, 2, 'two lines shown');

  // B's tag input offers tags of other runs (set here through the API on the second run): arrow
  // down and Enter take the suggestion.
  await api('PATCH', `/runs/${await runId(OTHER)}/annotations`, { tags: ['baseline', 'divergence-study'] });
  await b.page.getByTestId('run-tag-input').fill('div');
  const suggestions = b.page.getByTestId('run-tag-suggestions');
  await waitUntil(async () => (await suggestions.count()) === 1 && (await suggestions.textContent()).includes('divergence-study'), 'a suggestion');
  assert.ok(!(await suggestions.textContent()).includes('diverged'), 'a tag the run has is not offered');
  await b.page.getByTestId('run-tag-input').press('ArrowDown');
  await shotB('suggestion');
  await b.page.getByTestId('run-tag-input').press('Enter');
  await waitUntil(async () => (await tagNames(a.page)).includes('divergence-study'), 'the suggested tag on A');
  await shotB('live');

  // B removes it again; A sees it go.
  await b.page.locator('[data-testid="run-tag"][data-tag="divergence-study"]').getByTestId('run-tag-remove').click();
  await waitUntil(async () => !(await tagNames(a.page)).includes('divergence-study'), 'the removal on A');
  assert.deepEqual(await tagNames(a.page), ['diverged']);

  // A reload shows what the server keeps.
  await a.page.reload();
  await a.page.getByTestId('run-notes').waitFor();
  await waitUntil(async () => (await noteText(a.page)) === 'lr too high\nloss diverges after epoch 3', 'the note after a reload');
  assert.deepEqual(await tagNames(a.page), ['diverged']);
  assert.equal(await a.page.getByTestId('run-notes').getAttribute('data-starred'), 'true');
  await shotA('reloaded');
  assert.deepEqual(a.problems, [], 'no page errors on A');
  assert.deepEqual(b.problems, [], 'no page errors on B');
});

test('a refused tag or note shows the server\'s reason and keeps what was typed', async () => {
  const page = a.page;
  const shot = screenshotter(page, 'annotations-errors');
  const input = page.getByTestId('run-tag-input');

  for (const bad of ['x'.repeat(65), 'a,b']) {
    await input.fill(bad);
    await input.press('Enter');
    const error = page.getByTestId('run-tag-error');
    await error.waitFor();
    assert.ok((await error.textContent()).trim().length > 0, 'a reason is shown');
    assert.equal(await input.inputValue(), bad, 'the typed tag stays');
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await tagNames(page), ['diverged'], 'the tags are unchanged');
    await shot(bad.includes(',') ? 'comma' : 'too-long');
  }
  // Typing again clears the reason; a good tag is then saved.
  await input.fill('ok-tag');
  assert.equal(await page.getByTestId('run-tag-error').count(), 0);
  await input.press('Enter');
  await waitUntil(async () => (await tagNames(page)).includes('ok-tag'), 'the good tag');

  // A note over 64 KiB is refused; the text stays in the editor.
  const long = 'n'.repeat(64 * 1024 + 1);
  await page.getByTestId('run-note-edit').click();
  await page.getByTestId('run-note-input').fill(long);
  await page.getByTestId('run-note-save').click();
  await page.getByTestId('run-note-error').waitFor();
  assert.equal((await page.getByTestId('run-note-input').inputValue()).length, long.length, 'the typed note stays');
  await shot('note-too-long');
  await page.getByTestId('run-note-cancel').click();
  assert.equal(await noteText(page), 'lr too high\nloss diverges after epoch 3', 'the stored note is unchanged');
});
