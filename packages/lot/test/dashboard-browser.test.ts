// The dashboard page in a real browser: headless Chromium (Debian's package, found or installed
// by scripts/ensure-chromium.mjs; the test is skipped, saying how to get it, when there is none)
// driven by puppeteer-core. The run list appears; a curve gains its points when a line is
// appended to a metrics.jsonl; ticking a run draws it too; the sweep shows its ablation; a
// traversal request is refused; and nothing is loaded from anywhere but this server.
// LOT_DASHBOARD_SCREENSHOT=FILE also saves a screenshot of the page (docs/dashboard.png).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Page } from 'puppeteer-core';
import { startDashboard } from '../src/dashboard/index.js';
import { appendRecord, epochRecord, writeRunsFolder } from './dashboard-fixtures.js';
import { waitFor } from './dashboard-helpers.js';

const ENSURE = fileURLToPath(new URL('../../../../scripts/ensure-chromium.mjs', import.meta.url));

/** The browser to drive, or why the test is skipped. */
function findChromium(): { path: string; skip: false } | { path: null; skip: string } {
  const r = spawnSync(process.execPath, [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const path = r.stdout.trim();
  if (r.status === 0 && path) return { path, skip: false };
  return { path: null, skip: r.stderr.trim().split('\n').at(-1) ?? 'no Chromium found' };
}

const chromium = findChromium();

const attr = (page: Page, selector: string, name: string) => page.$eval(selector, (el, n) => el.getAttribute(n as string), name);
const count = (page: Page, selector: string) => page.$$eval(selector, (els) => els.length);
/** Waits until `selector` matches exactly `n` elements. */
const untilCount = (page: Page, selector: string, n: number) =>
  waitFor(async () => (await count(page, selector)) === n, `${n} × ${selector}`, 20_000);
const POINTS = '#metric-chart path[aria-roledescription="point"]';

test('the dashboard page in headless Chromium', { skip: chromium.skip, timeout: 60_000 }, async () => {
  const root = writeRunsFolder();
  const dashboard = await startDashboard({ root, port: 0, intervalMs: 50 });
  const browser = await puppeteer.launch({
    executablePath: chromium.path!,
    headless: true,
    // Chromium's sandbox refuses to run as root (CI); /dev/shm is small in containers.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 1000 });
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(dashboard.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('403') && !m.text().includes('404')) errors.push(m.text());
    });
    await page.goto(dashboard.url);

    // The run list.
    await page.waitForSelector('body[data-ready="true"]');
    await untilCount(page, '#runs tbody tr[data-run]', 6);
    const ids = await page.$$eval('#runs tbody tr[data-run]', (rows) => rows.map((r) => r.getAttribute('data-run')));
    assert.deepEqual(ids.slice(0, 3), ['group-a/lot-seed0', 'group-a/teacher-only-seed0', 'group-b/lot-seed1']);
    assert.equal(await attr(page, 'tr[data-run="group-b/lot-seed1"]', 'data-status'), 'running');
    assert.match(await page.$eval('tr[data-run="group-b/lot-seed1"]', (el) => el.textContent ?? ''), /step 6 \/ 12 \(50%\)/);

    // The running run is drawn first: its epoch-1 evaluation, teacher and student.
    await untilCount(page, POINTS, 2);
    assert.equal(await attr(page, '#metric-chart', 'data-points'), '2');

    // A line appended to its metrics.jsonl becomes points on its curve.
    appendRecord(join(root, 'group-b', 'lot-seed1'), epochRecord(2, 8, 0.72));
    await untilCount(page, POINTS, 4);
    assert.equal(await attr(page, '#metric-chart', 'data-points'), '4');
    const labels = await page.$$eval(POINTS, (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    assert.ok(
      labels.some((l) => /epoch: 2; teacher test accuracy \(%\): 72; run: lot-seed1; model: teacher/.test(l)),
      labels.join('\n'),
    );

    // Ticking a finished run overlays its curves (2 epochs, teacher and student).
    await page.click('tr[data-run="group-a/lot-seed0"] input[type="checkbox"]');
    await untilCount(page, POINTS, 8);

    // The sweep with its ablation table and both plots.
    await untilCount(page, '.sweep[data-sweep="sweep-vision"] .ablation-plot svg', 2);
    assert.equal(await count(page, '.sweep[data-sweep="sweep-vision"] .ablation-table tbody tr'), 2);

    // Traversal from the page is refused.
    const statuses = await page.evaluate(async () =>
      Promise.all(['/files/..%2f..%2f..%2fetc%2fpasswd', '/files/%2e%2e/%2e%2e/etc/passwd'].map(async (u) => (await fetch(u)).status)),
    );
    for (const s of statuses) assert.ok(s === 403 || s === 404, `status ${s}`);
    assert.equal(statuses[0], 403);

    assert.deepEqual(foreign, [], 'requests to other hosts');
    assert.deepEqual(errors, []);
    const shot = process.env.LOT_DASHBOARD_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    const gone = await browser.newPage();
    const response = await gone.goto(`${dashboard.url}files/..%2f..%2f..%2fetc%2fpasswd`);
    assert.equal(response?.status(), 403);
  } finally {
    await browser.close();
    await dashboard.close();
  }
});
