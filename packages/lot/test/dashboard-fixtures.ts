// Run folders for the dashboard's tests, written file by file as `lot train` and `lot sweep`
// write them (config.json, metrics.jsonl, summary.json and sweep.json copied from a tiny real
// vision run on synthetic data, with its numbers made up), so that the tests need no training.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli-helpers.js';

export interface RunFixture {
  method: 'lot' | 'teacher-only' | 'equal-compute';
  seed: number;
  alpha?: number;
  n?: number;
  tau?: number;
  epochs: number;
  /** Epochs whose records are written (the run stopped or is still training after them). */
  epochsDone: number;
  /** Step records after the last epoch record (a running run mid-epoch). */
  extraSteps?: number;
  stepsPerEpoch: number;
  status: 'running' | 'complete' | 'interrupted' | 'failed' | null;
  createdAt?: string;
}

const accuracy = (epoch: number, seed: number): number => 0.5 + 0.1 * epoch + 0.01 * seed;

export const stepRecord = (epoch: number, step: number) => ({
  type: 'step',
  epoch,
  step,
  costUnits: 10 * step,
  seconds: 0.25 * step,
  lr: 0.05,
  teacherLoss: 2.3 - 0.1 * step,
  teacherTaskLoss: 2.2 - 0.1 * step,
  studentLosses: [2.25 - 0.1 * step],
  studentKls: [0.05],
});

export const epochRecord = (epoch: number, step: number, teacherAccuracy: number, student = true) => ({
  type: 'epoch',
  epoch,
  step,
  costUnits: 10 * step,
  seconds: 0.25 * step,
  lr: 0.05,
  teacher: { testAccuracy: teacherAccuracy, testLoss: 1.7, trainLoss: 1.64, trainAccuracy: 0.35 },
  students: student ? [{ testAccuracy: teacherAccuracy - 0.05, testLoss: 1.87 }] : [],
  kl: { train: student ? 0.13 : null, test: student ? 0.03 : null },
});

/** config.json as `lot train vision` writes it (the fields the dashboard reads, and the rest). */
function config(o: RunFixture) {
  const lot = o.method === 'lot';
  return {
    dataset: 'fashion-mnist',
    dataDir: '/tmp/data',
    download: false,
    subset: null,
    testSubset: null,
    augment: true,
    lr: 0.05,
    batchSize: 64,
    kind: 'vision',
    formatVersion: 1,
    method: o.method,
    seed: o.seed,
    teacher: 'smallcnn',
    students: lot ? ['smallcnn'] : [],
    student: 'smallcnn',
    alpha: lot ? (o.alpha ?? 0.5) : 0,
    n: o.n ?? 2,
    tau: o.tau ?? 1.5,
    variant: 'kl_ce',
    detach: true,
    epochs: o.epochs,
    baseEpochs: o.epochs,
    costRatio: null,
    maxSteps: null,
    device: 'cpu',
    threads: 1,
    worldSize: 1,
    logEvery: 1,
    evalEvery: 0,
    createdAt: o.createdAt ?? '2026-12-01T22:03:09.191Z',
  };
}

function summary(o: RunFixture) {
  const finals = Array.from({ length: o.epochsDone }, (_, e) => accuracy(e + 1, o.seed));
  const lot = o.method === 'lot';
  return {
    kind: 'vision',
    method: o.method,
    seed: o.seed,
    status: o.status,
    dataset: 'fashion-mnist',
    teacher: 'smallcnn',
    student: 'smallcnn',
    students: lot ? ['smallcnn'] : [],
    epochs: o.epochs,
    epochsDone: o.epochsDone,
    baseEpochs: o.epochs,
    teacherSteps: o.epochsDone * o.stepsPerEpoch,
    costUnits: 10 * o.epochsDone * o.stepsPerEpoch,
    seconds: 0.25 * o.epochsDone * o.stepsPerEpoch,
    alpha: lot ? (o.alpha ?? 0.5) : 0,
    n: o.n ?? 2,
    tau: o.tau ?? 1.5,
    metric: { key: 'testAccuracy', label: 'test accuracy', direction: 'max', percent: true },
    finalMetric: finals.at(-1) ?? null,
    bestMetric: finals.length ? Math.max(...finals) : null,
    finalStudentMetric: lot && finals.length ? [finals.at(-1)! - 0.05] : [],
    final: null,
    test: null,
  };
}

