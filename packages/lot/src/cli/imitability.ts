// `lot imitability`: the sophisticated vs deceptive teacher experiment, in one run folder.
import { relative } from 'node:path';
import { EXIT } from './errors.js';
import type { CliIO } from './main.js';
import type { Parsed } from './options.js';
import { installStopHandler, printReport } from './train.js';
import { RunFolder } from '../runs/folder.js';
import type { ImitabilityConfig, ImitabilitySummary } from '../imitability/index.js';
import { UsageError } from './errors.js';

const rel = (p: string) => relative(process.cwd(), p) || p;

export function imitabilityConfigFrom(p: Parsed, now = new Date()): ImitabilityConfig {
  const v = p.values as Record<string, any>;
  if (v.subset !== undefined && v.batchSize > v.subset) {
    throw new UsageError(`--batch-size ${v.batchSize} is larger than --subset ${v.subset}; lower --batch-size or raise --subset`);
  }
  return {
    kind: 'imitability',
    formatVersion: 1,
    seed: v.seed,
    dataset: v.dataset,
    dataDir: v.dataDir ?? null,
    download: v.download,
    subset: v.subset ?? null,
    testSubset: v.testSubset ?? null,
    augment: v.augment,
    teacher: v.teacher,
    student: v.student ?? v.teacher,
    teacherEpochs: v.teacherEpochs,
    deceptiveEpochs: v.deceptiveEpochs ?? 4 * v.teacherEpochs,
    studentEpochs: v.studentEpochs,
    tau: v.tau,
    evalEvery: v.evalEvery,
    lr: v.lr,
    studentLr: v.lr,
    momentum: v.momentum,
    nesterov: v.nesterov,
    weightDecay: v.weightDecay,
    schedule: v.schedule,
    batchSize: v.batchSize,
    evalBatchSize: v.evalBatchSize,
    threads: v.threads,
    trainKlImages: 2000,
    createdAt: now.toISOString(),
  };
}

function printSummary(s: ImitabilitySummary, io: CliIO): void {
  const f = (x: number | undefined) => (typeof x === 'number' ? x.toFixed(4) : '-');
  const rows = [
    '| teacher | teacher train acc (its labels) | teacher test acc | student final train KL | student final test KL | mean train KL over training | mean test KL over training |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const kind of ['sophisticated', 'deceptive'] as const) {
    const t = s.teachers[kind];
    rows.push(`| ${kind} | ${t ? (100 * t.trainAccuracy).toFixed(2) + '%' : '-'} | ${t ? (100 * t.testAccuracy).toFixed(2) + '%' : '-'} | ${f(s.final[kind]?.trainKL)} | ${f(s.final[kind]?.testKL)} | ${f(s.meanOverTraining[kind]?.trainKL)} | ${f(s.meanOverTraining[kind]?.testKL)} |`);
  }
  io.out(rows.join('\n'));
}

async function finish(run: RunFolder, s: ImitabilitySummary, io: CliIO): Promise<number> {
  if (s.status === 'interrupted') {
    io.err(`lot: interrupted; finished phases saved. Continue with: lot resume ${rel(run.dir)}`);
    return EXIT.interrupted;
  }
  printSummary(s, io);
  const files = await printReport([run.dir], run.path('report'), { out: () => {}, err: io.err });
  for (const f of files) io.err(`lot: wrote ${rel(f)}`);
  io.err(`lot: imitability run in ${rel(run.dir)}`);
  return EXIT.ok;
}

export async function imitabilityCommand(p: Parsed, io: CliIO): Promise<number> {
  const cfg = imitabilityConfigFrom(p);
  const { runImitability } = await import('../imitability/index.js');
  const { loadData } = await import('../runs/vision-parts.js');
  const data = await loadData(cfg, (line) => io.err(line));
  io.err(`lot: ${cfg.dataset}: ${data.train.count} training and ${data.test.count} test images from ${data.source}`);
  const run = RunFolder.create(p.values.runsDir as string, RunFolder.name(['imitability', cfg.dataset, cfg.teacher, `seed${cfg.seed}`]), cfg);
  io.err(`lot: imitability -> ${rel(run.dir)}`);
  const stopper = installStopHandler(io);
  try {
    const s = await runImitability(run, { signal: stopper.signal, quiet: p.values.quiet as boolean, data, log: io.err });
    return await finish(run, s, io);
  } finally {
    stopper.remove();
  }
}

export async function resumeImitability(run: RunFolder, p: Parsed, io: CliIO): Promise<number> {
  const { runImitability } = await import('../imitability/index.js');
  if (p.values.threads !== undefined) {
    const cfg = run.readConfig<ImitabilityConfig>();
    cfg.threads = p.values.threads as number;
    run.writeConfig(cfg);
  }
  const stopper = installStopHandler(io);
  try {
    io.err(`lot: resuming ${rel(run.dir)}`);
    const s = await runImitability(run, { signal: stopper.signal, quiet: p.values.quiet as boolean, log: io.err });
    return await finish(run, s, io);
  } finally {
    stopper.remove();
  }
}
