// The dashboard's HTTP API, through fastify's inject (no socket): the run list with progress and
// ETA, a run's records, sweeps with their ablation, the page and its scripts from local packages,
// and every way of reaching outside the runs folder refused.
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createDashboard, type RunRow } from '../src/dashboard/index.js';
import { tempDir } from './cli-helpers.js';
import { stepRecord, writeRun, writeRunsFolder } from './dashboard-fixtures.js';

describe('dashboard API', () => {
  const root = writeRunsFolder();
  const outside = tempDir('outside');
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync(outside, join(root, 'escape'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'group-a', 'lot-seed0', 'notes.txt'));
  // A run whose metrics.jsonl leads outside is not shown at all.
  const linked = writeRun(join(root, 'group-x', 'lot-seed9'), {
    method: 'lot',
    seed: 9,
    epochs: 1,
    epochsDone: 1,
    stepsPerEpoch: 4,
    status: 'complete',
  });
  writeFileSync(join(outside, 'metrics.jsonl'), `${JSON.stringify(stepRecord(1, 1))}\n`);
  rmSync(join(linked, 'metrics.jsonl'));
  symlinkSync(join(outside, 'metrics.jsonl'), join(linked, 'metrics.jsonl'));
  let app: FastifyInstance;
  before(async () => {
    app = await createDashboard({ root });
  });
  after(() => app.close());

  const get = async (url: string) => app.inject({ method: 'GET', url });
  const json = async (url: string) => {
    const r = await get(url);
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    return r.json();
  };

  test('/api/runs lists every run with domain, method, seed, status, progress, ETA and final metric', async () => {
    const { runs, sweeps } = (await json('/api/runs')) as { runs: RunRow[]; sweeps: { id: string }[] };
    assert.deepEqual(
      runs.map((r) => r.id),
      [
        'group-a/lot-seed0',
        'group-a/teacher-only-seed0',
        'group-b/lot-seed1',
        'sweep-vision/lot-tau1.5-alpha0.5-n1-seed0',
        'sweep-vision/lot-tau1.5-alpha1-n1-seed0',
        'sweep-vision/teacher-only-seed0',
      ],
    );
    const done = runs.find((r) => r.id === 'group-a/lot-seed0')!;
    assert.deepEqual(
      {
        kind: done.kind,
        method: done.method,
        seed: done.seed,
        status: done.status,
        final: done.finalText,
        fraction: done.progress.fraction,
      },
      { kind: 'vision', method: 'lot', seed: 0, status: 'complete', final: '70.00%', fraction: 1 },
    );
    assert.equal(done.progress.etaSeconds, null);
    // Training its 2nd epoch of 3 (4 steps each), at step 6 after 1.5 s of training.
    const running = runs.find((r) => r.id === 'group-b/lot-seed1')!;
    assert.equal(running.status, 'running');
    assert.deepEqual(
      {
        step: running.progress.step,
        total: running.progress.totalSteps,
        fraction: running.progress.fraction,
        eta: running.progress.etaSeconds,
      },
      { step: 6, total: 12, fraction: 0.5, eta: 1.5 },
    );
    assert.equal(running.sweep, null);
    assert.equal(runs.find((r) => r.id.startsWith('sweep-vision/'))!.sweep, 'sweep-vision');
    assert.deepEqual(
      sweeps.map((s) => s.id),
      ['sweep-vision'],
    );
  });

  test('/api/records gives whole lines only: a torn last line waits until it is complete', async () => {
    const run = join(root, 'group-b', 'lot-seed1');
    const before = (await json('/api/records?run=group-b/lot-seed1')).records.length;
    appendFileSync(join(run, 'metrics.jsonl'), JSON.stringify(stepRecord(2, 7)).slice(0, 20));
    assert.equal((await json('/api/records?run=group-b/lot-seed1')).records.length, before);
    appendFileSync(join(run, 'metrics.jsonl'), `${JSON.stringify(stepRecord(2, 7)).slice(20)}\n`);
    const { records } = await json('/api/records?run=group-b%2Flot-seed1');
    assert.equal(records.length, before + 1);
    assert.deepEqual(records.at(-1), stepRecord(2, 7));
    assert.equal((await get('/api/records?run=group-b')).statusCode, 404, 'not a run folder');
    assert.equal((await get('/api/records')).statusCode, 400);
  });

  test('a sweep comes with its ablation table and plots, as `lot report` makes them', async () => {
    const s = await json('/api/sweep?sweep=sweep-vision');
    assert.deepEqual(s.counts, { complete: 3 });
    assert.deepEqual(s.ablation.header, ['τ', 'α', 'N', 'LoT', 'LoT − teacher-only', 'equal compute at N']);
    assert.deepEqual(
      s.ablation.rows.map((r: string[]) => r.slice(0, 4)),
      [
        ['1.5', '0.5', '1', '70.00 (n=1)'],
        ['1.5', '1', '1', '70.00 (n=1)'],
      ],
    );
    assert.deepEqual(Object.keys(s.ablation.specs), ['alpha', 'n']);
    const svg = await get('/api/sweep/plot.svg?sweep=sweep-vision&x=alpha');
    assert.equal(svg.statusCode, 200);
    assert.match(svg.headers['content-type'] as string, /^image\/svg\+xml/);
    assert.match(svg.body, /^<svg[^>]*>/);
    assert.match(svg.body, /against α/);
    assert.equal((await get('/api/sweep?sweep=group-a')).statusCode, 404, 'not a sweep');
    assert.equal((await get('/api/sweep/plot.svg?sweep=sweep-vision&x=tau')).statusCode, 400);
  });

  test('the page and its scripts come from this server (vega and vega-lite from the installed packages)', async () => {
    const page = await get('/');
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    const scripts = [...page.body.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(scripts, ['/vendor/vega.min.js', '/vendor/vega-lite.js', '/app.js']);
    for (const src of [...scripts, '/style.css', '/charts.js', '/runs-table.js', '/sweeps.js', '/format.js']) {
      const r = await get(src);
      assert.equal(r.statusCode, 200, src);
      assert.ok(r.body.length > 100, src);
    }
    assert.match((await get('/vendor/vega.min.js')).headers['content-type'] as string, /javascript/);
    // Nothing may load from elsewhere.
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.doesNotMatch(page.body, /https?:\/\//);
  });

  test('files under the runs folder are served read-only, as data', async () => {
    const r = await get('/files/group-a/lot-seed0/config.json');
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().method, 'lot');
    assert.match(r.headers['content-security-policy'] as string, /sandbox/);
    assert.equal((await get('/files/sweep-vision/logs/teacher-only-seed0.log')).body, 'lot: teacher-only-seed0 complete\n');
    assert.equal((await get('/files/group-a')).statusCode, 404, 'no folder listings');
  });

  test('path traversal is refused, encoded or not, in paths and in queries', async () => {
    const attempts = [
      '/files/../../../../etc/passwd',
      '/files/group-a/../../../etc/passwd',
      '/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/files/..%2f..%2f..%2fetc%2fpasswd',
      '/files/%252e%252e/%252e%252e/etc/passwd',
      '/files/%2fetc%2fpasswd',
      '/files//etc/passwd',
      '/files/..%5c..%5cetc%5cpasswd',
      '/files/group-a%00/config.json',
      '/files/escape/secret.txt',
      '/files/group-a/lot-seed0/notes.txt',
      '/api/records?run=../../etc',
      '/api/records?run=%2e%2e%2f%2e%2e',
      '/api/records?run=/etc',
      '/api/records?run=escape',
      '/api/records?run=group-x/lot-seed9',
      '/api/sweep?sweep=..',
      '/api/sweep/plot.svg?sweep=../..&x=alpha',
    ];
    for (const url of attempts) {
      const r = await get(url);
      assert.ok([400, 403, 404].includes(r.statusCode), `${url} answered ${r.statusCode}`);
      assert.doesNotMatch(r.body, /secret|root:/, url);
    }
    assert.equal((await get('/files/escape/secret.txt')).statusCode, 403, 'a link leading outside');
    assert.equal((await get('/files/..%2f..%2fetc%2fpasswd')).statusCode, 403, 'dots that reach the route');
  });

  test('only requests addressed to localhost are answered (no DNS rebinding)', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/runs', headers: { host: 'attacker.example:8765' } });
    assert.equal(r.statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/runs', headers: { host: '127.0.0.1:8765' } })).statusCode, 200);
  });
});
