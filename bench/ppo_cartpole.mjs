// PPO on CartPole-v1 with CleanRL ppo.py's settings: ours vs PyTorch (CleanRL's ppo.py as written,
// ppo_cartpole.py in a python3 child with the same thread count), in one run. Two measurements:
//   a. PPO update, the engine alone: a fixed batch of 512 CartPole-like samples (obs [512, 4],
//      actions, log-probabilities, advantages, returns, values; both sides build the same batch
//      from the same formulas), 4 epochs x 4 shuffled minibatches of 128, ppo.py's loss (clip 0.2,
//      normalized advantages, clipped value loss, entropy 0.01, value 0.5), backward,
//      clip_grad_norm_ 0.5, Adam 2.5e-4 eps 1e-5. Ours: the product's ppoUpdate (ppo.ts) with a
//      teacher-only LotTrainer and ppoTask, the learner built as runtime.ts builds it (MlpAgent,
//      torch.optim.Adam, clipGradNorm_ in beforeStep). PyTorch: ppo.py's Agent and update loop.
//      Time per update; the agent keeps training on the same batch.
//   b. End to end, agent steps/s: iterations of ppo.py's loop, each a rollout of 4 envs x 128 steps
//      of CartPole-v1, the bootstrap value, GAE and the update (512 agent steps), lr annealed
//      linearly per iteration. Ours: the product's collectRollout + ppoUpdate with ClassicVectorEnv
//      (CartPole in TypeScript) and a LinearLR stepped per update, as `lot train rl` runs them.
//      PyTorch: ppo.py's loop with gymnasium's CartPole-v1 (gym.make + RecordEpisodeStatistics) in a
//      SyncVectorEnv with same-step autoreset. Each side's time is split into the rollout (acting,
//      environments, GAE, building the batch) and the update; the 128 vector-environment steps
//      alone are timed too (fixed actions), so the rollout splits into environments and the rest.
// Rounds alternate which side goes first; each side is idle while the other runs. Medians of all
// timed repetitions; ratios are PyTorch time / ours (>= 1: ours is at least as fast; goal 1.0).
//   node bench/ppo_cartpole.mjs [--threads 1] [--rounds 11] [--updates 20] [--iters 12] [--envs 10]
//                               [--warmup 20] [--warmup-iters 8] [--only update|e2e] [--diag 1]
//                               [--seed 1] [--json]
// --updates / --iters / --envs: timed repetitions per side per round of a, b and the
// environments-alone timing. --warmup / --warmup-iters: untimed updates (a) and iterations (b)
// per side first (ours needs ~15 updates before V8 has compiled the hot paths). --diag 0 drops
// ppo.py's approx_kl / clipfrac lines (PyTorch side).
// Needs Python torch, numpy and gymnasium (`python3 -m pip install gymnasium`); PYTHON picks the
// interpreter.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { LotTrainer } from '../packages/lot/dist/src/index.js';
import { ClassicVectorEnv } from '../packages/lot/dist/src/tasks/rl/envs/vector.js';
import { MlpAgent } from '../packages/lot/dist/src/tasks/rl/networks.js';
import { collectRollout, freshEpisodeStats, ppoTask, ppoUpdate } from '../packages/lot/dist/src/tasks/rl/ppo.js';
import { cpuNow, jsonLinePeer, median, now, parseArgs } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 1),
  rounds = num('rounds', 11),
  updatesPerRound = num('updates', 20),
  itersPerRound = num('iters', 12),
  envsPerRound = num('envs', 10),
  warmup = num('warmup', 20),
  warmupIters = num('warmup-iters', 8),
  seed = num('seed', 1),
  diag = num('diag', 1);
const only = args.only;
if (only !== undefined && only !== 'update' && only !== 'e2e') throw new Error(`--only must be update or e2e, got ${only}`);
const doUpdate = only !== 'e2e',
  doE2e = only !== 'update';

// ppo.py's defaults (settings.ts CLASSIC_DEFAULTS).
const s = {
  numEnvs: 4,
  numSteps: 128,
  minibatches: 4,
  updateEpochs: 4,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipCoef: 0.2,
  entCoef: 0.01,
  vfCoef: 0.5,
  cacheRollouts: 10,
};
const lr = 2.5e-4,
  maxGradNorm = 0.5;
const batchSize = s.numEnvs * s.numSteps;
// The lr annealing horizon: ppo.py's 500000 total steps // 512.
const numIterations = Math.floor(500000 / batchSize);

torch.setNumThreads(threads);

