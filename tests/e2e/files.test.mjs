// Issue 10: create a project, make a file, edit and save it, provoke a conflict (the file is
// rewritten on disk behind the editor) and resolve it both ways, keep unsaved changes behind a
// question, upload (picked and dropped), trash and undo, and view an image from a run's folder (the run page's gallery and the file browser);
// an SVG with a script is shown as an image and runs nothing.
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { apiToken, appendLines, logTimestamp, loginThroughUi, openBrowser, screenshotter, startServer, waitUntil } from './harness.mjs';

let server;
let ui;

const RUN_NAME = '2026-11-27_10.00.00_run00001';

/** A real PNG (RGB, 8 bits) of `width` × `height` with a gradient, so the browser decodes it. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((x / width) * 255);
      raw[row + 2 + x * 3] = Math.round((y / height) * 255);
      raw[row + 3 + x * 3] = 160;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  server = await startServer({
    prepare: async (dirs) => {
      const runDir = path.join(dirs.results, 'e2e_files', RUN_NAME);
      await mkdir(path.join(runDir, 'samples'), { recursive: true });
      await appendLines(path.join(runDir, 'ailab.log'), [{ timestamp: logTimestamp(), goal: 'train 1/1', progress: 1, score: 0.9, loss: 0.1, step: 1 }]);
      await writeFile(path.join(runDir, 'samples', 'grid.png'), png(64, 48));
      // An SVG that would run script if it were ever shown as a document or inline markup.
      await writeFile(
        path.join(runDir, 'evil.svg'),
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="window.__svgRan = 1"><script>window.__svgRan = 2</script><rect width="20" height="20" fill="red"/></svg>',
      );
    },
  });
  ui = await openBrowser();
});

after(async () => {
  await ui?.browser.close();
  await server?.stop();
});

/** The text of the CodeMirror editor (its lines). */
const editorText = (page, scope = '[data-testid="code-editor"] .cm-content') =>
  page.$eval(scope, (el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));

