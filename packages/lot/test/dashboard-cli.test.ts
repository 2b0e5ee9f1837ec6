// `lot dashboard` as a user runs it: it prints where it serves, serves until Ctrl-C and then
// stops cleanly (exit 0); a port in use or a missing folder is one line and exit 2.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { lot, lotSpawn } from './cli-helpers.js';
import { writeRunsFolder } from './dashboard-fixtures.js';
import { waitFor } from './dashboard-helpers.js';

test('lot dashboard serves the runs folder until Ctrl-C, then stops cleanly', async () => {
  const root = writeRunsFolder();
  const child = lotSpawn(['dashboard', root, '--port', '0']);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit');
  try {
    const url = await waitFor(() => /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1], 'the dashboard to print its address', 20_000);
    const runs = (await (await fetch(`${url}api/runs`)).json()) as { runs: unknown[] };
    assert.equal(runs.runs.length, 6);
    // An open feed must not keep the server from stopping.
    const feed = await fetch(`${url}api/events`);
    assert.equal(feed.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    child.kill('SIGINT');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /dashboard stopped/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a port in use is one line saying to pass --port (exit 2); so is a missing folder', async () => {
  const root = writeRunsFolder();
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as AddressInfo).port;
    const r = lot(['dashboard', root, '--port', String(port)]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^lot: port ${port} is in use on 127\\.0\\.0\\.1: pass --port`));
  } finally {
    server.close();
  }
  const missing = lot(['dashboard', join(root, 'nothing'), '--port', '0']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^lot: no folder .*nothing: give the folder that holds your runs/);
});