/** A teacher-only LotTrainer over a fresh MlpAgent, built as runtime.ts builds the teacher. */
function teacherOnlyTrainer(initSeed) {
  torch.manualSeed(initSeed);
  const model = new MlpAgent(4, 2);
  const teacher = {
    model,
    optimizer: new torch.optim.Adam(model.parameters(), { lr, eps: 1e-5, weightDecay: 0 }),
    beforeStep: (m) => void torch.optim.clipGradNorm_(m.parameters(), maxGradNorm),
  };
  const trainer = new LotTrainer({
    teacher,
    students: [],
    task: ppoTask(s),
    config: { alpha: 0.5, n: 1, tau: 1, variant: 'kl_ce', detach: true },
  });
  return { model, teacher, trainer };
}

/** The update benchmark's batch; the same formulas as fixed_batch in ppo_cartpole.py. */
function fixedBatch(n) {
  const scale = [1.0, 0.8, 0.1, 0.7];
  const obs = new Float32Array(n * 4),
    actions = new BigInt64Array(n),
    logprobs = new Float32Array(n),
    values = new Float32Array(n),
    advantages = new Float32Array(n),
    returns = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    for (let j = 0; j < 4; ++j) obs[i * 4 + j] = scale[j] * Math.sin(0.37 * i + 1.3 * j + 0.1);
    actions[i] = BigInt((i * 7 + Math.floor(i / 3)) % 2);
    logprobs[i] = Math.log(0.5) + 0.01 * Math.sin(0.11 * i);
    const v = 0.3 * Math.sin(0.05 * i),
      a = Math.sin(0.23 * i) + 0.5 * Math.cos(0.031 * i);
    values[i] = v;
    advantages[i] = a;
    returns[i] = v + a;
  }
  return torch.keep({
    obs: torch.tensor(obs, { shape: [n, 4] }),
    actions: torch.tensor(actions),
    logprobs: torch.tensor(logprobs),
    values: torch.tensor(values),
    advantages: torch.tensor(advantages),
    returns: torch.tensor(returns),
  });
}

// -- a. the update on a fixed batch ----------------------------------------------------------------
const U = doUpdate ? { ...teacherOnlyTrainer(seed), batch: fixedBatch(batchSize), count: 1 } : null;
// update 1, not 0: α = 0 on update 0 only matters with students, but keep the common path.
const oursUpdate = () => ppoUpdate(U.trainer, U.batch, [], U.count++, s).teacherLoss;

// -- b. end to end: collectRollout + ppoUpdate on ClassicVectorEnv ----------------------------------
let E = null;
if (doE2e) {
  const t = teacherOnlyTrainer(seed);
  const envs = new ClassicVectorEnv('CartPole-v1', s.numEnvs, seed);
  torch.manualSeed(seed);
  E = {
    ...t,
    envs,
    acting: { obs: envs.reset(), done: new Float32Array(s.numEnvs) },
    stats: freshEpisodeStats(),
    cache: [],
    update: 0,
    scheduler: new torch.optim.LinearLR(t.teacher.optimizer, { startFactor: 1, endFactor: 0, totalIters: numIterations }),
  };
}
/** One iteration: [loss, rollout seconds, update seconds]. */
function oursIteration() {
  const t0 = now();
  const rollout = collectRollout(E.model, E.envs, E.acting, E.stats, s);
  const t1 = now();
  let m;
  try {
    m = ppoUpdate(E.trainer, rollout, E.cache, E.update, s);
  } finally {
    torch.dispose(rollout);
  }
  E.update += 1;
  if (E.update < numIterations) E.scheduler.step();
  return [m.teacherLoss, t1 - t0, now() - t1];
}
// The environments alone: their own instances, a fixed action pattern.
const envOnly = doE2e ? new ClassicVectorEnv('CartPole-v1', s.numEnvs, seed + 100) : null;
envOnly?.reset();
const envActions = Array.from({ length: s.numSteps }, (_, t) => Int32Array.from({ length: s.numEnvs }, (_, e) => (t + e) % 2));
const oursEnvs = () => {
  for (const a of envActions) envOnly.step(a);
};

