// Data-parallel scaling of the LoT step (issue 10): K processes × 1 thread on per-rank batch B/K
// against one process × 1 thread on batch B, the same global batch, in alternating rounds.
// Each side is a set of long-lived workers (this file with --worker) holding a PreResNet-20
// teacher and one same-size student in LotTrainer; the K-rank side wraps them as `lot train
// --nproc-per-node K` does (harness distributeRun: DistributedDataParallel over Gloo on
// loopback), so a step includes the gradient all-reduce of both models. While one side runs,
// the other waits on its IPC channel (idle). Scaling efficiency = (T1 / TK) / K, goal ≥ 0.8 for
// K = 2 on an idle 2-core machine.
//   node bench/dp_lot_step.mjs [--ranks 2] [--batch 64] [--n 2] [--rounds 5] [--steps 3] [--warmup 2] [--size 32 --channels 3]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { createVisionModel, distributeRun, freePort, LotTrainer, visionTask } from '../packages/lot/dist/src/index.js';
import { median, now, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const ranks = num('ranks', 2);
const batch = num('batch', 64);
const n = num('n', 2);
const rounds = num('rounds', 5);
const steps = num('steps', 3);
const warmup = num('warmup', 2);
const size = num('size', 32);
const channels = num('channels', 3);

async function worker() {
  torch.setNumThreads(1);
  const world = Number(process.env.WORLD_SIZE ?? 1);
  if (world > 1) torch.distributed.initProcessGroup({ timeoutMs: 600_000 });
  const perRank = batch / world;
  const learner = (seed) => {
    torch.manualSeed(seed);
    const model = createVisionModel('preresnet20', { numClasses: 10, inChannels: channels }).train();
    return { model, optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }) };
  };
  const run = { teacher: learner(0), students: [learner(1)] };
  const ddp = world > 1 ? distributeRun(run) : null;
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
      if (world > 1) torch.distributed.destroyProcessGroup();
      process.exit(0);
    }
    const t0 = now();
    for (let i = 0; i < m.steps; i++) step();
    process.send({ seconds: (now() - t0) / m.steps });
  });
  process.send({ ready: true });
}

/** Starts one side: `world` workers; resolves with a function that times `steps` steps on all of them. */
async function side(world) {
  const port = await freePort();
  const here = fileURLToPath(import.meta.url);
  const children = Array.from({ length: world }, (_, rank) =>
    fork(here, ['--worker', ...process.argv.slice(2)], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) },
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
      return (await answers[0]).seconds; // rank 0's: every step waits for the slowest rank's gradients
    },
    quit: () => children.forEach((c) => c.send('quit')),
  };
}

async function main() {
  if (batch % ranks !== 0) throw new Error(`--batch ${batch} must divide over --ranks ${ranks}`);
  // One side at a time while starting, so that warm-up does not overlap.
  const one = await side(1);
  const many = await side(ranks);
  const t1 = [];
  const tk = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      t1.push(await one.time(steps));
      tk.push(await many.time(steps));
    } else {
      tk.push(await many.time(steps));
      t1.push(await one.time(steps));
    }
    const e = t1[r] / tk[r] / ranks;
    console.log(
      `round ${r + 1}: 1 process ${t1[r].toFixed(3)} s/step, ${ranks} processes ${tk[r].toFixed(3)} s/step, efficiency ${e.toFixed(3)}`,
    );
  }
  one.quit();
  many.quit();
  const [m1, mk] = [median(t1), median(tk)];
  const efficiencies = t1.map((t, i) => t / tk[i] / ranks);
  console.log(
    `LoT step (PreResNet-20 teacher + student, N ${n}, global batch ${batch}, ${size}x${size}x${channels}), 1 thread per process, medians of ${rounds} rounds x ${steps} steps:`,
  );
  console.log(`  1 process:  ${m1.toFixed(3)} s/step (${(batch / m1).toFixed(1)} img/s)`);
  console.log(`  ${ranks} processes: ${mk.toFixed(3)} s/step (${(batch / mk).toFixed(1)} img/s)`);
  console.log(
    `  scaling efficiency (T1 / T${ranks}) / ${ranks}: ${(m1 / mk / ranks).toFixed(3)} (median per round ${median(efficiencies).toFixed(3)}; goal >= 0.8)`,
  );
}

if (args.worker) await worker();
else await main();
