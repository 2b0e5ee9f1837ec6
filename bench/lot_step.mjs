// Seconds per teacher step of LoT (N = 2, a same-size student PreResNet-20) against
// teacher-only, and against PyTorch doing the LoT step as the reference code does,
// all in one run. Ours runs in this process (LotTrainer + createVisionModel + visionTask);
// PyTorch in a python3 child (lot_step_reference.py) with the same thread count, idle
// while ours runs and vice versa. Rounds rotate the order of the four measurements
// so they all see the same machine noise. Batches are preloaded on both sides.
//   node bench/lot_step.mjs [--threads 2] [--batch 128] [--size 32 --channels 3] [--n 2]
//                           [--rounds 5] [--steps 3] [--warmup 2] [--device cpu|cuda] [--json]
// --device cuda puts both sides' models and batches on the GPU and synchronizes it before each
// clock reading; PYTHON names the interpreter of the PyTorch side (default python3).
// Prints medians and: measured LoT/teacher-only ratio vs docs/METHOD.md's analytic
// (3+3+(N−1)·4)/3 (goal ≤ 1.05× analytic), and our LoT throughput / PyTorch's (goal ≥ 1.0).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { jsonLinePeer, median, now, parseArgs } from './common.mjs';
import { analyticCostRatio, createVisionModel, LotTrainer, visionTask } from '../packages/lot/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 2),
  batch = num('batch', 128),
  size = num('size', 32),
  channels = num('channels', 3);
const classes = num('classes', 10),
  n = num('n', 2),
  rounds = num('rounds', 5),
  steps = num('steps', 3),
  warmup = num('warmup', 2);
const alpha = num('alpha', 0.5),
  tau = num('tau', 1.5),
  lr = num('lr', 0.05),
  poolSize = num('pool', 8);
const device = args.device ?? 'cpu';
const python = process.env.PYTHON ?? 'python3';
const sync = device.startsWith('cuda') ? () => torch.cuda.synchronize() : () => {};

torch.setNumThreads(threads);

// ---------------------------------------------------------------- ours
function sgd(model) {
  if (torch.optim?.SGD) return new torch.optim.SGD(model.parameters(), { lr, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  throw new Error('torch.optim.SGD is not available in this build');
}
function learner(seed) {
  torch.manualSeed(seed);
  const model = createVisionModel('preresnet20', { numClasses: classes, inChannels: channels }).to(device).train();
  return { model, optimizer: sgd(model) };
}
torch.manualSeed(2);
const pool = Array.from({ length: poolSize }, () =>
  torch.keep({
    images: torch.randn([batch, channels, size, size], { device }),
    labels: torch.randint(0, classes, [batch], { device }),
  }),
);
let next = 0;
const nextBatch = () => pool[next++ % pool.length];
const config = { alpha, n, tau, variant: 'kl_ce', detach: true };
const lot = new LotTrainer({
  teacher: learner(0),
  students: [learner(1)],
  task: visionTask,
  config,
  studentBatch: (position) => pool[position % pool.length],
});
const alone = new LotTrainer({ teacher: learner(0), students: [], task: visionTask, config });
const ours = { lot: () => lot.step(nextBatch()).teacherLoss, teacher: () => alone.step(nextBatch()).teacherLoss };

// ---------------------------------------------------------------- PyTorch
function startPython() {
  const pyArgs = [
    '--threads',
    threads,
    '--batch',
    batch,
    '--size',
    size,
    '--channels',
    channels,
    '--classes',
    classes,
    '--n',
    n,
    '--alpha',
    alpha,
    '--tau',
    tau,
    '--lr',
    lr,
    '--pool',
    poolSize,
    '--warmup',
    warmup,
    '--device',
    device,
  ].map(String);
  const child = spawn(python, [join(here, 'lot_step_reference.py'), ...pyArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const peer = jsonLinePeer(child, `${python} lot_step_reference.py`);
  return { ...peer, run: async (kind, k) => (await peer.request(`${kind} ${k}`)).times };
}

const py = startPython();
for (let i = 0; i < warmup; ++i) {
  ours.lot();
  ours.teacher();
}
const info = await py.ready;
const live0 = torch.memoryStats().liveTensors;
const times = { oursLot: [], oursTeacher: [], pyLot: [], pyTeacher: [] };
const timeOurs = (kind, into) => {
  sync();
  for (let i = 0; i < steps; ++i) {
    const t0 = now();
    ours[kind]();
    sync();
    into.push(now() - t0);
  }
};
const tasks = [
  async () => timeOurs('lot', times.oursLot),
  async () => timeOurs('teacher', times.oursTeacher),
  async () => times.pyLot.push(...(await py.run('lot', steps))),
  async () => times.pyTeacher.push(...(await py.run('teacher', steps))),
];
// Ratios are also taken within each round (the four measurements of a round see about the same
// machine load) and their median reported: robust when the load drifts during the run.
const roundRatios = { ours: [], pytorch: [], lot: [], teacher: [] };
for (let r = 0; r < rounds; ++r) {
  const start = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.length]));
  for (let j = 0; j < tasks.length; ++j) await tasks[(j + r) % tasks.length]();
  const rm = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v.slice(start[k]))]));
  roundRatios.ours.push(rm.oursLot / rm.oursTeacher);
  roundRatios.pytorch.push(rm.pyLot / rm.pyTeacher);
  roundRatios.lot.push(rm.pyLot / rm.oursLot);
  roundRatios.teacher.push(rm.pyTeacher / rm.oursTeacher);
  if (!args.quiet) {
    process.stderr.write(
      `round ${r + 1}/${rounds}: ours LoT ${(rm.oursLot * 1e3).toFixed(0)} ms, teacher-only ${(rm.oursTeacher * 1e3).toFixed(0)} ms; ` +
        `PyTorch LoT ${(rm.pyLot * 1e3).toFixed(0)} ms, teacher-only ${(rm.pyTeacher * 1e3).toFixed(0)} ms; ` +
        `LoT/teacher-only ours ${roundRatios.ours.at(-1).toFixed(3)}, LoT ours/PyTorch throughput ${roundRatios.lot.at(-1).toFixed(3)}\n`,
    );
  }
}
py.quit();
const liveGrowth = torch.memoryStats().liveTensors - live0;

