// Verified downloads, against a server on the loopback address: mirrors in order, checksums,
// a cut connection, an unreachable address.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { download, DownloadError } from '../src/tasks/vision/datasets/index.js';

const root = mkdtempSync(join(tmpdir(), 'lot-dl-'));
const payload = Buffer.alloc(200_000, 0).map((_, i) => (i * 31) % 251);
const md5 = createHash('md5').update(payload).digest('hex');
const sha256 = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base = '';
let hits: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/good.bin') {
      res.writeHead(200, { 'content-length': String(payload.length) });
      res.end(payload);
    } else if (req.url === '/corrupt.bin') {
      const bad = Buffer.from(payload);
      bad[7] ^= 1;
      res.writeHead(200, { 'content-length': String(bad.length) });
      res.end(bad);
    } else if (req.url === '/cut.bin') {
      res.writeHead(200, { 'content-length': String(payload.length) });
      res.write(payload.subarray(0, 1000), () => res.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

const quiet = { log: () => {}, idleTimeoutMs: 5000 };

describe('download', () => {
  test('falls through failing mirrors to one that serves the right bytes (md5 and sha256)', async () => {
    hits = [];
    const dest = join(root, 'a', 'good.bin');
    await download([`${base}/missing.bin`, `${base}/corrupt.bin`, `${base}/good.bin`], dest, md5, quiet);
    assert.deepEqual(readFileSync(dest), payload);
    assert.deepEqual(hits, ['/missing.bin', '/corrupt.bin', '/good.bin']);
    // Already there and intact: no request.
    hits = [];
    await download([`${base}/good.bin`], dest, sha256, quiet);
    assert.deepEqual(hits, []);
    // Corrupt on disk: fetched again.
    writeFileSync(dest, 'junk');
    await download([`${base}/good.bin`], dest, md5, quiet);
    assert.deepEqual(readFileSync(dest), payload);
  });

  test('a corrupt or cut download is never left in place', async () => {
    const dest = join(root, 'b', 'x.bin');
    await assert.rejects(
      download([`${base}/corrupt.bin`], dest, md5, quiet),
      (e: Error) => e instanceof DownloadError && /md5 checksum mismatch/.test(e.message),
    );
    await assert.rejects(download([`${base}/cut.bin`], dest, md5, quiet), DownloadError);
    assert.equal(existsSync(dest), false);
    assert.deepEqual(readdirSync(join(root, 'b')), []);
  });

  test('an unreachable address fails quickly with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const t = Date.now();
    await assert.rejects(
      download([`http://127.0.0.1:${port}/x.bin`], join(root, 'c', 'x.bin'), md5, quiet),
      (e: Error) => e instanceof DownloadError && /ECONNREFUSED/.test(e.message),
    );
    assert.ok(Date.now() - t < 5000);
  });
});
