// PPO with LoT on CartPole through the harness: the student trains on the first update while the
// teacher's α is 0 (the teacher then equals teacher-only's exactly), the student imitates the
// teacher, a run stopped mid-way resumes exactly (environments, cache and RNG included), and
// `lot train rl`'s mistakes are one line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { parseArgs } from '../src/cli/options.js';
import { trainSpec } from '../src/cli/specs.js';
import { resolveTrainRuns } from '../src/cli/train.js';
import { type AnyDomain, type MetricRecord, RunFolder, type StopSignal, trainRun } from '../src/harness/index.js';
import { klTau } from '../src/lot/index.js';
import { ClassicVectorEnv } from '../src/tasks/rl/envs/vector.js';
import { rlDomain } from '../src/tasks/rl/domain.js';
import { MlpAgent } from '../src/tasks/rl/networks.js';
import { buildReport } from '../src/report/index.js';
import { areaUnderCurve, progressToThreshold } from '../src/report/table.js';
import { lot, tempDir } from './cli-helpers.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();
const domain = rlDomain as unknown as AnyDomain;
const quiet = { log: () => {} };
const withoutTime = (records: MetricRecord[]) => records.map((r) => ({ ...r, seconds: 0 }));
// 4 envs × 32 steps = 128 agent steps per update, 2 minibatches, 2 epochs; a cache of 3 rollouts.
const SMALL = ['--num-steps', '32', '--minibatches', '2', '--update-epochs', '2', '--cache-rollouts', '3', '--threads', '1'];

async function configs(args: string[]) {
  return resolveTrainRuns(domain, parseArgs(args, trainSpec(domain)));
}

type Checkpoint = Record<string, Record<string, Record<string, Tensor>>>;
const weights = (folder: RunFolder, model: string): Record<string, Tensor> => {
  const ck = torch.load(folder.checkpointPath) as Checkpoint;
  return ck.models![model]!;
};

test('the first update: α = 0 keeps the teacher equal to teacher-only while the student already trains', async () => {
  const root = tempDir('rl-first');
  const [lotCfg, onlyCfg] = await configs(['--methods', 'lot,teacher-only', '--max-steps', '1', '--total-steps', '1280', ...SMALL]);
  assert.deepEqual([lotCfg!.method, onlyCfg!.method], ['lot', 'teacher-only']);
  const a = RunFolder.create(root, 'lot', lotCfg);
  const b = RunFolder.create(root, 'only', onlyCfg);
  await trainRun(a, domain, quiet);
  await trainRun(b, domain, quiet);
  const [ta, tb] = [weights(a, 'teacher'), weights(b, 'teacher')];
  for (const [k, t] of Object.entries(ta)) assert.ok(torch.allclose(t, tb[k]!, 0, 0), `teacher ${k} differs from teacher-only's`);
  torch.manualSeed(lotCfg!.seed + 1);
  const init = new MlpAgent(4, 2).stateDict();
  const student = weights(a, 'student0');
  assert.ok(!torch.allclose(student['actor.0.weight']!, init['actor.0.weight']!), 'the student trained on the first update');
  assert.ok(torch.allclose(student['critic.0.weight']!, init['critic.0.weight']!, 0, 0), "the student's critic gets no gradient");
  // Cost: rollout 2F + 4 joint steps × 6F + 5 passes × 1 cached rollout × 2 minibatches × 4F.
  const summary = a.readSummary() as { costUnits: number };
  assert.equal(summary.costUnits, 2 + 4 * 6 + 5 * 1 * 2 * 4);
});

test('LoT on CartPole: the student imitates the teacher; a run stopped mid-way resumes exactly', async () => {
  const root = tempDir('rl-lot');
  const [cfg] = await configs(['--methods', 'lot', '--total-steps', '1280', '--eval-every', '3', ...SMALL]);
  const a = RunFolder.create(root, 'a', cfg);
  const full = await trainRun(a, domain, quiet);
  assert.equal(full.status, 'complete');
  assert.equal(full.teacherSteps, 10);
  assert.ok(full.finalMetric !== null && full.finalMetric > 10, `episodic return ${full.finalMetric}`);
  const evals = a.readMetrics().filter((r) => r.type === 'eval' || r.type === 'epoch');
  assert.deepEqual(
    evals.map((r) => r.step),
    [3, 6, 9, 10],
  );
  assert.equal(evals.at(-1)!.teacher.agentSteps, 1280);

  // The student's KL to the teacher, on states the teacher visits, is far below a fresh student's.
  const teacher = new MlpAgent(4, 2);
  const student = new MlpAgent(4, 2);
  const fresh = new MlpAgent(4, 2);
  teacher.loadStateDict(weights(a, 'teacher'));
  student.loadStateDict(weights(a, 'student0'));
  const envs = new ClassicVectorEnv('CartPole-v1', 8, 123);
  const obs = torch.tensor(envs.reset(), { shape: [8, 4] });
  const klTo = (m: MlpAgent) => torch.noGrad(() => klTau(teacher.forward(obs), m.forward(obs), 1).item());
  assert.ok(klTo(student) < klTo(fresh) / 3, `KL: trained student ${klTo(student)}, fresh ${klTo(fresh)}`);

  const b = RunFolder.create(root, 'b', cfg);
  let reads = 0;
  const signal = {
    get stop() {
      return ++reads > 4;
    },
    set stop(_v) {},
  } as StopSignal;
  assert.equal((await trainRun(b, domain, { ...quiet, signal })).status, 'interrupted');
  const resumed = await trainRun(b, domain, quiet);
  assert.deepEqual(resumed.final, full.final);
  assert.equal(resumed.costUnits, full.costUnits);
  assert.deepEqual(withoutTime(b.readMetrics()), withoutTime(a.readMetrics()));
  for (const model of ['teacher', 'student0']) {
    const [wa, wb] = [weights(a, model), weights(b, model)];
    for (const [k, t] of Object.entries(wa)) assert.ok(torch.allclose(t, wb[k]!, 0, 0), `${model}.${k} differs after resume`);
  }
});

