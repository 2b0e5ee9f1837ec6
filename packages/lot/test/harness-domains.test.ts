// The harness with two test-only domains (harness-domains.ts): LoT trains through it, resumes
// exactly, carries recurrent state per (model, stream), clips through the per-model hook, runs
// a per-step α with RL's cache-pass schedule, and the runs appear in `lot report`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { buildReport } from '../src/report/index.js';
import { loadRuns } from '../src/report/runs.js';
import {
  type AnyDomain,
  type MetricRecord,
  resolveRuns,
  RunFolder,
  type StopSignal,
  type TrainRequest,
  trainRun,
} from '../src/harness/index.js';
import { cacheDomain, seqDomain, seqHookCalls } from './harness-domains.js';
import { tempDir } from './cli-helpers.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();

const request = (kind: string, over: Partial<TrainRequest> = {}): TrainRequest => ({
  kind,
  teacher: kind === 'seq' ? 'seqlstm' : 'mlp',
  students: [kind === 'seq' ? 'seqlstm' : 'mlp'],
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
  logEvery: 1,
  evalEvery: 0,
  ...over,
});
const quiet = { log: () => {} };
const withoutTime = (records: MetricRecord[]) => records.map((r) => ({ ...r, seconds: 0 }));
const stopAfter = (steps: number): StopSignal => {
  let reads = 0;
  return {
    get stop() {
      return ++reads > steps;
    },
    set stop(_v) {},
  } as StopSignal;
};
const asDomain = (d: object) => d as AnyDomain;

function configs(domain: AnyDomain, over: Partial<TrainRequest> = {}) {
  return resolveRuns(request(domain.name, over), domain.settingsFrom(undefined as never), 1);
}

function checkpointOf(folder: RunFolder): Record<string, Record<string, unknown>> {
  return torch.load(folder.checkpointPath) as Record<string, Record<string, unknown>>;
}

/** Trains config twice, once straight and once stopped after `stop` steps and resumed; both must agree exactly. */
async function assertExactResume(domain: AnyDomain, cfg: object, stop: number): Promise<RunFolder> {
  const root = tempDir(`${domain.name}-resume`);
  const a = RunFolder.create(root, 'a', cfg);
  const full = await trainRun(a, domain, quiet);
  const b = RunFolder.create(root, 'b', cfg);
  const first = await trainRun(b, domain, { ...quiet, signal: stopAfter(stop) });
  assert.equal(first.status, 'interrupted');
  assert.equal(first.teacherSteps, stop);
  const resumed = await trainRun(b, domain, quiet);
  assert.equal(resumed.status, 'complete');
  assert.deepEqual(resumed.final, full.final);
  assert.equal(resumed.costUnits, full.costUnits);
  assert.deepEqual(withoutTime(b.readMetrics()), withoutTime(a.readMetrics()));
  const [ca, cb] = [checkpointOf(a), checkpointOf(b)];
  for (const name of Object.keys(ca.models!)) {
    for (const [k, t] of Object.entries(ca.models![name] as Record<string, Tensor>)) {
      assert.ok(torch.allclose(t, (cb.models![name] as Record<string, Tensor>)[k]!, 0, 0), `${name}.${k} differs after resume`);
    }
  }
  torch.dispose([ca, cb]);
  return a;
}

test('seq: recurrent state per (model, stream), detached, in the checkpoint; clipping through the hook; exact resume', async () => {
  const seq = asDomain(seqDomain);
  const [cfg] = configs(seq);
  seqHookCalls.teacher = 0;
  seqHookCalls.student = 0;
  const folder = RunFolder.create(tempDir('seq'), 'lot', cfg);
  const s = await trainRun(folder, seq, quiet);
  assert.equal(s.status, 'complete');
  assert.equal(s.teacherSteps, 20); // 240 tokens in 4 columns = 60 rows, segments of 6: 10 per epoch
  assert.equal(seqHookCalls.teacher, 20, 'the teacher is clipped once per joint step');
  assert.equal(seqHookCalls.student, 40, 'the student once per joint step and once per student-only step (N = 2)');
  const ck = checkpointOf(folder);
  const states = (ck.extra!.trainer as { states: Record<string, Tensor[]> }).states;
  assert.deepEqual(Object.keys(states).sort(), ['student0/cursor', 'student0/main', 'teacher/cursor', 'teacher/main']);
  for (const [key, [h, c]] of Object.entries(states)) {
    assert.deepEqual(h!.shape, [1, 4, 16], key);
    assert.deepEqual(c!.shape, [1, 4, 16], key);
  }
  assert.ok(!torch.allclose(states['teacher/main']![0]!, states['teacher/cursor']![0]!), 'the two streams carry different states');
  torch.dispose(ck);
  const epochs = folder.readMetrics().filter((r) => r.type === 'epoch');
  assert.equal(epochs.length, 2);
  assert.ok(s.finalMetric !== null && s.finalMetric < Math.log(5), `valid loss ${s.finalMetric} is below chance`);
  // Stopped in the middle of epoch 2 (states and cursor mid-stream), resumed: the same run.
  await assertExactResume(seq, cfg, 13);
});

