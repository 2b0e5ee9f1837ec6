// Harness shared by lstm_lm.mjs and transformer.mjs: a python3 PyTorch worker
// driven over stdin/stdout, alternating timed rounds, medians and the ratio.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { cpuNow, jsonLinePeer, median, now } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export { parseArgs, median } from './common.mjs';

/** As torch.nn.utils.clip_grad_norm_ (foreach norms, clamped coefficient, no host sync). */
export function clipGradNorm(params, maxNorm) {
  torch.tidy(() => {
    const grads = params.map((p) => p.grad).filter((g) => g);
    const norms = torch.ops.aten._foreach_norm.Scalar(grads, 2);
    const total = torch.ops.aten.linalg_vector_norm.default(torch.stack(norms), 2);
    const coef = torch.clamp(torch.div(torch.add(total, 1e-6).reciprocal(), 1 / maxNorm), null, 1);
    torch.ops.aten._foreach_mul_.Tensor(grads, coef);
  });
}

/** p -= lr * grad for each parameter, without recording gradients. */
export function sgdStep(params, lr) {
  torch.noGrad(() =>
    torch.tidy(() => {
      for (const p of params) {
        const g = p.grad;
        if (g) p.add_(g, -lr);
      }
    }),
  );
}

function startPython(script, args) {
  const child = spawn('python3', [join(here, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const peer = jsonLinePeer(child, `python3 ${script}`);
  return { ...peer, run: (n) => peer.request(`run ${n}`) };
}

/**
 * Times `step` (one training step of ours, returns the loss tensor) against the Python worker in
 * alternating rounds, prints medians and ours/PyTorch throughput.
 */
export async function compare({ name, describe, unit, perStep, python, step, threads, args }) {
  // The loss read back and freed inside the timed step, as PyTorch's loss.item().
  const ours = () => {
    const l = step();
    const v = l.item();
    l.dispose();
    return v;
  };
  const liveTensors = () => torch.memoryStats().liveTensors;
  const rounds = Number(args.rounds ?? 5);
  const steps = Number(args.steps ?? 4);
  const warmup = Number(args.warmup ?? 3);
  const py = startPython(python[0], [...python.slice(1), '--warmup', String(warmup)]);
  for (let i = 0; i < warmup; ++i) ours();
  const info = await py.ready;
  const live0 = liveTensors();
  const oursTimes = [],
    pyTimes = [],
    roundRatios = [],
    oursCpu = [],
    pyCpu = [];
  let lastLoss = NaN;
  for (let r = 0; r < rounds; ++r) {
    const mine = [];
    const runOurs = () => {
      for (let i = 0; i < steps; ++i) {
        const t0 = now(),
          c0 = cpuNow();
        lastLoss = ours();
        mine.push(now() - t0);
        oursCpu.push(cpuNow() - c0);
      }
    };
    let reply;
    if (r % 2 === 0) {
      runOurs();
      reply = await py.run(steps);
    } else {
      reply = await py.run(steps);
      runOurs();
    }
    const theirs = reply.times;
    pyCpu.push(...reply.cpu);
    oursTimes.push(...mine);
    pyTimes.push(...theirs);
    roundRatios.push(median(theirs) / median(mine));
  }
  py.quit();
  const live1 = liveTensors();
  const mo = median(oursTimes),
    mp = median(pyTimes);
  const result = {
    bench: name,
    threads,
    torch: info.torch,
    steps: oursTimes.length,
    ours_ms: +(mo * 1e3).toFixed(2),
    pytorch_ms: +(mp * 1e3).toFixed(2),
    ours_throughput: +(perStep / mo).toFixed(1),
    pytorch_throughput: +(perStep / mp).toFixed(1),
    unit,
    ratio: +(mp / mo).toFixed(3),
    round_ratios: roundRatios.map((x) => +x.toFixed(3)),
    round_ratio_median: +median(roundRatios).toFixed(3),
    ours_cpu_ms: +(median(oursCpu) * 1e3).toFixed(2),
    pytorch_cpu_ms: +(median(pyCpu) * 1e3).toFixed(2),
    cpu_ratio: +(median(pyCpu) / median(oursCpu)).toFixed(3),
    live_tensor_growth: live1 - live0,
    loss: lastLoss,
  };
  if (args.json) console.log(JSON.stringify(result));
  else {
    console.log(describe);
    console.log(`threads ${threads}, torch ${info.torch}, ${oursTimes.length} steps each (median)`);
    console.log(`  ours    ${result.ours_ms.toFixed(1)} ms/step  ${result.ours_throughput} ${unit}`);
    console.log(`  PyTorch ${result.pytorch_ms.toFixed(1)} ms/step  ${result.pytorch_throughput} ${unit}`);
    console.log(`  ratio ours/PyTorch throughput: ${result.ratio.toFixed(3)}x${result.ratio >= 0.95 ? '' : '  (goal 0.95x)'}`);
    console.log(
      `  CPU time per step (all threads): ours ${result.ours_cpu_ms.toFixed(1)} ms, PyTorch ${result.pytorch_cpu_ms.toFixed(1)} ms, ratio ${result.cpu_ratio.toFixed(3)}x`,
    );
    console.log(`  per-round ratios: ${result.round_ratios.join(', ')} (median ${result.round_ratio_median})`);
    if (result.live_tensor_growth !== 0) console.log(`  WARNING: live tensors grew by ${result.live_tensor_growth}`);
  }
  return result;
}