test('equal compute in RL runs teacher-only for LoT cost as more agent steps', async () => {
  const [, equal] = await configs(['--methods', 'lot,equal-compute', '--total-steps', '1280', ...SMALL]);
  // Per update: teacher-only 2F + 4 × 3F = 14F; LoT adds 4 × 3F + 5 passes × 3 rollouts × 2 × 4F = 132F.
  assert.equal(equal!.costRatio, (14 + 12 + 120) / 14);
  assert.equal(equal!.epochs, Math.round((14 + 12 + 120) / 14));
});

test('the report: return against agent steps, AUC up to the LoT budget, agent steps to the threshold', async () => {
  const curve = [
    { x: 100, y: 10 },
    { x: 200, y: 30 },
    { x: 400, y: 50 },
    { x: 800, y: 500 },
  ];
  // Trapezoids over [100, 400]: (10+30)/2·100 + (30+50)/2·200 = 2000 + 8000, over 300 steps.
  assert.equal(areaUnderCurve(curve, 400), 10000 / 300);
  assert.equal(areaUnderCurve(curve, 150), null);
  assert.equal(progressToThreshold(curve, 475, 'max'), 800);
  assert.equal(progressToThreshold(curve, 20, 'min'), 100);
  assert.equal(progressToThreshold(curve, 501, 'max'), null);

  const root = tempDir('rl-report');
  for (const cfg of await configs(['--methods', 'lot,teacher-only', '--total-steps', '640', '--eval-every', '2', ...SMALL])) {
    await trainRun(RunFolder.create(root, cfg.method, cfg), domain, quiet);
  }
  const { markdown, files } = await buildReport([root], join(root, 'report'), { png: false });
  assert.match(markdown, /Episodic return of the teacher \(higher is better\)/);
  assert.match(
    markdown,
    /\| mean episodic return over training \(AUC \/ agent steps\) \| agent steps to reach 475 \| runs that reached it \|/,
  );
  assert.match(markdown, /\| CartPole-v1 \| mlp → mlp \| lot \| [0-9.]+ \(n=1\) \| — \| 0\/1 \|/);
  for (const name of ['return-progress', 'return-cost', 'return-smoothed-progress', 'return-smoothed-cost']) {
    assert.ok(
      files.some((f) => f.endsWith(`${name}.svg`)),
      `${name}.svg in ${files.join(', ')}`,
    );
  }
  const spec = JSON.parse(readFileSync(files.find((f) => f.endsWith('return-progress.vl.json'))!, 'utf8'));
  const xs = (spec.data.values as { series: string; x: number }[]).filter((v) => v.series === 'LoT').map((v) => v.x);
  assert.deepEqual(xs, [256, 512, 640], 'evaluations every 2 updates of 128 agent steps, and the end');
});

test('lot train rl: one-line mistakes', () => {
  for (const [args, pattern] of [
    [
      ['--env', 'Pong-v5'],
      /--env Pong-v5 is not an environment here: use CartPole-v1 or Acrobot-v1, or an Atari game as <Game>NoFrameskip-v4/,
    ],
    [['--teacher', 'nature-cnn'], /--teacher nature-cnn cannot act in CartPole-v1: its observations need --teacher mlp/],
    [['--total-steps', '100'], /--total-steps 100 is less than one rollout \(512/],
    [['--minibatches', '1000', '--num-steps', '8'], /--minibatches 1000 is more than the 32 samples/],
  ] as [string[], RegExp][]) {
    const r = lot(['train', 'rl', ...args, '--quiet', '--runs-dir', tempDir('rl-bad')]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