test('--eval-every: evaluations inside epochs with fractional epochs, a checkpoint at each, in the report; exact resume', async () => {
  const seq = asDomain(seqDomain);
  const [cfg] = configs(seq, { evalEvery: 4 });
  const folder = await assertExactResume(seq, cfg, 13);
  const evals = folder.readMetrics().filter((r) => r.type === 'eval' || r.type === 'epoch');
  assert.deepEqual(
    evals.map((r) => [r.type, r.epoch, r.step]),
    [
      ['eval', 0.4, 4],
      ['eval', 0.8, 8],
      ['epoch', 1, 10],
      ['eval', 1.2, 12],
      ['eval', 1.6, 16],
      ['epoch', 2, 20],
    ],
  );
  const [run] = loadRuns([folder.dir]);
  assert.deepEqual(
    run!.epochsLog.map((p) => p.step),
    [4, 8, 10, 12, 16, 20],
  );
});

test('cache: α = 0 on the first teacher step while the students already train, then cache passes; exact resume with the cache', async () => {
  const cache = asDomain(cacheDomain);
  const root = tempDir('cache');
  const [lot1, only1] = configs(cache, { methods: ['lot', 'teacher-only'], maxSteps: 1 });
  const a = RunFolder.create(root, 'lot1', lot1);
  const b = RunFolder.create(root, 'only1', only1);
  await trainRun(a, cache, quiet);
  await trainRun(b, cache, quiet);
  const [ca, cb] = [checkpointOf(a), checkpointOf(b)];
  for (const [k, t] of Object.entries(ca.models!.teacher as Record<string, Tensor>)) {
    assert.ok(
      torch.allclose(t, (cb.models!.teacher as Record<string, Tensor>)[k]!, 0, 0),
      `with α = 0 the teacher's ${k} follows teacher-only`,
    );
  }
  const trainer = ca.extra!.trainer as { studentOnlySteps: number };
  assert.equal(trainer.studentOnlySteps, 2, 'N = 2 passes over a cache of one batch');
  assert.equal((ca.extra!.domain as { cache: unknown[] }).cache.length, 1);
  torch.dispose([ca, cb]);
  // Later steps use α: the teacher departs from teacher-only.
  const [lot2, only2] = configs(cache, { methods: ['lot', 'teacher-only'], maxSteps: 2 });
  const c = RunFolder.create(root, 'lot2', lot2);
  const d = RunFolder.create(root, 'only2', only2);
  await trainRun(c, cache, quiet);
  await trainRun(d, cache, quiet);
  const [cc, cd] = [checkpointOf(c), checkpointOf(d)];
  const differs = Object.entries(cc.models!.teacher as Record<string, Tensor>).some(
    ([k, t]) => !torch.allclose(t, (cd.models!.teacher as Record<string, Tensor>)[k]!, 0, 0),
  );
  assert.ok(differs, 'α > 0 from the second step on');
  assert.equal((cc.extra!.trainer as { studentOnlySteps: number }).studentOnlySteps, 2 + 2 * 2);
  torch.dispose([cc, cd]);
  // Stopped with a cache of three batches, resumed: the same run.
  const [cfg] = configs(cache);
  await assertExactResume(cache, cfg, 5);
});

test('the test domains appear in lot report, each with its own metric', async () => {
  const root = tempDir('domains-report');
  for (const domain of [asDomain(seqDomain), asDomain(cacheDomain)]) {
    for (const cfg of configs(domain, { methods: ['lot', 'teacher-only'], seeds: [0, 1], epochs: 1 })) {
      await trainRun(RunFolder.create(join(root, domain.name), `${cfg.method}-seed${cfg.seed}`, cfg), domain, quiet);
    }
  }
  const { markdown } = await buildReport([join(root, 'seq'), join(root, 'cache')], join(root, 'report'), { png: false });
  assert.match(markdown, /[Vv]alid loss of the teacher/);
  assert.match(markdown, /[Hh]eld-out accuracy of the teacher/);
  assert.match(markdown, /seq240/);
  assert.match(markdown, /seqlstm → seqlstm/);
  assert.match(markdown, /mlp → mlp/);
  assert.match(markdown, /\(n=2\)/);
});
