// ensureFashionMnistPackage: installs Debian's package through apt-get when the data is missing,
// running `apt-get update` only when apt does not know the package, and never hangs. Tested with
// a stand-in apt-get script (the real one is not run here).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureFashionMnistPackage, findFashionMnistFiles } from '../src/tasks/vision/datasets/index.js';

const root = mkdtempSync(join(tmpdir(), 'lot-apt-'));
after(() => rmSync(root, { recursive: true, force: true }));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A stand-in apt-get: `behaviour` is bash run for `install` (with $DIR, $MARK); `update` touches $MARK. */
function fakeApt(name: string, dir: string, install: string): { apt: string; log: string } {
  const apt = join(root, `${name}.sh`);
  const log = join(root, `${name}.log`);
  const mark = join(root, `${name}.updated`);
  writeFileSync(
    apt,
    [
      '#!/bin/bash',
      `DIR='${dir}'; MARK='${mark}'`,
      `echo "$*" >> '${log}'`,
      'case " $* " in',
      '  *" update "*) touch "$MARK"; echo "Reading package lists... Done"; exit 0 ;;',
      `  *" install "*) ${install} ;;`,
      'esac',
      'exit 1',
    ].join('\n'),
  );
  chmodSync(apt, 0o755);
  return { apt, log };
}

const installFiles =
  'mkdir -p "$DIR" && for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do echo x > "$DIR/$f.gz"; done; echo "Setting up dataset-fashion-mnist"; exit 0';

describe('ensureFashionMnistPackage', { skip: (!isRoot || process.platform !== 'linux') && 'needs root on Linux' }, () => {
  test('installs the package when the files are missing', async () => {
    const dir = join(root, 'a', 'fashion-mnist');
    const { apt, log } = fakeApt('a', dir, installFiles);
    const lines: string[] = [];
    const r = await ensureFashionMnistPackage({ dir, aptGet: apt, log: (l) => lines.push(l) });
    assert.deepEqual(r, { dir, installed: true, message: `installed dataset-fashion-mnist into ${dir}` });
    assert.ok(findFashionMnistFiles(dir));
    const calls = (await import('node:fs')).readFileSync(log, 'utf8');
    assert.match(calls, /-o DPkg::Lock::Timeout=60 .* install -y --no-install-recommends dataset-fashion-mnist/);
    assert.doesNotMatch(calls, /update/);
    assert.match(lines[0]!, /installing Debian's dataset-fashion-mnist package/);
    // Already there: apt is not run again.
    const again = await ensureFashionMnistPackage({ dir, aptGet: join(root, 'missing-apt'), log: () => {} });
    assert.equal(again.installed, false);
    assert.equal(again.dir, dir);
  });

  test('runs apt-get update first when apt does not know the package', async () => {
    const dir = join(root, 'b', 'fashion-mnist');
    const { apt, log } = fakeApt(
      'b',
      dir,
      `if [ -f "$MARK" ]; then ${installFiles}; else echo "E: Unable to locate package dataset-fashion-mnist" >&2; exit 100; fi`,
    );
    const r = await ensureFashionMnistPackage({ dir, aptGet: apt, log: () => {} });
    assert.equal(r.installed, true);
    const calls = (await import('node:fs')).readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(calls.length, 3);
    assert.match(calls[1]!, / update$/);
  });

  test('a failing apt-get gives its last line and what to do', async () => {
    const dir = join(root, 'c', 'fashion-mnist');
    const { apt } = fakeApt('c', dir, 'echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100');
    const r = await ensureFashionMnistPackage({ dir, aptGet: apt, log: () => {} });
    assert.equal(r.dir, null);
    assert.equal(r.installed, false);
    assert.match(
      r.message,
      /could not install dataset-fashion-mnist: E: Could not get lock \/var\/lib\/dpkg\/lock-frontend; install it with: apt-get install -y dataset-fashion-mnist \(as root\), or pass --data-dir/,
    );
  });

  test('a hanging apt-get is stopped at the timeout', async () => {
    const dir = join(root, 'd', 'fashion-mnist');
    const { apt } = fakeApt('d', dir, 'sleep 30; exit 0');
    const t = Date.now();
    const r = await ensureFashionMnistPackage({ dir, aptGet: apt, timeoutMs: 500, log: () => {} });
    assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
    assert.equal(r.dir, null);
    assert.match(r.message, /timed out after 1 s/);
  });

  test('no apt-get: says what to do', async () => {
    const dir = join(root, 'e', 'fashion-mnist');
    const r = await ensureFashionMnistPackage({ dir, aptGet: join(root, 'no-such-apt-get'), log: () => {} });
    assert.equal(r.dir, null);
    assert.match(r.message, /could not install dataset-fashion-mnist: .*ENOENT/);
  });
});
