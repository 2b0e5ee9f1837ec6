// `lot imitability` on a tiny config: both teachers trained (the deceptive one on
// permuted labels), both students imitate with equal compute, KL curves and final
// numbers recorded, the plot written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { permutedLabels } from '../src/imitability/index.js';
import { lot, tempDir, writeSyntheticFashionMnist } from './cli-helpers.js';

test('the deceptive labels are a fixed permutation of the true ones', () => {
  const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 10);
  const a = permutedLabels(labels, 100, 3);
  const b = permutedLabels(labels, 100, 3);
  assert.deepEqual(a, b);
  assert.notDeepEqual(Array.from(a), Array.from(labels));
  assert.deepEqual([...a].sort(), [...labels].sort());
  const moved = a.filter((x, i) => x !== labels[i]).length;
  assert.ok(moved > 60, `only ${moved} labels changed`);
});

test('lot imitability: both teachers, equal-compute students, KL curves, summary and plot', () => {
  const dataDir = writeSyntheticFashionMnist(tempDir('imdata'), 128, 64);
  const runsDir = tempDir('imruns');
  const r = lot([
    'imitability',
    '--data-dir',
    dataDir,
    '--no-download',
    '--runs-dir',
    runsDir,
    '--teacher',
    'smallcnn',
    '--teacher-epochs',
    '2',
    '--deceptive-epochs',
    '2',
    '--student-epochs',
    '1',
    '--batch-size',
    '32',
    '--eval-every',
    '2',
    '--threads',
    '1',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\| sophisticated \|/);
  assert.match(r.stdout, /\| deceptive \|/);
  const [group] = readdirSync(runsDir);
  const dir = join(runsDir, group!, 'imitability-seed0');
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(config.kind, 'imitability');
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.kind, 'imitability');
  assert.equal(summary.status, 'complete');
  for (const kind of ['sophisticated', 'deceptive']) {
    assert.equal(typeof summary.final[kind].trainKL, 'number');
    assert.equal(typeof summary.final[kind].testKL, 'number');
    assert.ok(summary.final[kind].trainKL >= 0);
  }
  const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const imitation = records.filter((x) => x.type === 'imitation');
  const steps = (kind: string) => imitation.filter((x) => x.teacherKind === kind).map((x) => x.step);
  // 128 images / 32 = 4 steps; measured at 0, 2, 4: the same steps (equal compute) for both students.
  assert.deepEqual(steps('sophisticated'), [0, 2, 4]);
  assert.deepEqual(steps('deceptive'), [0, 2, 4]);
  for (const x of imitation) {
    assert.equal(typeof x.trainKL, 'number');
    assert.equal(typeof x.testKL, 'number');
    assert.equal(x.costUnits, 4 * x.step);
  }
  assert.equal(records.filter((x) => x.type === 'teacher').length, 4);
  assert.ok(existsSync(join(dir, 'checkpoint.pt')));
  const report = join(runsDir, group!, 'report');
  assert.ok(
    readdirSync(report).some((f) => f.endsWith('.svg')),
    'a plot is written',
  );
});

test('an imitability run stopped in a teacher phase resumes to the uninterrupted result', async () => {
  const { RunFolder } = await import('../src/harness/index.js');
  const { runImitability } = await import('../src/imitability/index.js');
  const { loadVisionData } = await import('../src/tasks/vision/index.js');
  const dataDir = writeSyntheticFashionMnist(tempDir('imdata2'), 64, 32);
  const cfg = {
    kind: 'imitability' as const,
    formatVersion: 1 as const,
    seed: 0,
    dataset: 'fashion-mnist' as const,
    dataDir,
    download: false,
    subset: null,
    testSubset: null,
    augment: false,
    teacher: 'smallcnn',
    student: 'smallcnn',
    teacherEpochs: 1,
    studentEpochs: 1,
    tau: 1.5,
    evalEvery: 1,
    lr: 0.05,
    studentLr: 0.05,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    schedule: 'cosine' as const,
    batchSize: 32,
    evalBatchSize: 64,
    threads: 1,
    trainKlImages: 64,
    createdAt: '',
  };
  const data = await loadVisionData(cfg);
  const runsDir = tempDir('imresume');
  const quiet = { log: () => {}, data };
  const full = await runImitability(RunFolder.create(runsDir, 'a', cfg), quiet);
  const b = RunFolder.create(runsDir, 'b', cfg);
  let reads = 0;
  const signal = {
    get stop() {
      return ++reads > 3;
    },
    set stop(_v: boolean) {},
  };
  const first = await runImitability(b, { ...quiet, signal });
  assert.equal(first.status, 'interrupted');
  assert.ok(first.teachers.sophisticated, 'the finished sophisticated phase is kept');
  const resumed = await runImitability(b, quiet);
  assert.equal(resumed.status, 'complete');
  assert.deepEqual(resumed.final, full.final);
  assert.deepEqual(resumed.teachers, full.teachers);
  const kinds = b
    .readMetrics()
    .filter((r) => r.type === 'teacher')
    .map((r) => (r as { teacherKind: string }).teacherKind);
  assert.deepEqual(kinds, ['sophisticated', 'deceptive']);
});

test('lot imitability --seeds: one run folder per seed, final KLs as mean ± std over the seeds', () => {
  const dataDir = writeSyntheticFashionMnist(tempDir('imdata3'), 64, 32);
  const runsDir = tempDir('imseeds');
  const r = lot([
    'imitability',
    '--data-dir',
    dataDir,
    '--no-download',
    '--runs-dir',
    runsDir,
    '--teacher',
    'smallcnn',
    '--seeds',
    '0,1',
    '--teacher-epochs',
    '1',
    '--deceptive-epochs',
    '1',
    '--student-epochs',
    '1',
    '--batch-size',
    '32',
    '--eval-every',
    '2',
    '--threads',
    '1',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [group] = readdirSync(runsDir);
  const runs = readdirSync(join(runsDir, group!))
    .filter((n) => n !== 'report')
    .sort();
  assert.deepEqual(runs, ['imitability-seed0', 'imitability-seed1']);
  const finals = runs.map(
    (n) => JSON.parse(readFileSync(join(runsDir, group!, n, 'summary.json'), 'utf8')).final.sophisticated.testKL as number,
  );
  assert.notEqual(finals[0], finals[1], 'the seeds differ');
  const row = r.stdout.split('\n').find((l) => /\| sophisticated \|/.test(l));
  assert.ok(row, r.stdout);
  const mean = (finals[0]! + finals[1]!) / 2;
  assert.ok(row.includes('(n=2)'), row);
  assert.ok(row.includes(mean.toPrecision(2).slice(0, 3)), `${row} should show the mean final test KL ${mean}`);
});
