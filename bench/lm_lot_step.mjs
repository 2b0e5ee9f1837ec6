// Seconds per teacher step of LoT for language models (issue 8): N = 5, α 0.5, τ 1.5, kl_ce,
// a Transformer-XL teacher and one same-size Transformer-XL student (LoT's PTB configuration
// by default: 4 layers, d_model 200, 8 heads x 20, d_inner 1000, dropout 0.25, segment =
// memory = 70, batch 60, vocab 10,000; Adam 1e-3, gradient-norm clip 0.35 per model), against
// the teacher-only step, both through LotTrainer with lmTask (memories carried per (model,
// stream) by the trainer; the students' cursor is `studentBatch`). Ours only: measured
// LoT/teacher-only against the analytic cost ratio (3+3+(N−1)·4)/3 (goal ≤ 1.05× analytic).
// Batches are preloaded (a pool of random segments; the cursor walks the pool). Rounds alternate
// which of the two goes first.
//   node bench/lm_lot_step.mjs [--threads 1] [--rounds 5] [--steps 2] [--warmup 1] [--n 5]
//                              [--vocab 10000 --layers 4 --d-model 200 --heads 8 --d-head 20
//                               --d-inner 1000 --segment 70 --mem-len 70 --batch 60] [--json]
import * as torch from '../packages/torch/dist/src/index.js';
import { analyticCostRatio, LotTrainer } from '../packages/lot/dist/src/index.js';
import { lmTask } from '../packages/lot/dist/src/tasks/lm/task.js';
import { TransformerXL } from '../packages/lot/dist/src/tasks/lm/transformer-xl.js';
import { median, now, parseArgs } from './common.mjs';
import { txlConfig } from './txl_config.mjs';

const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 1),
  rounds = num('rounds', 5),
  steps = num('steps', 2),
  warmup = num('warmup', 1);
const n = num('n', 5),
  alpha = num('alpha', 0.5),
  tau = num('tau', 1.5),
  lr = num('lr', 1e-3),
  clip = num('clip', 0.35),
  batch = num('batch', 60),
  poolSize = num('pool', 8);
const cfg = txlConfig(args);
torch.setNumThreads(threads);

function learner(seed) {
  torch.manualSeed(seed);
  const model = new TransformerXL(cfg).train();
  return {
    model,
    optimizer: new torch.optim.Adam(model.parameters(), { lr }),
    beforeStep: (m) => void torch.optim.clipGradNorm_(m.parameters(), clip),
  };
}
torch.manualSeed(2);
const pool = Array.from({ length: poolSize }, () =>
  torch.keep({
    input: torch.randint(0, cfg.nToken, [cfg.tgtLen, batch]),
    target: torch.randint(0, cfg.nToken, [cfg.tgtLen * batch]),
  }),
);
let next = 0;
const nextBatch = () => pool[next++ % pool.length];
const config = { alpha, n, tau, variant: 'kl_ce', detach: true };
const lot = new LotTrainer({
  teacher: learner(0),
  students: [learner(1)],
  task: lmTask,
  config,
  studentBatch: (position) => pool[(position * 3 + 1) % pool.length],
});
const alone = new LotTrainer({ teacher: learner(0), students: [], task: lmTask, config });
const run = { lot: () => lot.step(nextBatch()).teacherLoss, teacher: () => alone.step(nextBatch()).teacherLoss };

for (let i = 0; i < warmup; ++i) {
  run.lot();
  run.teacher();
}
const live0 = torch.memoryStats().liveTensors;
const times = { lot: [], teacher: [] };
const roundRatios = [];
const time = (kind) => {
  const out = [];
  for (let i = 0; i < steps; ++i) {
    const t0 = now();
    run[kind]();
    out.push(now() - t0);
  }
  times[kind].push(...out);
  return median(out);
};
const analytic = analyticCostRatio(n);
for (let r = 0; r < rounds; ++r) {
  let l, t;
  if (r % 2 === 0) {
    l = time('lot');
    t = time('teacher');
  } else {
    t = time('teacher');
    l = time('lot');
  }
  roundRatios.push(l / t);
  if (!args.quiet)
    process.stderr.write(
      `round ${r + 1}/${rounds}: LoT ${(l * 1e3).toFixed(0)} ms, teacher-only ${(t * 1e3).toFixed(0)} ms, ratio ${(l / t).toFixed(3)} (${(l / t / analytic).toFixed(3)}x analytic)\n`,
    );
}
const liveGrowth = torch.memoryStats().liveTensors - live0;
const mLot = median(times.lot),
  mTeacher = median(times.teacher);
const tokens = cfg.tgtLen * batch;
const result = {
  bench: 'lm_lot_step',
  threads,
  config: { ...cfg, batch, n, alpha, tau, lr, clip },
  steps_each: times.lot.length,
  lot_s: +mLot.toFixed(4),
  teacher_only_s: +mTeacher.toFixed(4),
  lot_teacher_tokens_per_s: +(tokens / mLot).toFixed(1),
  teacher_only_tokens_per_s: +(tokens / mTeacher).toFixed(1),
  analytic_ratio: +analytic.toFixed(4),
  measured_ratio: +(mLot / mTeacher).toFixed(4),
  measured_over_analytic: +(mLot / mTeacher / analytic).toFixed(4),
  round_ratios: roundRatios.map((x) => +x.toFixed(4)),
  round_ratio_median: +median(roundRatios).toFixed(4),
  round_median_over_analytic: +(median(roundRatios) / analytic).toFixed(4),
  live_tensor_growth: liveGrowth,
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(
    `LoT teacher step, language model (N=${n}, α ${alpha}, τ ${tau}, kl_ce; Transformer-XL teacher and student ${cfg.nLayer}x${cfg.dModel}, ` +
      `${cfg.nHead}x${cfg.dHead} heads, d_inner ${cfg.dInner}, vocab ${cfg.nToken}, segment ${cfg.tgtLen} + memory ${cfg.memLen}, batch ${batch}; Adam ${lr}, clip ${clip}), threads ${threads}`,
  );
  console.log(`${times.lot.length} steps each, medians:`);
  console.log(
    `  LoT ${(mLot * 1e3).toFixed(1)} ms (${result.lot_teacher_tokens_per_s} teacher tokens/s)   teacher-only ${(mTeacher * 1e3).toFixed(1)} ms (${result.teacher_only_tokens_per_s} tokens/s)`,
  );
  console.log(
    `  measured LoT/teacher-only ${result.measured_ratio.toFixed(3)}; analytic (3+3+(N-1)*4)/3 = ${analytic.toFixed(3)}; measured/analytic = ${result.measured_over_analytic.toFixed(3)}x (goal <= 1.05)`,
  );
  console.log(
    `  per-round ratios: ${result.round_ratios.join(', ')} (median ${result.round_ratio_median}, ${result.round_median_over_analytic}x analytic)`,
  );
  if (liveGrowth !== 0) console.log(`  WARNING: live tensors grew by ${liveGrowth}`);
}
