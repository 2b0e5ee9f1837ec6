// The dashboard over real HTTP on an ephemeral port: it binds 127.0.0.1 by default; its live
// feed sends a page everything once and then only what is new (an appended metrics.jsonl line
// arrives as exactly that record), tells it to reset a run whose file was truncated or replaced
// and that a deleted run is gone, and it keeps serving through all of that; raw traversal
// requests are refused; a port in use is a one-line error; closing ends open feeds.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Dashboard, startDashboard } from '../src/dashboard/index.js';
import { UsageError } from '../src/harness/errors.js';
import { appendRecord, epochRecord, stepRecord, writeRun, writeRunsFolder } from './dashboard-fixtures.js';
import { FeedClient, rawGet, waitFor } from './dashboard-helpers.js';

describe('dashboard live feed', () => {
  const root = writeRunsFolder();
  const run = join(root, 'group-b', 'lot-seed1');
  const id = 'group-b/lot-seed1';
  let d: Dashboard;
  let feed: FeedClient;
  before(async () => {
    d = await startDashboard({ root, port: 0, intervalMs: 40 });
    feed = await FeedClient.open(`${d.url}api/events`);
    await feed.next('ready');
  });
  after(async () => {
    feed.disconnect();
    await d.close();
  });

  test('binds 127.0.0.1 by default', () => {
    assert.equal((d.app.server.address() as AddressInfo).address, '127.0.0.1');
    assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('the first snapshot holds every run, its records and the sweeps', () => {
    const types = feed.events.map((e) => e.type);
    assert.equal(types[0], 'hello');
    assert.equal(feed.events.filter((e) => e.type === 'run').length, 6);
    assert.equal(feed.events.filter((e) => e.type === 'sweep').length, 1);
    const records = feed.events.filter((e) => e.type === 'records' && e.data.id === id);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.data.records.length, 4 + 1 + 2);
    // A run's row comes before its records.
    assert.ok(types.indexOf('run') < types.indexOf('records'));
  });

  test('an appended line arrives as exactly that record, once; a torn line waits for its end', async () => {
    const from = feed.events.length;
    const line = appendRecord(run, stepRecord(2, 7));
    const e = await feed.next('records', (x) => x.id === id, from);
    assert.deepEqual(e.data.records, [JSON.parse(line)]);
    const row = await feed.next('run', (x) => x.id === id, from);
    assert.equal(row.data.progress.step, 7);

    const from2 = feed.events.length;
    const next = JSON.stringify(epochRecord(2, 8, 0.72));
    writeFileSync(join(run, 'metrics.jsonl'), next.slice(0, 30), { flag: 'a' });
    await new Promise((r) => setTimeout(r, 200)); // several polls
    assert.deepEqual(
      feed.since(from2).filter((x) => x.type === 'records'),
      [],
    );
    writeFileSync(join(run, 'metrics.jsonl'), `${next.slice(30)}\n`, { flag: 'a' });
    const e2 = await feed.next('records', (x) => x.id === id, from2);
    assert.deepEqual(e2.data.records, [JSON.parse(next)]);
    assert.equal(feed.since(from).filter((x) => x.type === 'records').length, 2, 'nothing sent twice');
  });

  test('a truncated metrics.jsonl resets the run and is sent again from its start', async () => {
    const from = feed.events.length;
    writeFileSync(join(run, 'metrics.jsonl'), `${JSON.stringify(stepRecord(1, 1))}\n`);
    await feed.next('reset', (x) => x.id === id, from);
    const e = await feed.next('records', (x) => x.id === id, from);
    assert.deepEqual(e.data.records, [stepRecord(1, 1)]);
    const types = feed.since(from).map((x) => x.type);
    assert.ok(types.indexOf('reset') < types.lastIndexOf('records'), 'reset before the new records');
  });

  test('a metrics.jsonl replaced atomically (as lot resume rewrites it) resets the run', async () => {
    const from = feed.events.length;
    const lines = [stepRecord(1, 1), stepRecord(1, 2), stepRecord(1, 3)].map((r) => JSON.stringify(r));
    writeFileSync(join(run, 'metrics.jsonl.tmp'), `${lines.join('\n')}\n`);
    renameSync(join(run, 'metrics.jsonl.tmp'), join(run, 'metrics.jsonl'));
    await feed.next('reset', (x) => x.id === id, from);
    const e = await feed.next('records', (x) => x.id === id, from);
    assert.equal(e.data.records.length, 3);
  });

  test('new runs appear; deleted runs and sweeps are gone; the server keeps serving', async () => {
    const from = feed.events.length;
    writeRun(join(root, 'group-c', 'lot-seed2'), { method: 'lot', seed: 2, epochs: 2, epochsDone: 0, stepsPerEpoch: 4, status: null });
    const appeared = await feed.next('run', (x) => x.id === 'group-c/lot-seed2', from);
    assert.equal(appeared.data.status, 'incomplete');
    rmSync(join(root, 'group-c'), { recursive: true });
    await feed.next('gone', (x) => x.id === 'group-c/lot-seed2', from);
    rmSync(join(run, 'metrics.jsonl'));
    await feed.next('reset', (x) => x.id === id, from);
    rmSync(join(root, 'sweep-vision'), { recursive: true });
    await feed.next('sweep-gone', (x) => x.id === 'sweep-vision', from);
    await feed.next('gone', (x) => x.id === 'sweep-vision/teacher-only-seed0', from);
    // A folder half made (no config.json yet) is not a run, and breaks nothing.
    mkdirSync(join(root, 'group-d', 'lot-seed3'), { recursive: true });
    writeFileSync(join(root, 'group-d', 'lot-seed3', 'config.json'), '{"method": "lo');
    await new Promise((r) => setTimeout(r, 200));
    const list = (await (await fetch(`${d.url}api/runs`)).json()) as { runs: { id: string }[] };
    assert.deepEqual(
      list.runs.map((r) => r.id),
      ['group-a/lot-seed0', 'group-a/teacher-only-seed0', id],
    );
    assert.equal(feed.ended, false);
  });

  test('raw traversal requests are refused', async () => {
    for (const path of [
      '/files/../../../etc/passwd',
      '/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/files/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      '/files/group-a/%2e%2e/%2e%2e/etc/passwd',
      '/files//etc/passwd',
      '/api/records?run=..%2F..%2Fetc',
    ]) {
      const r = await rawGet(d.url, path);
      assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /root:/);
    }
    assert.equal((await rawGet(d.url, '/files/%2e%2e/%2e%2e/etc/passwd')).status, 403);
    assert.equal((await rawGet(d.url, '/api/runs', 'evil.example')).status, 403, 'a foreign Host header');
  });

  test('a port in use is a one-line error that says to pass --port', async () => {
    await assert.rejects(startDashboard({ root, port: d.port }), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /port \d+ is in use .*--port/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });

  test('closing the server ends the open feeds', async () => {
    const d2 = await startDashboard({ root, port: 0, intervalMs: 40 });
    const f = await FeedClient.open(`${d2.url}api/events`);
    await f.next('ready');
    await d2.close();
    await waitFor(() => f.ended, 'the feed to end');
  });
});
