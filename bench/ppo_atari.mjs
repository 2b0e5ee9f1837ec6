// PPO on BreakoutNoFrameskip-v4 with the Nature CNN, end to end: ours vs PyTorch (CleanRL's
// ppo_atari.py loop as written, ppo_atari.py in a python3 child with the same thread count), the
// same ALE environments on both sides, in one run.
//   Ours: the product's AtariVectorEnv (the ALE in a Python worker process, atari_worker.py, talked
//   to over two FIFOs) + collectRollout + ppoUpdate with a teacher-only LotTrainer and ppoTask, the
//   teacher built as runtime.ts builds it (NatureCnnAgent, Adam eps 1e-5, clipGradNorm_ 0.5 in
//   beforeStep, a CosineAnnealingLR to 2.5e-6 stepped per update), ppo_atari's settings (clip 0.1).
//   PyTorch: ppo_atari's Agent and loop on the wrapper chain of atari_worker.py (imported) in a
//   gymnasium SyncVectorEnv in its own process, as CleanRL runs it (linear lr annealing).
// One iteration = a rollout of envs x steps (default 8 x 128), the bootstrap value, GAE and the
// update (4 epochs x 4 shuffled minibatches); agent steps/s = envs x steps / its wall time. Each
// side's iteration is split into: environment stepping (the vector-env step calls; ours includes
// the pipe to the worker), the acting forward passes (x / 255 -> trunk -> heads, the bootstrap value
// included), the rest of the rollout (sampling, log-probabilities, copies, GAE, the batch tensors),
// and the update. The environments are also timed alone (fixed actions, their own instances): ours
// through AtariVectorEnv, and in the Python child both CleanRL's SyncVectorEnv and our worker's own
// step loop in-process; ours minus the latter is what the pipe costs.
// Rounds alternate which side goes first; each side is idle while the other runs. Medians of all
// timed repetitions; ratios are PyTorch time / ours (>= 1: ours is at least as fast; goal 1.0).
// Ours' CPU time adds its worker's (from /proc/<pid>/stat) to this process's.
//   node bench/ppo_atari.mjs [--threads 1] [--rounds 3] [--updates 2] [--envs 8] [--steps 128]
//                            [--env-reps 1] [--env-steps STEPS] [--warmup 1] [--diag 1]
//                            [--env BreakoutNoFrameskip-v4] [--seed 1] [--json]
// --updates: timed iterations (rollout + update) per side per round; --env-reps: timed
// environments-alone passes of --env-steps vector steps per variant per round (0: none);
// --warmup: untimed iterations per side first. --diag 0 drops ppo_atari's approx_kl / clipfrac
// lines (PyTorch side).
// Needs the product's Atari venv (made on first use, as `lot train rl` makes it) and Python torch,
// numpy, gymnasium, ale-py and opencv-python-headless for the PyTorch side
// (`python3 -m pip install ale-py gymnasium opencv-python-headless`); PYTHON picks the interpreter.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { LotTrainer } from '../packages/lot/dist/src/index.js';
import { AtariVectorEnv } from '../packages/lot/dist/src/tasks/rl/atari/atari-env.js';
import { ensureAtariPython, findAtariPython } from '../packages/lot/dist/src/tasks/rl/atari/python-env.js';
import { NatureCnnAgent } from '../packages/lot/dist/src/tasks/rl/networks.js';
import { collectRollout, freshEpisodeStats, ppoTask, ppoUpdate } from '../packages/lot/dist/src/tasks/rl/ppo.js';
import { cpuNow, jsonLinePeer, median, now, parseArgs } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 1),
  rounds = num('rounds', 3),
  itersPerRound = num('updates', 2),
  envReps = num('env-reps', 1),
  warmup = num('warmup', 1),
  seed = num('seed', 1),
  diag = num('diag', 1);
const envId = args.env ?? 'BreakoutNoFrameskip-v4';

