// The dashboard's parts on their own: following metrics.jsonl by offset (torn lines,
// truncation, replacement, deletion), the path gate, the folder scan, progress and ETA.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freshLive, LineTail, observe, progressOf, RunsRoot, scanRunsFolder, splitMarkdownTable } from '../src/dashboard/index.js';
import { parseRecords } from '../src/harness/records.js';
import { tempDir } from './cli-helpers.js';
import { epochRecord, stepRecord, writeRunsFolder } from './dashboard-fixtures.js';

describe('LineTail', () => {
  test('returns only the whole lines appended since the last read; a torn line waits for its newline', async () => {
    const path = join(tempDir('tail'), 'metrics.jsonl');
    const tail = new LineTail(path);
    assert.deepEqual(await tail.read(), { reset: false, gone: true, lines: [] });
    writeFileSync(path, '{"a":1}\n{"a":2}\n');
    assert.deepEqual((await tail.read()).lines, ['{"a":1}', '{"a":2}']);
    assert.deepEqual((await tail.read()).lines, []);
    appendFileSync(path, '{"a":3}\n{"a":');
    assert.deepEqual((await tail.read()).lines, ['{"a":3}']);
    appendFileSync(path, '4}');
    assert.deepEqual((await tail.read()).lines, [], 'still no newline');
    appendFileSync(path, '\n');
    assert.deepEqual(await tail.read(), { reset: false, gone: false, lines: ['{"a":4}'] });
  });

  test('a truncated, replaced or rewritten file starts over with reset; a deleted one is gone', async () => {
    const dir = tempDir('tail');
    const path = join(dir, 'metrics.jsonl');
    writeFileSync(path, '{"a":1}\n{"a":2}\n');
    const tail = new LineTail(path);
    await tail.read();
    writeFileSync(path, '{"b":1}\n'); // shorter: truncated
    assert.deepEqual(await tail.read(), { reset: true, gone: false, lines: ['{"b":1}'] });
    writeFileSync(join(dir, 'new'), '{"c":1}\n{"c":2}\n');
    renameSync(join(dir, 'new'), path); // as writeFileAtomic (lot resume) does: a new inode
    assert.deepEqual(await tail.read(), { reset: true, gone: false, lines: ['{"c":1}', '{"c":2}'] });
    writeFileSync(path, '{"d":1}\n{"d":2}\n{"d":3}\n'); // rewritten in place, longer than before
    assert.deepEqual(await tail.read(), { reset: true, gone: false, lines: ['{"d":1}', '{"d":2}', '{"d":3}'] });
    rmSync(path);
    assert.deepEqual(await tail.read(), { reset: true, gone: true, lines: [] });
    writeFileSync(path, '{"e":1}\n');
    assert.deepEqual(await tail.read(), { reset: false, gone: false, lines: ['{"e":1}'] });
  });
});

describe('RunsRoot.resolve', () => {
  const root = writeRunsFolder();
  const outside = tempDir('outside');
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync(outside, join(root, 'group-a', 'link-out'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'group-a', 'secret.txt'));
  symlinkSync(join(root, 'group-a', 'lot-seed0'), join(root, 'link-in'));
  const gate = new RunsRoot(root);

  test('names inside the folder resolve; missing ones are 404', () => {
    const ok = gate.resolve('group-a/lot-seed0/config.json');
    assert.ok(ok.ok && ok.path.endsWith('/group-a/lot-seed0/config.json'));
    assert.ok(gate.resolve('').ok);
    assert.ok(gate.resolve('link-in/config.json').ok, 'a link that stays inside is fine');
    assert.deepEqual(gate.resolve('group-a/nothing'), { ok: false, status: 404, reason: 'no such file' });
    assert.equal(gate.resolveFile('group-a').ok, false, 'a folder is not a file');
  });

  test('traversal is refused, however it is written', () => {
    for (const rel of [
      '..',
      '../etc/passwd',
      'group-a/../../etc/passwd',
      '/etc/passwd',
      'group-a/./lot-seed0',
      '%2e%2e/%2e%2e/etc/passwd',
      '..%2f..%2fetc%2fpasswd',
      '%252e%252e',
      'group-a\\..\\..\\etc',
      'C:/Windows',
      'a\0b',
      'group-a/link-out/secret.txt',
      'group-a/secret.txt',
    ]) {
      const r = gate.resolve(rel);
      assert.ok(!r.ok && r.status === 403, `${JSON.stringify(rel)}: ${JSON.stringify(r)}`);
    }
  });
});