test('projects and files: create, edit, save, conflict, run images', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'files');
  await loginThroughUi(page, server);

  // A project, made from the Projects page's dialog; a bad name is refused before it is sent.
  await page.getByTestId('nav-projects').click();
  await page.getByTestId('projects-page').waitFor();
  await page.getByTestId('new-project').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('new-project-name').fill('../escape');
  await dialog.getByTestId('new-project-problem').waitFor();
  assert.ok(await dialog.getByTestId('new-project-create').isDisabled(), 'a name with / cannot be submitted');
  await dialog.getByTestId('new-project-name').fill('e2e-proj');
  await shot('new-project');
  await dialog.getByTestId('new-project-create').click();
  await page.locator('[data-testid="files-page"][data-root="project:e2e-proj"]').waitFor();
  const projectDir = path.join(server.dirs.workspace, 'e2e-proj');

  // A new file, opened in the editor.
  await page.getByTestId('new-file').click();
  await page.getByTestId('create-dialog-input').fill('train.py');
  await page.getByTestId('create-dialog-ok').click();
  // The new file is selected and opens in the editor.
  await page.locator('[data-testid="tree-row"][data-path="train.py"]').waitFor();
  await waitUntil(() => /path=train\.py/.test(page.url()), 'the new file is selected');
  const editor = page.getByTestId('code-editor');
  await page.locator('[data-testid="code-editor"][data-state="ready"] .cm-content').waitFor();

  // Edit and save with Ctrl-S: the file on disk holds what was typed.
  await page.locator('[data-testid="code-editor"] .cm-content').click();
  await page.keyboard.type('lr = 0.1\nepochs = 3\n');
  assert.equal(await editor.getAttribute('data-dirty'), 'true');
  await shot('edited');
  await page.keyboard.press('Control+s');
  await waitUntil(async () => (await editor.getAttribute('data-dirty')) === 'false', 'the save ends');
  assert.equal(await readFile(path.join(projectDir, 'train.py'), 'utf8'), 'lr = 0.1\nepochs = 3\n');
  await shot('saved');

  // Someone rewrites the file behind the editor; the next save is a conflict, never an overwrite.
  await writeFile(path.join(projectDir, 'train.py'), 'lr = 0.5\nepochs = 3\n');
  await page.locator('[data-testid="code-editor"] .cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('seed = 1\n');
  await page.keyboard.press('Control+s');
  const conflict = page.getByTestId('conflict-view');
  await conflict.waitFor();
  assert.equal(await readFile(path.join(projectDir, 'train.py'), 'utf8'), 'lr = 0.5\nepochs = 3\n', 'theirs is untouched');
  const theirsShown = await page.$eval('[data-testid="conflict-view"] .cm-merge-a .cm-content', (el) => el.textContent);
  assert.match(theirsShown, /lr = 0\.5/, 'the conflict view shows theirs');
  await shot('conflict');
  await conflict.getByTestId('conflict-keep-mine').click();
  await conflict.waitFor({ state: 'detached' });
  assert.equal(await readFile(path.join(projectDir, 'train.py'), 'utf8'), 'lr = 0.1\nepochs = 3\nseed = 1\n', 'mine was kept');

  // A second conflict, resolved by taking theirs: the editor shows theirs and the disk keeps it.
  await writeFile(path.join(projectDir, 'train.py'), 'lr = 0.9\n');
  await page.locator('[data-testid="code-editor"] .cm-content').click();
  await page.keyboard.type('# mine\n');
  await page.keyboard.press('Control+s');
  await conflict.waitFor();
  await conflict.getByTestId('conflict-take-theirs').click();
  await conflict.waitFor({ state: 'detached' });
  await waitUntil(async () => (await editorText(page)) === 'lr = 0.9\n', 'the editor shows theirs');
  assert.equal(await readFile(path.join(projectDir, 'train.py'), 'utf8'), 'lr = 0.9\n');
  await shot('theirs-taken');

  // Unsaved changes: leaving asks first; declining stays on the file with the text kept.
  await page.locator('[data-testid="code-editor"] .cm-content').click();
  await page.keyboard.type('# unsaved\n');
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.getByTestId('nav-projects').click();
  await waitUntil(() => asked !== '', 'the leave question');
  assert.match(asked, /unsaved/i);
  assert.match(page.url(), /path=train\.py/, 'still on the file');
  assert.match(await editorText(page), /# unsaved/);
  await page.getByTestId('save').click();
  await waitUntil(async () => (await editor.getAttribute('data-dirty')) === 'false', 'the last save');

  // Uploads into the project's root: a 9 MiB file picked (three chunks), and a file dropped.
  await page.getByTestId('crumb').first().click();
  await page.getByTestId('folder-view').waitFor();
  const big = Buffer.alloc(9 * 1024 * 1024 + 17, 7);
  await page.getByTestId('upload-input').setInputFiles({ name: 'weights.bin', mimeType: 'application/octet-stream', buffer: big });
  const dropped = await page.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['dropped by drag and drop\n'], 'dropped.txt', { type: 'text/plain' }));
    return transfer;
  });
  await page.getByTestId('folder-view').dispatchEvent('drop', { dataTransfer: dropped });
  await waitUntil(async () => (await page.locator('[data-testid="upload-item"][data-state="done"]').count()) === 2, 'both uploads finish', 30_000);
  assert.equal((await readFile(path.join(projectDir, 'weights.bin'))).length, big.length, 'the picked file arrived whole');
  assert.equal(await readFile(path.join(projectDir, 'dropped.txt'), 'utf8'), 'dropped by drag and drop\n');
  await page.locator('[data-testid="folder-entry"][data-name="dropped.txt"]').waitFor();
  await shot('uploaded');

  // Trash, then undo (restore): the file is back where it was.
  await page.locator('[data-testid="folder-entry"][data-name="dropped.txt"]').getByTestId('entry-trash').click();
  await page.getByTestId('files-undo').waitFor();
  await page.locator('[data-testid="folder-entry"][data-name="dropped.txt"]').waitFor({ state: 'detached' });
  await page.getByTestId('files-undo').click();
  await page.locator('[data-testid="folder-entry"][data-name="dropped.txt"]').waitFor();
  assert.equal(await readFile(path.join(projectDir, 'dropped.txt'), 'utf8'), 'dropped by drag and drop\n', 'restored');

  // A run's images: the run page's gallery, then the image in the run folder's file browser.
  await page.getByTestId('nav-overview').click();
  const row = page.locator('[data-testid="run-row"]', { hasText: RUN_NAME });
  await row.waitFor();
  await row.locator('a').first().click();
  await page.getByTestId('run-page').waitFor();
  const item = page.locator('[data-testid="gallery-item"][data-path="samples/grid.png"]');
  await item.waitFor();
  await waitUntil(() => item.locator('img').count(), 'the thumbnail loads');
  await shot('run-gallery');
  await item.click();
  const large = page.getByTestId('gallery-large');
  await large.waitFor();
  assert.equal(await large.evaluate((img) => img.naturalWidth), 64, 'the PNG decodes');
  await page.getByTestId('gallery-viewer').getByText('Open in files').click();
  await page.locator('[data-testid="files-page"][data-root^="run:"]').waitFor();
  await page.getByTestId('image').waitFor();
  await waitUntil(async () => (await page.getByTestId('image-size').textContent()) === '64 × 48', 'the image size');
  const crumbs = await page.getByTestId('crumb').allTextContents();
  assert.deepEqual(crumbs.slice(1), ['samples', 'grid.png'], 'breadcrumbs name the folders');
  await shot('run-image');

  // The SVG opens as an image and its script never runs.
  await page.locator('[data-testid="tree-row"][data-path="evil.svg"]').click();
  await page.getByTestId('image').waitFor();
  await waitUntil(() => page.getByTestId('image').evaluate((img) => img.complete), 'the svg loads');
  assert.equal(await page.evaluate(() => window.__svgRan ?? 0), 0, 'the SVG ran no script');
  await shot('svg-as-image');

  // Chromium logs the expected 412 answers (the conflicts) as failed loads; nothing else may fail.
  assert.deepEqual(
    problems.filter((p) => !/status of 412/.test(p)),
    [],
    'no page errors',
  );
});

