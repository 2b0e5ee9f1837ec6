// Run folders after real (tiny) vision runs through the harness: their contents and format,
// resuming to the same result as an uninterrupted run, --max-steps, and Ctrl-C on the command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import {
  type EpochRecord,
  type MetricRecord,
  resolveRuns,
  RunFolder,
  type StopSignal,
  type TrainRequest,
  trainRun,
} from '../src/harness/index.js';
import { loadVisionData, type VisionSettings, visionDomain } from '../src/tasks/vision/index.js';
import { lot, lotSpawn, tempDir, tinyTrainArgs, writeSyntheticFashionMnist } from './cli-helpers.js';

const dataDir = writeSyntheticFashionMnist(tempDir('data'));
const quietLog = () => {};

const settings = (over: Partial<VisionSettings> = {}): VisionSettings => ({
  dataset: 'fashion-mnist',
  dataDir,
  download: false,
  subset: null,
  testSubset: null,
  augment: true,
  lr: 0.05,
  studentLr: 0.05,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
  schedule: 'cosine',
  batchSize: 64,
  evalBatchSize: 128,
  ...over,
});
const request = (over: Partial<TrainRequest> = {}): TrainRequest => ({
  kind: 'vision',
  teacher: 'smallcnn',
  students: ['smallcnn'],
  alpha: 0.5,
  n: 2,
  tau: 1.5,
  variant: 'kl_ce',
  detach: true,
  epochs: 2,
  seeds: [0],
  methods: ['lot'],
  maxSteps: null,
  device: 'cpu',
  threads: 1,
  worldSize: 1,
  logEvery: 2,
  evalEvery: 0,
  ...over,
});

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const withoutTime = (records: MetricRecord[]) => records.map((r) => ({ ...r, seconds: 0 }));

test('a tiny run writes config, metrics, checkpoint and summary in the documented format', async () => {
  const runsDir = tempDir('runs');
  const r = lot([...tinyTrainArgs(dataDir, runsDir), '--epochs', '1', '--methods', 'lot,teacher-only,equal-compute', '--log-every', '2']);
  assert.equal(r.code, 0, r.stderr);
  const groups = readdirSync(runsDir);
  assert.equal(groups.length, 1);
  const runs = readdirSync(join(runsDir, groups[0]!))
    .filter((n) => n !== 'report')
    .sort();
  assert.deepEqual(runs, ['equal-compute-seed0', 'lot-seed0', 'teacher-only-seed0']);
  for (const name of runs) {
    const dir = join(runsDir, groups[0]!, name);
    for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.pt', 'summary.json']) assert.ok(existsSync(join(dir, f)), `${name}/${f}`);
    const config = readJson(join(dir, 'config.json'));
    const summary = readJson(join(dir, 'summary.json'));
    assert.equal(config.kind, 'vision');
    assert.equal(summary.status, 'complete');
    assert.equal(summary.method, name.replace('-seed0', ''));
    assert.equal(summary.seed, 0);
    assert.equal(summary.dataset, 'fashion-mnist');
    assert.equal(summary.teacher, 'smallcnn');
    assert.equal(summary.student, 'smallcnn');
    assert.deepEqual(summary.metric, { key: 'testAccuracy', label: 'test accuracy', direction: 'max', percent: true });
    assert.ok(summary.finalMetric >= 0 && summary.finalMetric <= 1);
    assert.ok(summary.bestMetric >= summary.finalMetric);
    assert.equal(summary.finalMetric, summary.final.teacher.testAccuracy);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const epochs = lines.filter((l) => l.type === 'epoch') as EpochRecord[];
    assert.equal(epochs.length, config.epochs);
    assert.ok(lines.some((l) => l.type === 'step'));
    for (const e of epochs) {
      for (const k of ['testAccuracy', 'testLoss', 'trainLoss', 'trainAccuracy'] as const) assert.equal(typeof e.teacher[k], 'number');
      assert.equal(typeof e.costUnits, 'number');
      assert.equal(typeof e.seconds, 'number');
      if (name === 'lot-seed0') {
        assert.equal(e.students.length, 1);
        assert.equal(typeof e.students[0]!.testAccuracy, 'number');
        assert.equal(typeof e.kl.train, 'number');
        assert.equal(typeof e.kl.test, 'number');
      } else {
        assert.deepEqual(e.students, []);
        assert.deepEqual(e.kl, { train: null, test: null });
      }
    }
    // docs/METHOD.md#cost-model: 10 units per LoT teacher step (N = 2), 3 per teacher-only step.
    const last = epochs[epochs.length - 1]!;
    assert.equal(last.costUnits, (name === 'lot-seed0' ? 10 : 3) * last.step);
  }
  const lotRun = readJson(join(runsDir, groups[0]!, 'lot-seed0', 'summary.json'));
  const ec = readJson(join(runsDir, groups[0]!, 'equal-compute-seed0', 'summary.json'));
  assert.equal(ec.epochs, Math.round((1 * 10) / 3));
  assert.ok(Math.abs(ec.costUnits - lotRun.costUnits) <= 0.2 * lotRun.costUnits, 'equal compute spends about what LoT spent');
  // Several runs: the comparison table is printed at the end, and `lot report` rebuilds it.
  assert.match(r.stdout, /\| teacher-only \| equal compute \| LoT \|/);
  const report = lot(['report', runsDir, '--out', join(runsDir, 'out')]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /smallcnn → smallcnn/);
  assert.ok(existsSync(join(runsDir, 'out', 'report.md')));
  assert.ok(readdirSync(join(runsDir, 'out')).some((f) => f.endsWith('.svg')));
});

