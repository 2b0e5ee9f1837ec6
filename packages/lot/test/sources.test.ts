// The data-fetching helpers of src/sources: verified downloads against a server on the loopback
// address (mirrors in order, checksums, a cut connection, an unreachable address), checksums and
// the cache folder, and programs (timeouts that stop the whole process group, apt-get through a
// stand-in script).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { download, DownloadError } from '../src/sources/download.js';
import { ChecksumError, defaultCacheDir, fileDigest, findFile, isFile, verifyChecksum } from '../src/sources/files.js';
import { findProgram, installDebianPackage, runProgram } from '../src/sources/programs.js';

const root = mkdtempSync(join(tmpdir(), 'lot-sources-'));
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

describe('files', () => {
  test('digests, and a checksum mismatch is a ChecksumError naming the file', async () => {
    const path = join(root, 'files', 'p.bin');
    mkdirSync(join(root, 'files'), { recursive: true });
    writeFileSync(path, payload);
    assert.equal(await fileDigest(path, 'md5'), md5);
    assert.equal(await fileDigest(path, 'sha256'), sha256);
    await verifyChecksum(path, md5.toUpperCase());
    await verifyChecksum(path, sha256);
    const wrong = '0'.repeat(32);
    await assert.rejects(
      verifyChecksum(path, wrong),
      (e: Error) =>
        e instanceof ChecksumError &&
        e.file === path &&
        e.message.startsWith(`${path}: md5 checksum mismatch (expected ${wrong}, got ${md5}); the file is corrupt or incomplete`),
    );
  });

  test('isFile and findFile: regular files only, the first name that is one', () => {
    const dir = join(root, 'find');
    mkdirSync(join(dir, 'b.gz'), { recursive: true });
    writeFileSync(join(dir, 'b'), 'x');
    writeFileSync(join(dir, 'c'), 'x');
    assert.equal(isFile(join(dir, 'b')), true);
    assert.equal(isFile(join(dir, 'b.gz')), false);
    assert.equal(isFile(join(dir, 'nope')), false);
    assert.equal(findFile(dir, ['a', 'b.gz', 'b', 'c']), join(dir, 'b'));
    assert.equal(findFile(dir, ['a', 'b.gz']), null);
  });

  test('the cache folder: $LOT_DATA_DIR, else $XDG_CACHE_HOME/lot, else ~/.cache/lot', () => {
    const saved = { lot: process.env.LOT_DATA_DIR, xdg: process.env.XDG_CACHE_HOME, home: process.env.HOME };
    const restore = (name: string, value: string | undefined): void => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    try {
      process.env.LOT_DATA_DIR = '/data/lot';
      process.env.XDG_CACHE_HOME = '/xdg';
      assert.equal(defaultCacheDir(), '/data/lot');
      delete process.env.LOT_DATA_DIR;
      assert.equal(defaultCacheDir(), '/xdg/lot');
      delete process.env.XDG_CACHE_HOME;
      process.env.HOME = '/home/someone';
      assert.equal(defaultCacheDir(), '/home/someone/.cache/lot');
    } finally {
      restore('LOT_DATA_DIR', saved.lot);
      restore('XDG_CACHE_HOME', saved.xdg);
      restore('HOME', saved.home);
    }
  });
});

describe('programs', () => {
  const script = (name: string, text: string): string => {
    const path = join(root, 'bin', name);
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(path, `#!/bin/bash\n${text}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  test('runProgram: the whole stdout, the end of stderr, the exit code; a missing program is a result, not a throw', async () => {
    const p = script('talk.sh', 'echo "out $1"; echo "err $2" >&2; exit 3');
    assert.deepEqual(await runProgram(p, ['a', 'b'], 5000), { code: 3, stdout: 'out a\n', stderr: 'err b\n', timedOut: false });
    const missing = await runProgram(join(root, 'bin', 'missing'), [], 5000);
    assert.equal(missing.code, null);
    assert.match(missing.stderr, /ENOENT/);
  });

  test('runProgram: at the timeout the whole process group is stopped, children too', async () => {
    const pidFile = join(root, 'bin', 'child.pid');
    const p = script('hang.sh', `sleep 30 & echo $! > '${pidFile}'; wait`);
    const t = Date.now();
    const r = await runProgram(p, [], 300);
    assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
    assert.equal(r.timedOut, true);
    const child = Number(readFileSync(pidFile, 'utf8'));
    const alive = (): boolean => {
      try {
        // A zombie waiting for its reaper is dead too.
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${child}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(), false, `the child ${child} outlived the timeout`);
  });

  test('findProgram: on $PATH, or a path with a slash; null when missing or not executable', () => {
    assert.match(findProgram('sh') ?? '', /\/sh$/);
    const p = script('tool.sh', 'exit 0');
    assert.equal(findProgram(p), p);
    chmodSync(p, 0o644);
    assert.equal(findProgram(p), null);
    assert.equal(findProgram('no-such-program-here'), null);
  });

  test('installDebianPackage: a failing apt-get says why and what to do', {
    skip: (process.platform !== 'linux' || process.getuid?.() !== 0) && 'needs root on Linux',
  }, async () => {
    const apt = script('apt-get.sh', 'echo "$*" >> "$0.log"\necho "E: Could not get lock /var/lib/dpkg/lock" >&2\nexit 100');
    const r = await installDebianPackage('bible-kjv', { aptGet: apt, log: () => {} });
    assert.deepEqual(r, {
      installed: false,
      message:
        'could not install bible-kjv: E: Could not get lock /var/lib/dpkg/lock; install it with: apt-get install -y bible-kjv (as root)',
    });
    assert.match(readFileSync(`${apt}.log`, 'utf8'), /-o DPkg::Lock::Timeout=60 .* install -y --no-install-recommends bible-kjv/);
    const withAdvice = await installDebianPackage('some-data', { aptGet: apt, log: () => {}, otherwise: 'pass --data-dir' });
    assert.match(withAdvice.message, /; install it with: apt-get install -y some-data \(as root\), or pass --data-dir$/);
    const slow = script('slow-apt.sh', 'sleep 30');
    const t = Date.now();
    const s = await installDebianPackage('bible-kjv', { aptGet: slow, timeoutMs: 300, log: () => {} });
    assert.ok(Date.now() - t < 5000);
    assert.match(s.message, /timed out/);
  });

  test('installDebianPackage: without apt-get it says so and what else to do', async () => {
    if (process.platform !== 'linux') return;
    const savedPath = process.env.PATH;
    process.env.PATH = join(root, 'empty-path');
    try {
      const r = await installDebianPackage('some-data', { log: () => {}, otherwise: 'pass --data-dir' });
      assert.deepEqual(r, {
        installed: false,
        message: "Debian's some-data package is not installed and there is no apt-get here: pass --data-dir",
      });
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