test('viewers: markdown (sanitised, relative links), CSV table, binary and hex, YAML and shell modes, a followed log', async () => {
  const { page, problems } = ui;
  const shot = screenshotter(page, 'files-viewers');
  // A project made through the API, filled on disk.
  const token = await apiToken(server);
  const created = await fetch(`${server.url}/api/v1/projects`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'viewers' }),
  });
  assert.equal(created.status, 201);
  const dir = path.join(server.dirs.workspace, 'viewers');
  await mkdir(path.join(dir, 'docs'), { recursive: true });
  await writeFile(
    path.join(dir, 'README.md'),
    '# Hello\n\n<script>window.__md = 1</script>\n\n<img src=x onerror="window.__md = 2">\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[setup](docs/setup.md) [bad](javascript:window.__md=3)\n',
  );
  await writeFile(path.join(dir, 'docs', 'setup.md'), '# Setup\n\nSecond page.\n');
  await writeFile(path.join(dir, 'metrics.csv'), 'step,loss,"note, quoted"\n' + Array.from({ length: 5000 }, (_, i) => `${i},${(1 / (i + 1)).toFixed(5)},"row ${i}"`).join('\n') + '\n');
  await writeFile(path.join(dir, 'model.pt'), Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256)));
  await writeFile(path.join(dir, 'config.yaml'), 'lr: 0.1\nlayers:\n  - 64\n');
  await writeFile(path.join(dir, 'run.sh'), '#!/bin/bash\nfor i in 1 2; do echo "$i"; done\n');
  const logFile = path.join(dir, 'train.log');
  await writeFile(logFile, 'epoch 1 start\n');

  const serverId = `127.0.0.1-${new URL(server.url).port}`;
  const open = (p) => page.evaluate((h) => (location.hash = h), `#/files/${serverId}/project%3Aviewers?path=${encodeURIComponent(p)}`);

  await open('README.md');
  const markdown = page.getByTestId('markdown-view');
  await markdown.locator('h1').waitFor();
  assert.equal(await markdown.locator('script, img').count(), 0, 'raw HTML is text, not markup');
  assert.match(await markdown.textContent(), /<script>/);
  await markdown.getByText('bad').click();
  assert.equal(await page.evaluate(() => window.__md ?? 0), 0, 'nothing from the README ran');
  await shot('markdown');
  await markdown.getByText('setup').click();
  await page.getByTestId('markdown-view').getByText('Second page.').waitFor();

  await open('metrics.csv');
  await page.locator('[data-testid="csv-view"][data-rows="5001"]').waitFor();
  assert.ok((await page.locator('[data-testid="csv-rows"] .grid').count()) < 200, 'the table renders only the rows in view');
  await shot('csv');

  await open('model.pt');
  await page.getByTestId('binary-notice').waitFor();
  assert.match(await page.getByTestId('binary-notice').textContent(), /5,000 bytes/);
  await page.getByTestId('show-hex').click();
  await page.getByTestId('hex-view').getByText('00000000  00 01 02 03').waitFor();
  await shot('hex');

  for (const name of ['config.yaml', 'run.sh']) {
    await open(name);
    await page.locator('[data-testid="code-editor"][data-state="ready"] .cm-content').waitFor();
    // The mode colours tokens: a highlighted span exists inside the lines.
    await waitUntil(() => page.locator('[data-testid="code-editor"] .cm-line span').count(), `${name} is highlighted`);
  }
  await shot('shell');

  await open('train.log');
  await page.locator('[data-testid="text-view"][data-follow="true"]').waitFor();
  for (let i = 2; i <= 5; i++) await appendFile(logFile, `epoch ${i} loss ${1 / i}\n`);
  await waitUntil(async () => Number(await page.getByTestId('text-view').getAttribute('data-lines')) === 5, 'the followed log shows the new lines', 10_000);
  await shot('log');
  assert.deepEqual(problems.filter((p) => !/status of 412/.test(p)), [], 'no page errors');
});
