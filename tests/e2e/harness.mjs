// Shared helpers for the browser tests: start the real `ailab` binary on a temp config and
// loopback port, drive Debian's Chromium through playwright-core, and save screenshots.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

// playwright-core is a devDependency of ui/ (the tests run from there and share its node_modules).
const requireFromUi = createRequire(path.join(repoRoot, 'ui', 'package.json'));
const { chromium } = requireFromUi('playwright-core');

export const PASSWORD = 'e2e-password-1';
export const USER = 'admin';

export function binaryPath() {
  const fromEnv = process.env.AILAB_BIN;
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot, 'build', 'ailab');
}

export function outputDir() {
  const base = process.env.AILAB_TEST_OUT
    ? path.resolve(process.env.AILAB_TEST_OUT)
    : path.join(repoRoot, 'build', 'test-output');
  return path.join(base, 'e2e');
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts one `ailab` process on a temp config. `prepare(dirs)` may fill the results folder before
 * the server starts. Returns { url, port, origin, dirs, stop(), log() }.
 */
export async function startServer({ port, allowedOrigins = [], prepare, extraConfig = {} } = {}) {
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`ailab binary not found at ${bin}: build it first (or set AILAB_BIN)`);
  }
  port ??= await freePort();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ailab-e2e-'));
  const dirs = {
    tmp,
    workspace: path.join(tmp, 'ws'),
    results: path.join(tmp, 'results'),
    queue: path.join(tmp, 'state'),
  };
  for (const d of [dirs.workspace, dirs.results, dirs.queue]) await mkdir(d, { recursive: true });
  if (prepare) await prepare(dirs);
  const config = {
    host: '127.0.0.1',
    port,
    users: { [USER]: PASSWORD },
    workspace: dirs.workspace,
    results: dirs.results,
    queue: dirs.queue,
    auto_detect_experiments: false,
    projects: {},
    gpus: [],
    allowed_origins: allowedOrigins,
    dead_after_minutes: 90,
    ...extraConfig,
  };
  const configPath = path.join(tmp, 'config.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));

  // A home of its own: terminal shells (and vim) write their history there, inside the temp folder
  // that stop() removes, never in the home of whoever runs the tests.
  const home = path.join(tmp, 'home');
  await mkdir(home, { recursive: true });
  const child = spawn(bin, [configPath], { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp, env: { ...process.env, HOME: home } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) child.kill('SIGKILL');
    }
    await rm(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited !== null) {
      await rm(tmp, { recursive: true, force: true });
      throw new Error(`ailab exited early (${JSON.stringify(exited)}):\n${output}`);
    }
    try {
      const response = await fetch(`${url}/api/v1/health`);
      const body = await response.json();
      if (body.status === 'ok') break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ailab did not answer /api/v1/health within 20 s:\n${output}`);
    }
    await sleep(100);
  }
  return { url, origin: url, port, dirs, stop, log: () => output };
}

/** Launches headless Chromium and opens a page; collects console errors for diagnostics. */
export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(15_000);
  return { browser, context, page, problems };
}

/** Saves numbered screenshots under $AILAB_TEST_OUT/e2e/<suite>-NN-<step>.png. */
export function screenshotter(page, suite) {
  let n = 0;
  return async (step) => {
    const dir = outputDir();
    await mkdir(dir, { recursive: true });
    n++;
    const file = path.join(dir, `${suite}-${String(n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

/** A token of the admin for API calls the tests make themselves (POST /api/v1/login). */
export async function apiToken(server) {
  const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', body: JSON.stringify({ user: USER, password: PASSWORD }) });
  if (!login.ok) throw new Error(`login: HTTP ${login.status}`);
  return (await login.json()).token;
}

/** Logs in through the form on the page of `hash` (the form shows on any route, then that page). */
export async function loginThroughUi(page, server, password = PASSWORD, hash = '#/overview') {
  await page.goto(`${server.url}/${hash}`);
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-user').fill(USER);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav').waitFor();
}

/** Waits until `fn()` is truthy (polling), or fails with `what`. */
export async function waitUntil(fn, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await sleep(200);
  }
}

/** "2024-01-02 10:00:00.000000" in local time, the format of the ailab.log lines. */
export function logTimestamp(date = new Date()) {
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds() * 1000, 6)}`
  );
}

export async function appendLines(file, lines) {
  await appendFile(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/**
 * Serves a folder (the built UI, ui/dist) as plain static files on a free loopback port — a
 * "static copy on another host". Returns { url, port, stop() }.
 */
export async function serveStatic(root, port) {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new Error(`${root}/index.html not found: build the UI first (cd ui && npm run build)`);
  }
  port ??= await freePort();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(root, rel);
    if (!file.startsWith(path.resolve(root) + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
