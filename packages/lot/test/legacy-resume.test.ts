// A run folder written by the `lot` of before the harness (fixtures/legacy-vision-run: interrupted
// after 3 of 4 teacher steps) resumes with today's code from where it stopped.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as torch from '@lot/torch';
import { RunFolder } from '../src/harness/index.js';
import { lot, tempDir, writeSyntheticFashionMnist } from './cli-helpers.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/legacy-vision-run/', import.meta.url));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('a checkpoint written before the harness resumes and completes the run', () => {
  const root = tempDir('legacy');
  mkdirSync(join(root, 'data'));
  const dataDir = writeSyntheticFashionMnist(join(root, 'data'), 128, 64, 7);
  const dir = join(root, 'lot-seed0');
  cpSync(join(FIXTURE, 'lot-seed0'), dir, { recursive: true });
  const config = readJson(join(dir, 'config.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, dataDir }, null, 2));
  const before = new RunFolder(dir).readMetrics();
  const ck = torch.load(join(dir, 'checkpoint.pt')) as Record<string, Record<string, unknown>>;
  assert.equal(ck.extra!.epoch, 2);
  assert.equal(ck.extra!.batch, 1);
  torch.dispose(ck);

  const r = lot(['resume', dir, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const summary = readJson(join(dir, 'summary.json'));
  assert.equal(summary.status, 'complete');
  assert.equal(summary.epochsDone, 2);
  assert.equal(summary.teacherSteps, 4, 'one step was left: resumed, not restarted');
  assert.equal(summary.costUnits, 40);
  assert.equal(summary.metric.key, 'testAccuracy');
  assert.ok(summary.finalMetric >= 0 && summary.finalMetric <= 1);
  const after = new RunFolder(dir).readMetrics();
  // The records of the steps before the checkpoint are kept as they were, once each.
  assert.deepEqual(
    after.filter((m) => m.type === 'epoch' && m.epoch === 1),
    before.filter((m) => m.type === 'epoch'),
  );
  assert.deepEqual(
    after.filter((m) => m.type === 'step').map((m) => m.step),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    after.filter((m) => m.type === 'epoch').map((m) => [m.epoch, m.step]),
    [
      [1, 2],
      [2, 4],
    ],
  );
  // The learning rate of epoch 2 is the cosine's, as the uninterrupted run of that version had it.
  const legacy = readFileSync(join(FIXTURE, 'uninterrupted-metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const lr = (records: { type: string; epoch: number; lr?: number }[]) => records.find((m) => m.type === 'epoch' && m.epoch === 2)?.lr;
  assert.ok(Math.abs(lr(after as never)! - lr(legacy)!) < 1e-12, `${lr(after as never)} vs ${lr(legacy)}`);
  const done = torch.load(join(dir, 'checkpoint.pt')) as Record<string, Record<string, Record<string, number>>>;
  assert.equal(done.extra!.trainer!.studentOnlySteps, 4, "the students' cursor went on from 3");
  torch.dispose(done);
});