// -- the PyTorch side ---------------------------------------------------------------------------------
function startPython() {
  const python = process.env.PYTHON ?? 'python3';
  const modes = [doUpdate && 'update', doE2e && 'iter', doE2e && 'env'].filter(Boolean).join(',');
  const child = spawn(
    python,
    [
      join(here, 'ppo_cartpole.py'),
      '--threads',
      String(threads),
      '--warmup',
      String(warmup),
      '--warmup-iters',
      String(warmupIters),
      '--seed',
      String(seed),
      '--diag',
      String(diag),
      '--modes',
      modes,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const peer = jsonLinePeer(child, `${python} ppo_cartpole.py`, ' (needs torch, numpy and gymnasium: python3 -m pip install gymnasium)');
  return { ...peer, run: (cmd, k) => peer.request(`${cmd} ${k}`) };
}

function timeOurs(fn, k) {
  const times = [],
    cpu = [],
    out = [];
  for (let i = 0; i < k; ++i) {
    const t0 = now(),
      c0 = cpuNow();
    out.push(fn());
    times.push(now() - t0);
    cpu.push(cpuNow() - c0);
  }
  return { times, cpu, out };
}

const py = startPython();
if (U) for (let i = 0; i < warmup; ++i) oursUpdate();
if (E)
  for (let i = 0; i < warmupIters; ++i) {
    oursIteration();
    oursEnvs();
  }
const info = await py.ready;
const live0 = torch.memoryStats().liveTensors;

const acc = () => ({ times: [], cpu: [], rollout: [], update: [], roundRatios: [] });
const res = { update: { ours: acc(), py: acc() }, iter: { ours: acc(), py: acc() }, env: { ours: acc(), py: acc() } };
const lastLoss = { update: {}, iter: {} };
let pyE2eInfo = null;

/** One round of one measurement, sides in the given order. */
async function round(kind, k, oursFirst) {
  const runOurs = () => {
    if (kind === 'update') {
      const r = timeOurs(oursUpdate, k);
      lastLoss.update.ours = r.out.at(-1);
      return r;
    }
    if (kind === 'iter') {
      const r = timeOurs(oursIteration, k);
      lastLoss.iter.ours = r.out.at(-1)[0];
      return { ...r, rollout: r.out.map((o) => o[1]), update: r.out.map((o) => o[2]) };
    }
    return timeOurs(oursEnvs, k);
  };
  let mine, theirs;
  if (oursFirst) {
    mine = runOurs();
    theirs = await py.run(kind, k);
  } else {
    theirs = await py.run(kind, k);
    mine = runOurs();
  }
  if (kind !== 'env') lastLoss[kind].pytorch = theirs.loss;
  if (kind === 'iter') pyE2eInfo = theirs;
  for (const [side, r] of [
    ['ours', mine],
    ['py', theirs],
  ]) {
    const a = res[kind][side];
    a.times.push(...r.times);
    a.cpu.push(...r.cpu);
    if (r.rollout) a.rollout.push(...r.rollout);
    if (r.update) a.update.push(...r.update);
  }
  res[kind].ours.roundRatios.push(median(theirs.times) / median(mine.times));
}

for (let r = 0; r < rounds; ++r) {
  const oursFirst = r % 2 === 0;
  if (U) await round('update', updatesPerRound, oursFirst);
  if (E) {
    await round('iter', itersPerRound, oursFirst);
    await round('env', envsPerRound, oursFirst);
  }
  if (!args.json && !args.quiet) {
    const parts = [];
    if (U) parts.push(`update ratio ${res.update.ours.roundRatios.at(-1).toFixed(3)}`);
    if (E) parts.push(`end-to-end ratio ${res.iter.ours.roundRatios.at(-1).toFixed(3)}`);
    process.stderr.write(`round ${r + 1}/${rounds}: ${parts.join(', ')}\n`);
  }
}
py.quit();
const liveGrowth = torch.memoryStats().liveTensors - live0;

const ms = (x) => +(x * 1e3).toFixed(3);
const summary = (kind) => {
  const o = res[kind].ours,
    p = res[kind].py;
  const out = {
    reps_each: o.times.length,
    ours_ms: ms(median(o.times)),
    pytorch_ms: ms(median(p.times)),
    ratio: +(median(p.times) / median(o.times)).toFixed(3),
    ours_cpu_ms: ms(median(o.cpu)),
    pytorch_cpu_ms: ms(median(p.cpu)),
    cpu_ratio: +(median(p.cpu) / median(o.cpu)).toFixed(3),
    round_ratios: o.roundRatios.map((x) => +x.toFixed(3)),
    round_ratio_median: +median(o.roundRatios).toFixed(3),
  };
  if (kind === 'iter') {
    Object.assign(out, {
      ours_agent_steps_per_s: +(batchSize / median(o.times)).toFixed(1),
      pytorch_agent_steps_per_s: +(batchSize / median(p.times)).toFixed(1),
      ours_rollout_ms: ms(median(o.rollout)),
      ours_update_ms: ms(median(o.update)),
      pytorch_rollout_ms: ms(median(p.rollout)),
      pytorch_update_ms: ms(median(p.update)),
      rollout_ratio: +(median(p.rollout) / median(o.rollout)).toFixed(3),
      update_ratio: +(median(p.update) / median(o.update)).toFixed(3),
    });
  }
  return out;
};
const result = {
  bench: 'ppo_cartpole',
  threads,
  torch: info.torch,
  gymnasium: info.gymnasium,
  rounds,
  diag: !!diag,
  ...(U ? { update: { ...summary('update'), loss: lastLoss.update } } : {}),
  ...(E
    ? {
        e2e: {
          ...summary('iter'),
          agent_steps_per_iteration: batchSize,
          loss: lastLoss.iter,
          episodes: { ours: E.stats.episodes, pytorch: pyE2eInfo?.episodes },
          return_ema: { ours: E.stats.returnEma, pytorch: pyE2eInfo?.return_ema },
        },
        envs_alone: summary('env'),
      }
    : {}),
  live_tensor_growth: liveGrowth,
};

if (args.json) console.log(JSON.stringify(result));
else {
  const f = (x, d = 2) => x.toFixed(d);
  const goal = (r) => (r >= 1 ? '' : '  (goal >= 1.0)');
  console.log(
    `PPO on CartPole-v1, CleanRL ppo.py settings; threads ${threads}, torch ${info.torch}, gymnasium ${info.gymnasium}; ${rounds} rounds, medians`,
  );
  if (U) {
    const u = result.update;
    console.log(
      `a. PPO update (engine only): ${batchSize} samples, ${s.updateEpochs} epochs x ${s.minibatches} minibatches of ${batchSize / s.minibatches}; ${u.reps_each} updates each`,
    );
    console.log(`   ours    ${f(u.ours_ms)} ms/update  (CPU ${f(u.ours_cpu_ms)} ms)`);
    console.log(`   PyTorch ${f(u.pytorch_ms)} ms/update  (CPU ${f(u.pytorch_cpu_ms)} ms)`);
    console.log(
      `   ratio PyTorch/ours time: ${f(u.ratio, 3)}x${goal(u.ratio)}; CPU ${f(u.cpu_ratio, 3)}x; per round ${u.round_ratios.join(', ')} (median ${u.round_ratio_median})`,
    );
  }
  if (E) {
    const e = result.e2e,
      v = result.envs_alone;
    console.log(`b. end to end: ${s.numEnvs} envs x ${s.numSteps} steps + GAE + update per iteration; ${e.reps_each} iterations each`);
    console.log(
      `   ours    ${f(e.ours_agent_steps_per_s, 0)} agent steps/s  (${f(e.ours_ms, 1)} ms/iteration: rollout ${f(e.ours_rollout_ms, 1)} ms, update ${f(e.ours_update_ms, 1)} ms; CPU ${f(e.ours_cpu_ms, 1)} ms)`,
    );
    console.log(
      `   PyTorch ${f(e.pytorch_agent_steps_per_s, 0)} agent steps/s  (${f(e.pytorch_ms, 1)} ms/iteration: rollout ${f(e.pytorch_rollout_ms, 1)} ms, update ${f(e.pytorch_update_ms, 1)} ms; CPU ${f(e.pytorch_cpu_ms, 1)} ms)`,
    );
    console.log(
      `   ratio ours/PyTorch agent steps/s: ${f(e.ratio, 3)}x${goal(e.ratio)}; rollout ${f(e.rollout_ratio, 3)}x, update ${f(e.update_ratio, 3)}x; CPU ${f(e.cpu_ratio, 3)}x; per round ${e.round_ratios.join(', ')} (median ${e.round_ratio_median})`,
    );
    const perStep = (x) => f((x / s.numSteps) * 1e3, 1);
    console.log(
      `   environments alone (${s.numSteps} vector steps): ours ${f(v.ours_ms)} ms, gymnasium ${f(v.pytorch_ms)} ms; rollout without them, per vector step: ours ${perStep(e.ours_rollout_ms - v.ours_ms)} us, PyTorch ${perStep(e.pytorch_rollout_ms - v.pytorch_ms)} us`,
    );
    console.log(
      `   episodes finished: ours ${E.stats.episodes} (return EMA ${E.stats.returnEma?.toFixed(1)}), PyTorch ${pyE2eInfo?.episodes} (return EMA ${pyE2eInfo?.return_ema?.toFixed(1)})`,
    );
  }
  if (liveGrowth !== 0)
    console.log(
      `   WARNING: live tensors grew by ${liveGrowth}${E ? " (collectRollout leaves the int32 tensor of torch.tensor(actions).to('int64') to the garbage collector, one per rollout)" : ''}`,
    );
}
