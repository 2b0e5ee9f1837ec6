#!/usr/bin/env node
// Training steps on one device, ours against PyTorch on the same device, in one run:
//   1. ResNet-20 training step (CIFAR-shaped 3x32x32, batch 128, SGD momentum): resnet_ours.mjs
//      against resnet_torch.py (functional, and nn.Module + optim.SGD), each run in a fresh
//      process, the two sides alternating which goes first in each round; images/s medians.
//   2. LoT step (N = 2: a PreResNet-20 teacher and one same-size student, kl_ce) and the
//      teacher-only step: lot_step.mjs, which runs ours in-process and PyTorch's
//      lot_step_reference.py as a child, rotating the order of the four measurements per round.
// Every side synchronizes the GPU before reading a clock.
//   node bench/gpu_step.mjs [--device cuda] [--rounds 5] [--steps 20] [--warmup 5]
//                           [--lot-rounds 5] [--lot-steps 5] [--lot-warmup 3] [--threads 2] [--batch 128] [--only resnet|lot]
// --device cpu runs the same on the CPU (a check of the script where no GPU is). PYTHON names
// the PyTorch side's interpreter (default python3). Prints the figures and ratios (ours/PyTorch
// throughput: above 1 is faster than PyTorch) and, last, one JSON line; exits non-zero if a step fails.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseArgs } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = parseArgs(process.argv.slice(2));
const device = args.device ?? 'cuda';
const onGpu = device.startsWith('cuda');
const rounds = Number(args.rounds ?? 5);
const steps = Number(args.steps ?? (onGpu ? 20 : 3));
const warmup = Number(args.warmup ?? (onGpu ? 5 : 1));
const lotRounds = Number(args['lot-rounds'] ?? rounds);
const lotSteps = Number(args['lot-steps'] ?? (onGpu ? 5 : 1));
const lotWarmup = Number(args['lot-warmup'] ?? (onGpu ? 3 : 1));
const threads = Number(args.threads ?? 2);
const batch = Number(args.batch ?? 128);
const only = args.only;
const python = process.env.PYTHON ?? 'python3';

class StepFailed extends Error {}

/** Runs a command; its last stdout line is JSON. Fails with the command's output otherwise. */
function runJson(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  const last = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !last) {
    throw new StepFailed(`${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stderr ?? ''}${r.stdout ?? ''}`);
  }
  return JSON.parse(last);
}

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const say = (line) => console.log(line);
const result = { device, threads, batch };

function resnet() {
  const common = [
    '--threads',
    String(threads),
    '--batch',
    String(batch),
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
    '--device',
    device,
  ];
  const sides = {
    ours: () => runJson(process.execPath, [join(here, 'resnet_ours.mjs'), ...common]),
    functional: () => runJson(python, [join(here, 'resnet_torch.py'), ...common, '--style', 'functional']),
    module: () => runJson(python, [join(here, 'resnet_torch.py'), ...common, '--style', 'module']),
  };
  const got = { ours: [], functional: [], module: [] };
  const perRound = { functional: [], module: [] };
  const names = Object.keys(sides);
  for (let r = 0; r < rounds; ++r) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const round = {};
    for (const side of order) {
      round[side] = sides[side]().imagesPerSecond;
      got[side].push(round[side]);
    }
    perRound.functional.push(round.ours / round.functional);
    perRound.module.push(round.ours / round.module);
    process.stderr.write(
      `resnet20 round ${r + 1}/${rounds}: images/s ours ${fmt(round.ours, 0)}, PyTorch functional ${fmt(round.functional, 0)}, nn.Module ${fmt(round.module, 0)}\n`,
    );
  }
  const m = Object.fromEntries(names.map((k) => [k, median(got[k])]));
  say(`ResNet-20 training step, batch ${batch} x 3x32x32, ${device}, ${rounds} rounds x ${steps} steps (medians, images/s):`);
  say(`  ours ${fmt(m.ours, 1)}   PyTorch functional ${fmt(m.functional, 1)}   PyTorch nn.Module+optim.SGD ${fmt(m.module, 1)}`);
  say(
    `  ours/PyTorch throughput: functional ${fmt(m.ours / m.functional, 3)}x (per-round median ${fmt(median(perRound.functional), 3)}x), ` +
      `nn.Module ${fmt(m.ours / m.module, 3)}x (per-round median ${fmt(median(perRound.module), 3)}x)`,
  );
  say(`  step time: ours ${fmt((batch / m.ours) * 1e3, 2)} ms, PyTorch functional ${fmt((batch / m.functional) * 1e3, 2)} ms`);
  result.resnet20 = {
    images_per_s: { ours: +fmt(m.ours, 1), pytorch_functional: +fmt(m.functional, 1), pytorch_module: +fmt(m.module, 1) },
    ours_over_pytorch_functional: +fmt(m.ours / m.functional, 4),
    ours_over_pytorch_module: +fmt(m.ours / m.module, 4),
  };
}

function lot() {
  const lotArgs = [
    join(here, 'lot_step.mjs'),
    '--json',
    '--quiet',
    '--device',
    device,
    '--threads',
    String(threads),
    '--batch',
    String(batch),
    '--n',
    '2',
    '--rounds',
    String(lotRounds),
    '--steps',
    String(lotSteps),
    '--warmup',
    String(lotWarmup),
  ];
  const r = runJson(process.execPath, lotArgs);
  say(`LoT step (N=2, PreResNet-20 teacher + 1 student, batch ${batch}), ${device}, ${lotRounds} rounds x ${lotSteps} steps (medians):`);
  say(
    `  ours     LoT ${fmt(r.ours_lot_s * 1e3, 1)} ms   teacher-only ${fmt(r.ours_teacher_only_s * 1e3, 1)} ms   ratio ${fmt(r.ours_measured_ratio, 3)} (analytic ${fmt(r.analytic_ratio, 3)})`,
  );
  say(
    `  PyTorch  LoT ${fmt(r.pytorch_lot_s * 1e3, 1)} ms   teacher-only ${fmt(r.pytorch_teacher_only_s * 1e3, 1)} ms   ratio ${fmt(r.pytorch_measured_ratio, 3)}`,
  );
  say(
    `  ours/PyTorch throughput: LoT ${fmt(r.lot_throughput_ours_over_pytorch, 3)}x (per-round median ${fmt(r.per_round_median.lot_throughput_ours_over_pytorch, 3)}x), ` +
      `teacher-only ${fmt(r.teacher_only_throughput_ours_over_pytorch, 3)}x (per-round median ${fmt(r.per_round_median.teacher_only_throughput_ours_over_pytorch, 3)}x)`,
  );
  if (r.live_tensor_growth !== 0) say(`  WARNING: our live tensors grew by ${r.live_tensor_growth} over the run`);
  result.lot = r;
}

let failed = false;
for (const [name, fn] of [
  ['resnet', resnet],
  ['lot', lot],
]) {
  if (only && only !== name) continue;
  try {
    fn();
  } catch (e) {
    failed = true;
    say(`${name}: FAILED: ${e instanceof StepFailed ? e.message : (e?.stack ?? e)}`);
  }
}
console.log(JSON.stringify({ bench: 'gpu_step', ...result, failed }));
process.exit(failed ? 1 : 0);