// ppo_atari's settings (settings.ts ATARI_DEFAULTS: the reference's, clip 0.1).
const s = {
  numEnvs: num('envs', 8),
  numSteps: num('steps', 128),
  minibatches: 4,
  updateEpochs: 4,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipCoef: 0.1,
  entCoef: 0.01,
  vfCoef: 0.5,
  cacheRollouts: 10,
};
const envSteps = num('env-steps', s.numSteps);
const lr = 2.5e-4,
  lrMin = 2.5e-6,
  maxGradNorm = 0.5;
const batchSize = s.numEnvs * s.numSteps;
// The product's cosine horizon: 20 M agent steps (ATARI_DEFAULTS total-steps) in updates.
const horizon = Math.floor(20_000_000 / batchSize);

torch.setNumThreads(threads);
let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {}
/** CPU seconds (user + system) of process `pid` so far, from /proc (0 when unreadable). */
const procCpu = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks;
  } catch {
    return 0;
  }
};

// The product's Atari venv (runtime.ts loadData: made on first use).
const atariPython = findAtariPython() ?? (await ensureAtariPython((line) => process.stderr.write(`${line}\n`)));

/** Seconds in the agent's forward passes: NatureCnnAgent with a clock around act(). */
let forwardTime = 0;
class TimedAgent extends NatureCnnAgent {
  act(obs, withValue = true) {
    const t0 = now();
    try {
      return super.act(obs, withValue);
    } finally {
      forwardTime += now() - t0;
    }
  }
}

// -- ours: collectRollout + ppoUpdate on AtariVectorEnv, as runtime.ts builds and runs them --------
const envs = new AtariVectorEnv(envId, s.numEnvs, seed, { python: atariPython.python });
/** Seconds in the vector-environment steps (the pipe and the worker included). */
let envTime = 0;
const timedEnvs = {
  numEnvs: envs.numEnvs,
  obsShape: envs.obsShape,
  actions: envs.actions,
  reset: () => envs.reset(),
  step(actions) {
    const t0 = now();
    try {
      return envs.step(actions);
    } finally {
      envTime += now() - t0;
    }
  },
};
torch.manualSeed(seed);
const model = new TimedAgent(envs.actions);
const teacher = {
  model,
  optimizer: new torch.optim.Adam(model.parameters(), { lr, eps: 1e-5, weightDecay: 0 }),
  beforeStep: (m) => void torch.optim.clipGradNorm_(m.parameters(), maxGradNorm),
};
const scheduler = new torch.optim.CosineAnnealingLR(teacher.optimizer, horizon, lrMin);
const trainer = new LotTrainer({
  teacher,
  students: [],
  task: ppoTask(s),
  config: { alpha: 0.5, n: 1, tau: 1, variant: 'kl_ce', detach: true },
});
torch.manualSeed(seed);
const E = {
  acting: { obs: timedEnvs.reset(), done: new Float32Array(s.numEnvs) },
  stats: freshEpisodeStats(),
  cache: [],
  update: 0,
};

/** One iteration: its pieces in seconds and the worker's CPU seconds. */
function oursIteration() {
  const w0 = procCpu(envs.pid);
  const e0 = envTime,
    f0 = forwardTime;
  const t0 = now();
  const rollout = collectRollout(model, timedEnvs, E.acting, E.stats, s);
  const t1 = now();
  const env = envTime - e0,
    forward = forwardTime - f0;
  let m;
  try {
    m = ppoUpdate(trainer, rollout, E.cache, E.update, s);
  } finally {
    torch.dispose(rollout);
  }
  E.update += 1;
  scheduler.step();
  return { loss: m.teacherLoss, rollout: t1 - t0, update: now() - t1, env, forward, workerCpu: procCpu(envs.pid) - w0 };
}