test('a run stopped mid-epoch and resumed ends exactly where an uninterrupted run ends', async () => {
  const data = await loadVisionData(settings({ subset: 128 }));
  const [cfg] = resolveRuns(request({ epochs: 2 }), settings({ subset: 128 }), 1);
  const runsDir = tempDir('resume');
  const a = RunFolder.create(runsDir, 'a', cfg);
  const full = await trainRun(a, visionDomain, { data, log: quietLog });
  assert.equal(full.status, 'complete');

  const b = RunFolder.create(runsDir, 'b', cfg);
  let reads = 0;
  const stopAfterThree: StopSignal = {
    get stop() {
      return ++reads > 3;
    },
    set stop(_v) {},
  } as StopSignal;
  const first = await trainRun(b, visionDomain, { data, log: quietLog, signal: stopAfterThree });
  assert.equal(first.status, 'interrupted');
  assert.equal((b.readSummary() as { status: string }).status, 'interrupted');
  assert.equal(first.teacherSteps, 3); // 2 steps per epoch: stopped in the middle of epoch 2
  const resumed = await trainRun(b, visionDomain, { data, log: quietLog });
  assert.equal(resumed.status, 'complete');

  assert.equal(resumed.finalMetric, full.finalMetric);
  assert.deepEqual(resumed.final, full.final);
  assert.deepEqual(resumed.finalStudentMetric, full.finalStudentMetric);
  assert.equal(resumed.costUnits, full.costUnits);
  assert.equal(resumed.teacherSteps, full.teacherSteps);
  assert.deepEqual(withoutTime(b.readMetrics()), withoutTime(a.readMetrics()));
  const ca = torch.load(a.checkpointPath) as Record<string, any>;
  const cb = torch.load(b.checkpointPath) as Record<string, any>;
  for (const [k, t] of Object.entries(ca.models.teacher as Record<string, Tensor>)) {
    assert.ok(torch.allclose(t, cb.models.teacher[k], 0, 0), `teacher ${k} differs after resume`);
  }
  for (const [k, t] of Object.entries(ca.models.student0 as Record<string, Tensor>)) {
    assert.ok(torch.allclose(t, cb.models.student0[k], 0, 0), `student ${k} differs after resume`);
  }
  torch.dispose([ca, cb]);
});

test('--max-steps stops early and keeps the configured schedule horizon', async () => {
  const data = await loadVisionData(settings({ subset: 128 }));
  const [cfg] = resolveRuns(request({ epochs: 3, maxSteps: 3 }), settings({ subset: 128 }), 1);
  const [long] = resolveRuns(request({ epochs: 3 }), settings({ subset: 128 }), 1);
  const runsDir = tempDir('maxsteps');
  const short = RunFolder.create(runsDir, 'short', cfg);
  const s = await trainRun(short, visionDomain, { data, log: quietLog });
  assert.equal(s.status, 'complete');
  assert.equal(s.teacherSteps, 3);
  assert.equal(s.epochsDone, 1, 'one whole epoch of two steps, then one step of the second');
  const epochs = short.readMetrics().filter((r): r is EpochRecord => r.type === 'epoch');
  assert.deepEqual(
    epochs.map((e) => [e.epoch, e.step]),
    [
      [1, 2],
      [2, 3],
    ],
  );
  // The learning rate follows the 3-epoch cosine: epoch 2's rate is that of the uninterrupted 3-epoch run.
  const full = RunFolder.create(runsDir, 'full', long);
  await trainRun(full, visionDomain, { data, log: quietLog });
  const lr = (f: RunFolder, epoch: number) =>
    f
      .readMetrics()
      .filter((r): r is EpochRecord => r.type === 'epoch')
      .find((r) => r.epoch === epoch)?.lr;
  assert.equal(lr(short, 2), lr(full, 2));
  assert.ok(lr(short, 2)! < 0.05 && lr(short, 2)! > 0.02, `cosine over 3 epochs at epoch 2: ${lr(short, 2)}`);
});

test('a torn last line in metrics.jsonl is ignored', () => {
  const dir = tempDir('torn');
  const run = RunFolder.create(dir, 'r', { kind: 'vision' });
  run.appendMetric({ type: 'step', epoch: 1, step: 1, costUnits: 3, seconds: 0.1, teacherLoss: 1, teacherTaskLoss: 1 });
  writeFileSync(run.metricsPath, `${readFileSync(run.metricsPath, 'utf8')}{"type":"step","ep`);
  assert.equal(run.readMetrics().length, 1);
});

test('Ctrl-C finishes the step, saves a checkpoint, marks the run interrupted; lot resume completes it', async () => {
  const runsDir = tempDir('sigint');
  const child = lotSpawn([...tinyTrainArgs(dataDir, runsDir), '--epochs', '4', '--subset', '128']);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/run 1\/1/.test(stderr)) resolve();
    });
    child.on('exit', () => reject(new Error(`lot exited before training started:\n${stderr}`)));
  });
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGINT received: finishing the current step/);
  assert.match(stderr, /lot resume /);
  assert.doesNotMatch(stderr, /\n\s+at /);
  const group = readdirSync(runsDir)[0]!;
  const dir = join(runsDir, group, 'lot-seed0');
  assert.equal(readJson(join(dir, 'summary.json')).status, 'interrupted');
  assert.ok(existsSync(join(dir, 'checkpoint.pt')));
  const again = lot(['resume', dir, '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  const summary = readJson(join(dir, 'summary.json'));
  assert.equal(summary.status, 'complete');
  assert.equal(summary.epochsDone, 4);
  const epochs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'epoch');
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 2, 3, 4],
  );
  const done = lot(['resume', dir]);
  assert.equal(done.code, 0);
  assert.match(done.stderr, /already complete/);
});
