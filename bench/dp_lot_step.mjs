// Data-parallel scaling of the LoT step (issue 10): K processes × 1 thread on per-rank batch B/K
// against one process × 1 thread on batch B, the same global batch, in alternating rounds.
// Each side is a set of long-lived workers (this file with --worker) holding a PreResNet-20
// teacher and one same-size student in LotTrainer; the K-rank side wraps them as `lot train
// --nproc-per-node K` does (harness distributeRun: DistributedDataParallel over Gloo on
// loopback), so a step includes the gradient all-reduce of both models. While one side runs,
// the other waits on its IPC channel (idle). Scaling efficiency = (T1 / TK) / K, goal ≥ 0.8 for
// K = 2 on an idle 2-core machine.
// A third side, one process on B/K, separates the two costs of going parallel at a fixed global
// batch: the smaller per-process batch (T1(B/K) against T1(B)/K) and the all-reduce and waiting
// (TK against T1(B/K)). --independent 1 runs the K processes without a process group.
//   node bench/dp_lot_step.mjs [--ranks 2] [--batch 128] [--n 2] [--rounds 5] [--steps 3] [--warmup 3] [--size 32 --channels 3] [--independent 1]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { createVisionModel, distributeRun, freePort, LotTrainer, visionTask } from '../packages/lot/dist/src/index.js';
import { median, now, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const ranks = num('ranks', 2);
const batch = num('batch', 128);
const n = num('n', 2);
const rounds = num('rounds', 5);
const steps = num('steps', 3);
const warmup = num('warmup', 3);
const size = num('size', 32);
const channels = num('channels', 3);
const independent = args.independent === '1' || args.independent === 'true';

async function worker() {
  torch.setNumThreads(1);
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const group = world > 1 && !independent;
  if (group) torch.distributed.initProcessGroup({ timeoutMs: 600_000 });
  const perRank = Number(process.env.BENCH_PER_RANK ?? batch / world);
  const learner = (seed) => {
    torch.manualSeed(seed);
    const model = createVisionModel('preresnet20', { numClasses: 10, inChannels: channels }).train();
    return { model, optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }) };
  };
  const run = { teacher: learner(0), students: [learner(1)] };
  const ddp = group ? distributeRun(run) : null;
  torch.manualSeed(2 + Number(process.env.RANK ?? 0));
  const pool = Array.from({ length: 4 }, () =>
    torch.keep({ images: torch.randn([perRank, channels, size, size]), labels: torch.randint(0, 10, [perRank]) }),
  );
  const trainer = new LotTrainer({
    ...run,
    task: visionTask,
    config: { alpha: 0.5, n, tau: 1.5, variant: 'kl_ce', detach: true },
    studentBatch: (position) => pool[position % pool.length],
  });
  let next = 0;
  const step = () => {
    ddp?.syncBuffers();
    trainer.step(pool[next++ % pool.length]);
  };
  for (let i = 0; i < warmup; i++) step();
  process.on('message', (m) => {
    if (m === 'quit') {
      if (group) torch.distributed.destroyProcessGroup();
      process.exit(0);
    }
    const t0 = now();
    for (let i = 0; i < m.steps; i++) step();
    process.send({ seconds: (now() - t0) / m.steps });
  });
  process.send({ ready: true });
}

/** Starts one side: `world` workers (each on `perRank` examples); resolves with a function that times `steps` steps on all of them. */
async function side(world, perRank = batch / world) {
  const port = await freePort();
  const here = fileURLToPath(import.meta.url);
  const children = Array.from({ length: world }, (_, rank) =>
    fork(here, ['--worker', ...process.argv.slice(2)], {
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(world),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        BENCH_PER_RANK: String(perRank),
      },
    }),
  );
  const answer = (c) =>
    new Promise((resolve, reject) => {
      c.once('message', resolve);
      c.once('exit', (code) => reject(new Error(`a worker exited with ${code}`)));
    });
  await Promise.all(children.map(answer));
  return {
    time: async (k) => {
      const answers = children.map(answer);
      for (const c of children) c.send({ steps: k });
      // The slowest rank's (with a group every step waits for it anyway).
      return Math.max(...(await Promise.all(answers)).map((a) => a.seconds));
    },
    quit: () => children.forEach((c) => c.send('quit')),
  };
}

async function main() {
  if (batch % ranks !== 0) throw new Error(`--batch ${batch} must divide over --ranks ${ranks}`);
  // One side at a time while starting, so that warm-up does not overlap.
  const one = await side(1);
  const small = await side(1, batch / ranks);
  const many = await side(ranks);
  const sides = [
    { side: one, times: [] },
    { side: small, times: [] },
    { side: many, times: [] },
  ];
  for (let r = 0; r < rounds; r++) {
    // Rotate which side goes first, so that all see the same drift of the machine.
    for (let i = 0; i < sides.length; i++) {
      const s = sides[(i + r) % sides.length];
      s.times.push(await s.side.time(steps));
    }
    const [a, b, c] = sides.map((s) => s.times[r]);
    console.log(
      `round ${r + 1}: 1 process ${a.toFixed(3)} s/step, 1 process on ${batch / ranks} ${b.toFixed(3)}, ${ranks} processes ${c.toFixed(3)}, efficiency ${(a / c / ranks).toFixed(3)}`,
    );
  }
  for (const s of sides) s.side.quit();
  const [t1, ts, tk] = sides.map((s) => s.times);
  const [m1, ms, mk] = [median(t1), median(ts), median(tk)];
  const efficiencies = t1.map((t, i) => t / tk[i] / ranks);
  console.log(
    `LoT step (PreResNet-20 teacher + student, N ${n}, global batch ${batch}, ${size}x${size}x${channels}), 1 thread per process, medians of ${rounds} rounds x ${steps} steps:`,
  );
  console.log(`  1 process:  ${m1.toFixed(3)} s/step (${(batch / m1).toFixed(1)} img/s)`);
  console.log(`  1 process on ${batch / ranks}: ${ms.toFixed(3)} s/step`);
  console.log(
    `  ${ranks} processes${independent ? ' (independent, no all-reduce)' : ''}: ${mk.toFixed(3)} s/step (${(batch / mk).toFixed(1)} img/s)`,
  );
  console.log(
    `  scaling efficiency (T1 / T${ranks}) / ${ranks}: ${(m1 / mk / ranks).toFixed(3)} (median per round ${median(efficiencies).toFixed(3)}; goal >= 0.8)`,
  );
  console.log(
    `    = batch-size factor T1(${batch}) / (${ranks} T1(${batch / ranks})) ${(m1 / ms / ranks).toFixed(3)} x parallel factor T1(${batch / ranks}) / T${ranks} ${(ms / mk).toFixed(3)}`,
  );
}

if (args.worker) await worker();
else await main();