test('the scan finds runs at every level and sweeps, and follows no links', () => {
  const root = writeRunsFolder();
  mkdirSync(join(root, 'demo', '20261201-vision', 'lot-seed0'), { recursive: true });
  writeFileSync(join(root, 'demo', '20261201-vision', 'lot-seed0', 'config.json'), '{}');
  mkdirSync(join(root, 'group-a', 'report'));
  symlinkSync(join(root, 'group-a'), join(root, 'linked-group'));
  assert.deepEqual(scanRunsFolder(root), {
    runs: [
      'demo/20261201-vision/lot-seed0',
      'group-a/lot-seed0',
      'group-a/teacher-only-seed0',
      'group-b/lot-seed1',
      'sweep-vision/lot-tau1.5-alpha0.5-n1-seed0',
      'sweep-vision/lot-tau1.5-alpha1-n1-seed0',
      'sweep-vision/teacher-only-seed0',
    ],
    sweeps: ['sweep-vision'],
  });
  assert.deepEqual(scanRunsFolder(join(root, 'nothing-here')), { runs: [], sweeps: [] });
});

describe('progress', () => {
  const fold = (lines: unknown[]) => {
    const live = freshLive();
    for (const r of parseRecords(lines.map((l) => JSON.stringify(l)).join('\n'))) observe(live, r);
    return live;
  };

  test('steps per epoch from the first epoch record; ETA from the training seconds', () => {
    const live = fold([stepRecord(1, 1), stepRecord(1, 2), stepRecord(1, 3), stepRecord(1, 4), epochRecord(1, 4, 0.6), stepRecord(2, 5)]);
    const p = progressOf({ epochs: 4 }, live, 'running');
    assert.deepEqual(p, { step: 5, totalSteps: 16, epoch: 2, epochs: 4, fraction: 5 / 16, seconds: 1.25, etaSeconds: (1.25 * 11) / 5 });
    assert.equal(progressOf({ epochs: 4 }, live, 'complete').fraction, 1);
    assert.equal(progressOf({ epochs: 4 }, live, 'interrupted').etaSeconds, null, 'no ETA unless running');
  });

  test('before the first epoch ends: --max-steps bounds it; else only the epoch is known', () => {
    const live = fold([stepRecord(1, 1), stepRecord(1, 2)]);
    assert.equal(progressOf({ epochs: 3, maxSteps: 8 }, live, 'running').fraction, 2 / 8);
    const p = progressOf({ epochs: 3 }, live, 'running');
    assert.equal(p.totalSteps, null);
    assert.equal(p.fraction, 0);
    assert.equal(p.etaSeconds, null);
  });

  test('--eval-every records give steps per epoch mid-epoch; RL settings give them from the start', () => {
    const evalRecord = { ...epochRecord(1, 30, 0.5), type: 'eval', epoch: 0.3 };
    assert.equal(progressOf({ epochs: 2 }, fold([evalRecord]), 'running').totalSteps, 200);
    const rl = { epochs: 1, totalSteps: 100_000, numEnvs: 4, numSteps: 128 };
    assert.equal(progressOf(rl, fold([stepRecord(1, 39)]), 'running').fraction, 39 / 195);
    assert.equal(progressOf({ ...rl, maxSteps: 50 }, fold([stepRecord(1, 25)]), 'running').fraction, 0.5);
  });
});

test("splitMarkdownTable takes the report's ablation table apart", () => {
  const md = '| τ | α | LoT |\n|---|---|---|\n| 1.5 | 0.5 | 81.2 ± 0.3 (n=3) |\n\nTeacher-only: 80.0 (n=3).';
  assert.deepEqual(splitMarkdownTable(md), {
    header: ['τ', 'α', 'LoT'],
    rows: [['1.5', '0.5', '81.2 ± 0.3 (n=3)']],
    notes: ['Teacher-only: 80.0 (n=3).'],
  });
});