const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const analytic = analyticCostRatio(n);
const oursRatio = m.oursLot / m.oursTeacher;
const pyRatio = m.pyLot / m.pyTeacher;
const result = {
  bench: 'lot_step',
  device,
  threads,
  torch: info.torch,
  batch,
  input: [channels, size, size],
  n,
  steps_each: times.oursLot.length,
  ours_lot_s: +m.oursLot.toFixed(4),
  ours_teacher_only_s: +m.oursTeacher.toFixed(4),
  pytorch_lot_s: +m.pyLot.toFixed(4),
  pytorch_teacher_only_s: +m.pyTeacher.toFixed(4),
  analytic_ratio: +analytic.toFixed(4),
  ours_measured_ratio: +oursRatio.toFixed(4),
  ours_measured_over_analytic: +(oursRatio / analytic).toFixed(4),
  pytorch_measured_ratio: +pyRatio.toFixed(4),
  lot_throughput_ours_over_pytorch: +(m.pyLot / m.oursLot).toFixed(4),
  teacher_only_throughput_ours_over_pytorch: +(m.pyTeacher / m.oursTeacher).toFixed(4),
  per_round_median: {
    ours_measured_ratio: +median(roundRatios.ours).toFixed(4),
    ours_measured_over_analytic: +(median(roundRatios.ours) / analytic).toFixed(4),
    pytorch_measured_ratio: +median(roundRatios.pytorch).toFixed(4),
    lot_throughput_ours_over_pytorch: +median(roundRatios.lot).toFixed(4),
    teacher_only_throughput_ours_over_pytorch: +median(roundRatios.teacher).toFixed(4),
  },
  live_tensor_growth: liveGrowth,
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(
    `LoT teacher step (N=${n}, PreResNet-20 teacher and student, batch ${batch} x ${channels}x${size}x${size}), device ${device}, threads ${threads}, torch ${info.torch}`,
  );
  console.log(`${times.oursLot.length} steps each, medians:`);
  console.log(
    `  ours     LoT ${(m.oursLot * 1e3).toFixed(1)} ms   teacher-only ${(m.oursTeacher * 1e3).toFixed(1)} ms   ratio ${oursRatio.toFixed(3)}`,
  );
  console.log(
    `  PyTorch  LoT ${(m.pyLot * 1e3).toFixed(1)} ms   teacher-only ${(m.pyTeacher * 1e3).toFixed(1)} ms   ratio ${pyRatio.toFixed(3)}`,
  );
  console.log(
    `  analytic cost ratio (3+3+(N-1)*4)/3 = ${analytic.toFixed(3)}; ours measured/analytic = ${(oursRatio / analytic).toFixed(3)}x (goal <= 1.05)`,
  );
  console.log(
    `  LoT throughput ours/PyTorch = ${(m.pyLot / m.oursLot).toFixed(3)}x (goal >= 1.0); teacher-only ours/PyTorch = ${(m.pyTeacher / m.oursTeacher).toFixed(3)}x`,
  );
  const pr = result.per_round_median;
  console.log(
    `  per-round medians: LoT/teacher-only ${pr.ours_measured_ratio.toFixed(3)} (${pr.ours_measured_over_analytic.toFixed(3)}x analytic; PyTorch ${pr.pytorch_measured_ratio.toFixed(3)}), ` +
      `LoT ours/PyTorch ${pr.lot_throughput_ours_over_pytorch.toFixed(3)}x, teacher-only ours/PyTorch ${pr.teacher_only_throughput_ours_over_pytorch.toFixed(3)}x`,
  );
  if (liveGrowth !== 0) console.log(`  WARNING: live tensors grew by ${liveGrowth}`);
}