// The environments alone: their own instances, the fixed action pattern of ppo_atari.py's.
const envOnly = envReps > 0 ? new AtariVectorEnv(envId, s.numEnvs, seed + 100, { python: atariPython.python }) : null;
envOnly?.reset();
const envActions = Array.from({ length: envSteps }, (_, t) => Int32Array.from({ length: s.numEnvs }, (_, e) => (t + e) % envs.actions));
const oursEnvs = () => {
  const w0 = procCpu(envOnly.pid);
  for (const a of envActions) envOnly.step(a);
  return { workerCpu: procCpu(envOnly.pid) - w0 };
};

// -- the PyTorch side ---------------------------------------------------------------------------------
function startPython() {
  const python = process.env.PYTHON ?? 'python3';
  const modes = ['iter', ...(envReps > 0 ? ['env', 'envloop'] : [])].join(',');
  const child = spawn(
    python,
    [
      join(here, 'ppo_atari.py'),
      ...['--threads', threads, '--warmup-iters', warmup, '--seed', seed, '--diag', diag, '--modes', modes],
      ...['--env-id', envId, '--num-envs', s.numEnvs, '--num-steps', s.numSteps, '--env-steps', envSteps],
    ].map(String),
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // The ALE's banner lines are dropped; anything else goes to our stderr.
  createInterface({ input: child.stderr }).on('line', (l) => {
    if (!/^A\.L\.E: Arcade Learning Environment|^\[Powered by Stella\]/.test(l)) process.stderr.write(`${l}\n`);
  });
  const peer = jsonLinePeer(
    child,
    `${python} ppo_atari.py`,
    ' (needs torch, numpy, gymnasium, ale-py and opencv-python-headless: python3 -m pip install ale-py gymnasium opencv-python-headless)',
  );
  return { ...peer, run: (cmd, k) => peer.request(`${cmd} ${k}`) };
}

function timeOurs(fn, k) {
  const times = [],
    cpu = [],
    out = [];
  for (let i = 0; i < k; ++i) {
    const t0 = now(),
      c0 = cpuNow();
    const o = fn();
    times.push(now() - t0);
    cpu.push(cpuNow() - c0 + o.workerCpu);
    out.push(o);
  }
  return { times, cpu, out };
}

const py = startPython();
for (let i = 0; i < warmup; ++i) oursIteration();
if (envOnly) oursEnvs();
const info = await py.ready;
const live0 = torch.memoryStats().liveTensors;

const acc = () => ({ times: [], cpu: [], rollout: [], update: [], env: [], forward: [], roundRatios: [] });
const res = { iter: { ours: acc(), py: acc() }, env: { ours: acc(), py: acc(), loop: acc() } };
let lastLoss = {};
let pyE2eInfo = null;
const push = (a, r) => {
  a.times.push(...r.times);
  a.cpu.push(...r.cpu);
  for (const k of ['rollout', 'update', 'env', 'forward']) if (r[k]) a[k].push(...r[k]);
};

async function iterRound(oursFirst) {
  const runOurs = () => {
    const r = timeOurs(oursIteration, itersPerRound);
    const pick = (k) => r.out.map((o) => o[k]);
    return { ...r, rollout: pick('rollout'), update: pick('update'), env: pick('env'), forward: pick('forward') };
  };
  let mine, theirs;
  if (oursFirst) {
    mine = runOurs();
    theirs = await py.run('iter', itersPerRound);
  } else {
    theirs = await py.run('iter', itersPerRound);
    mine = runOurs();
  }
  lastLoss = { ours: mine.out.at(-1).loss, pytorch: theirs.loss };
  pyE2eInfo = theirs;
  push(res.iter.ours, mine);
  push(res.iter.py, theirs);
  res.iter.ours.roundRatios.push(median(theirs.times) / median(mine.times));
}

async function envRound(oursFirst) {
  let mine;
  if (oursFirst) mine = timeOurs(oursEnvs, envReps);
  const theirs = await py.run('env', envReps);
  const loop = await py.run('envloop', envReps);
  if (!oursFirst) mine = timeOurs(oursEnvs, envReps);
  push(res.env.ours, mine);
  push(res.env.py, theirs);
  push(res.env.loop, loop);
  res.env.ours.roundRatios.push(median(theirs.times) / median(mine.times));
}

for (let r = 0; r < rounds; ++r) {
  const oursFirst = r % 2 === 0;
  await iterRound(oursFirst);
  if (envOnly) await envRound(oursFirst);
  if (!args.json && !args.quiet)
    process.stderr.write(`round ${r + 1}/${rounds}: end-to-end ratio ${res.iter.ours.roundRatios.at(-1).toFixed(3)}\n`);
}
py.quit();
const liveGrowth = torch.memoryStats().liveTensors - live0;
envs.close();
envOnly?.close();

const ms = (x) => +(x * 1e3).toFixed(1);
const split = (a) => {
  const env = median(a.env),
    forward = median(a.forward),
    rollout = median(a.rollout),
    update = median(a.update);
  return {
    env_ms: ms(env),
    forward_ms: ms(forward),
    rollout_rest_ms: ms(rollout - env - forward),
    rollout_ms: ms(rollout),
    update_ms: ms(update),
  };
};
const o = res.iter.ours,
  p = res.iter.py;
const result = {
  bench: 'ppo_atari',
  env: envId,
  threads,
  torch: info.torch,
  gymnasium: info.gymnasium,
  ale_py: info.ale_py,
  rounds,
  diag: !!diag,
  settings: { envs: s.numEnvs, steps: s.numSteps, minibatches: s.minibatches, epochs: s.updateEpochs, clip: s.clipCoef },
  e2e: {
    reps_each: o.times.length,
    agent_steps_per_iteration: batchSize,
    ours_agent_steps_per_s: +(batchSize / median(o.times)).toFixed(1),
    pytorch_agent_steps_per_s: +(batchSize / median(p.times)).toFixed(1),
    ratio: +(median(p.times) / median(o.times)).toFixed(3),
    ours_ms: ms(median(o.times)),
    pytorch_ms: ms(median(p.times)),
    ours_cpu_ms: ms(median(o.cpu)),
    pytorch_cpu_ms: ms(median(p.cpu)),
    cpu_ratio: +(median(p.cpu) / median(o.cpu)).toFixed(3),
    round_ratios: o.roundRatios.map((x) => +x.toFixed(3)),
    round_ratio_median: +median(o.roundRatios).toFixed(3),
    ours: split(o),
    pytorch: split(p),
    env_ratio: +(median(p.env) / median(o.env)).toFixed(3),
    forward_ratio: +(median(p.forward) / median(o.forward)).toFixed(3),
    update_ratio: +(median(p.update) / median(o.update)).toFixed(3),
    loss: lastLoss,
    episodes: { ours: E.stats.episodes, pytorch: pyE2eInfo?.episodes },
    return_ema: { ours: E.stats.returnEma, pytorch: pyE2eInfo?.return_ema },
  },
  ...(envOnly
    ? {
        envs_alone: (() => {
          const eo = median(res.env.ours.times),
            ep = median(res.env.py.times),
            el = median(res.env.loop.times);
          return {
            vector_steps: envSteps,
            reps_each: res.env.ours.times.length,
            ours_pipe_ms: ms(eo),
            pytorch_sync_vector_env_ms: ms(ep),
            worker_loop_in_process_ms: ms(el),
            ours_cpu_ms: ms(median(res.env.ours.cpu)),
            worker_loop_cpu_ms: ms(median(res.env.loop.cpu)),
            pipe_us_per_vector_step: +(((eo - el) / envSteps) * 1e6).toFixed(0),
            pipe_cpu_us_per_vector_step: +(((median(res.env.ours.cpu) - median(res.env.loop.cpu)) / envSteps) * 1e6).toFixed(0),
            pipe_share_of_ours: +((eo - el) / eo).toFixed(3),
            bytes_per_vector_step: s.numEnvs * (4 * 84 * 84 + 6) + 16,
          };
        })(),
      }
    : {}),
  live_tensor_growth: liveGrowth,
};

if (args.json) console.log(JSON.stringify(result));
else {
  const f = (x, d = 1) => x.toFixed(d);
  const e = result.e2e;
  const ema = (x) => (x == null ? 'n/a' : x.toFixed(1));
  const goal = (r) => (r >= 1 ? '' : '  (goal >= 1.0)');
  console.log(
    `PPO on ${envId}, Nature CNN, ppo_atari settings; threads ${threads}, torch ${info.torch}, gymnasium ${info.gymnasium}, ale-py ${info.ale_py}; ${rounds} rounds, medians`,
  );
  console.log(
    `end to end: ${s.numEnvs} envs x ${s.numSteps} steps + GAE + update (${s.updateEpochs} epochs x ${s.minibatches} minibatches of ${batchSize / s.minibatches}) per iteration; ${e.reps_each} iterations each`,
  );
  const line = (name, steps, t, cpu, sp) => {
    const pct = (x) => `${f((100 * x) / t, 0)}%`;
    const rest = sp.rollout_rest_ms;
    console.log(
      `   ${name} ${f(steps)} agent steps/s  (${f(t)} ms/iteration, CPU ${f(cpu)} ms: environments ${f(sp.env_ms)} ms ${pct(sp.env_ms)}, acting forward ${f(sp.forward_ms)} ms ${pct(sp.forward_ms)}, rest of rollout ${f(rest)} ms ${pct(rest)}, update ${f(sp.update_ms)} ms ${pct(sp.update_ms)})`,
    );
  };
  line('ours   ', e.ours_agent_steps_per_s, e.ours_ms, e.ours_cpu_ms, e.ours);
  line('PyTorch', e.pytorch_agent_steps_per_s, e.pytorch_ms, e.pytorch_cpu_ms, e.pytorch);
  console.log(
    `   ratio ours/PyTorch agent steps/s: ${f(e.ratio, 3)}x${goal(e.ratio)}; environments ${f(e.env_ratio, 3)}x, acting forward ${f(e.forward_ratio, 3)}x, update ${f(e.update_ratio, 3)}x; CPU ${f(e.cpu_ratio, 3)}x (ours with its worker's); per round ${e.round_ratios.join(', ')} (median ${e.round_ratio_median})`,
  );
  if (result.envs_alone) {
    const v = result.envs_alone;
    console.log(
      `environments alone (${v.vector_steps} vector steps, fixed actions): ours through the pipe ${f(v.ours_pipe_ms)} ms (CPU with the worker ${f(v.ours_cpu_ms)} ms), CleanRL's SyncVectorEnv ${f(v.pytorch_sync_vector_env_ms)} ms, our worker's loop in-process ${f(v.worker_loop_in_process_ms)} ms`,
    );
    console.log(
      `   the pipe (ours minus the worker's loop in-process): ${v.pipe_us_per_vector_step} us per vector step (${v.bytes_per_vector_step} bytes back), ${f(100 * v.pipe_share_of_ours, 0)}% of ours' environment time; CPU ${v.pipe_cpu_us_per_vector_step} us per vector step (this process + the worker, against the loop's)`,
    );
  }
  console.log(
    `   games finished: ours ${E.stats.episodes} (return EMA ${ema(E.stats.returnEma)}), PyTorch ${pyE2eInfo?.episodes} (return EMA ${ema(pyE2eInfo?.return_ema)}); loss of the last update: ours ${lastLoss.ours?.toFixed(4)} (minibatch mean), PyTorch ${lastLoss.pytorch?.toFixed(4)} (last minibatch)`,
  );
  if (liveGrowth !== 0)
    console.log(
      `   WARNING: live tensors grew by ${liveGrowth} (collectRollout leaves the int32 tensor of torch.tensor(actions).to('int64') to the garbage collector, one per rollout)`,
    );
}