/** The metrics.jsonl lines of a run that got this far. */
export function metricLines(o: RunFixture): string[] {
  const lines: unknown[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= o.epochsDone; epoch++) {
    for (let i = 0; i < o.stepsPerEpoch; i++) lines.push(stepRecord(epoch, ++step));
    lines.push(epochRecord(epoch, step, accuracy(epoch, o.seed), o.method === 'lot'));
  }
  for (let i = 0; i < (o.extraSteps ?? 0); i++) lines.push(stepRecord(o.epochsDone + 1, ++step));
  return lines.map((l) => JSON.stringify(l));
}

/** Writes the run folder `dir` (status null: no summary.json yet). */
export function writeRun(dir: string, o: RunFixture): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config(o), null, 2)}\n`);
  const lines = metricLines(o);
  writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
  if (o.status) writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary(o), null, 2)}\n`);
  return dir;
}

export const appendRecord = (dir: string, record: unknown): string => {
  const line = JSON.stringify(record);
  appendFileSync(join(dir, 'metrics.jsonl'), `${line}\n`);
  return line;
};

/** A sweep folder as `lot sweep vision --alpha 0.5,1 --n 1 --seeds 0 --epochs 2` leaves it when done. */
export function writeSweep(dir: string): string {
  const ids = ['lot-tau1.5-alpha0.5-n1-seed0', 'lot-tau1.5-alpha1-n1-seed0', 'teacher-only-seed0'];
  const runs = [
    {
      id: ids[0],
      method: 'lot',
      alpha: 0.5,
      n: 1,
      tau: 1.5,
      seed: 0,
      args: ['--methods', 'lot', '--seeds', '0', '--alpha', '0.5', '--n', '1'],
    },
    {
      id: ids[1],
      method: 'lot',
      alpha: 1,
      n: 1,
      tau: 1.5,
      seed: 0,
      args: ['--methods', 'lot', '--seeds', '0', '--alpha', '1', '--n', '1'],
    },
    { id: ids[2], method: 'teacher-only', alpha: null, n: null, tau: null, seed: 0, args: ['--methods', 'teacher-only', '--seeds', '0'] },
  ];
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const manifest = {
    format: 'lot-sweep',
    version: 1,
    domain: 'vision',
    grid: { alpha: [0.5, 1], n: [1], tau: [1.5], seeds: [0], methods: ['lot', 'teacher-only'] },
    shared: ['--teacher', 'smallcnn', '--epochs', '2'],
    runs,
  };
  writeFileSync(join(dir, 'sweep.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const base = { seed: 0, epochs: 2, epochsDone: 2, stepsPerEpoch: 4, status: 'complete' as const };
  writeRun(join(dir, ids[0]!), { ...base, method: 'lot', alpha: 0.5, n: 1 });
  writeRun(join(dir, ids[1]!), { ...base, method: 'lot', alpha: 1, n: 1, seed: 0 });
  writeRun(join(dir, ids[2]!), { ...base, method: 'teacher-only' });
  for (const id of ids) writeFileSync(join(dir, 'logs', `${id}.log`), `lot: ${id} complete\n`);
  return dir;
}

/**
 * A runs folder: a finished group (LoT and teacher-only), a LoT run training its second epoch of
 * three (running), and a finished sweep.
 */
export function writeRunsFolder(): string {
  const root = tempDir('dashboard');
  writeRun(join(root, 'group-a', 'lot-seed0'), { method: 'lot', seed: 0, epochs: 2, epochsDone: 2, stepsPerEpoch: 4, status: 'complete' });
  writeRun(join(root, 'group-a', 'teacher-only-seed0'), {
    method: 'teacher-only',
    seed: 0,
    epochs: 2,
    epochsDone: 2,
    stepsPerEpoch: 4,
    status: 'complete',
  });
  writeRun(join(root, 'group-b', 'lot-seed1'), {
    method: 'lot',
    seed: 1,
    epochs: 3,
    epochsDone: 1,
    extraSteps: 2,
    stepsPerEpoch: 4,
    status: 'running',
    createdAt: '2026-12-02T08:00:00.000Z',
  });
  writeSweep(join(root, 'sweep-vision'));
  return root;
}
