// `lot train vision` and `lot resume`: resolve the options into one run config per
// method and seed, run them one after another (sharing the loaded data), handle
// Ctrl-C (finish the step, checkpoint, mark the run interrupted, exit 130), and
// print the comparison table at the end when several runs were made.
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EXIT, UsageError } from './errors.js';
import type { CliIO } from './main.js';
import type { Parsed } from './options.js';
import { Progress } from './progress.js';
import { RunFolder } from '../runs/folder.js';
import { loadReport } from './report-api.js';
import { resolveRuns, type Method, type TrainOptions, type VisionRunConfig } from '../runs/config.js';
import type { StopSignal, VisionSummary } from '../runs/vision.js';

/** Installs a Ctrl-C handler that asks the run to stop after its current step; a second Ctrl-C quits at once. */
export function installStopHandler(io: CliIO): { signal: StopSignal; remove: () => void } {
  const signal: StopSignal = { stop: false };
  const onSignal = (name: NodeJS.Signals) => {
    if (signal.stop) {
      io.err(`\nlot: ${name} again: quitting without saving the current epoch`);
      process.exit(EXIT.interrupted);
    }
    signal.stop = true;
    io.err(`\nlot: ${name} received: finishing the current step and saving a checkpoint (press Ctrl-C again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal,
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function trainOptionsFrom(p: Parsed): TrainOptions {
  const v = p.values as Record<string, any>;
  const methods = new Set<Method>(v.methods as Method[]);
  for (const b of (v.baseline as string[] | undefined) ?? []) methods.add(b as Method);
  const students: string[] = (v.student as string[] | undefined) ?? [v.teacher as string];
  if (v.subset !== undefined && v.batchSize > v.subset) {
    throw new UsageError(`--batch-size ${v.batchSize} is larger than --subset ${v.subset}; lower --batch-size or raise --subset`);
  }
  return {
    dataset: v.dataset,
    dataDir: v.dataDir ?? null,
    download: v.download,
    subset: v.subset ?? null,
    testSubset: v.testSubset ?? null,
    augment: v.augment,
    teacher: v.teacher,
    students,
    alpha: v.alpha,
    n: v.n,
    tau: v.tau,
    variant: v.variant,
    detach: v.detach,
    epochs: v.epochs,
    seeds: v.seeds,
    methods: [...methods],
    lr: v.lr,
    studentLr: v.studentLr ?? null,
    momentum: v.momentum,
    nesterov: v.nesterov,
    weightDecay: v.weightDecay,
    schedule: v.schedule,
    batchSize: v.batchSize,
    evalBatchSize: v.evalBatchSize,
    threads: v.threads,
    logEvery: v.logEvery,
  };
}

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(2)}%` : '-');

export interface RunManyResult {
  runs: { dir: string; summary: VisionSummary }[];
  interrupted: boolean;
  groupDir: string;
}

/** Runs every config in a group folder under `runsDir`. */
export async function runMany(configs: VisionRunConfig[], runsDir: string, io: CliIO, o: { quiet?: boolean; groupName?: string } = {}): Promise<RunManyResult> {
  const { trainVisionRun } = await import('../runs/vision.js');
  const { loadData } = await import('../runs/vision-parts.js');
  const first = configs[0]!;
  const data = await loadData(first, (line) => io.err(line));
  io.err(`lot: ${first.dataset}: ${data.train.count} training and ${data.test.count} test images (${data.train.channels}×${data.train.height}×${data.train.width}, ${data.numClasses} classes) from ${data.source}`);
  const group = o.groupName ?? RunFolder.name([first.dataset, first.teacher, first.student || first.teacher]);
  const groupDir = resolve(runsDir, group);
  mkdirSync(groupDir, { recursive: true });
  const stopper = installStopHandler(io);
  const out: RunManyResult = { runs: [], interrupted: false, groupDir };
  try {
    for (const [i, cfg] of configs.entries()) {
      const run = RunFolder.create(groupDir, `${cfg.method}-seed${cfg.seed}`, cfg);
      const what = cfg.method === 'lot'
        ? `LoT (teacher ${cfg.teacher}, student ${cfg.students.join('+')}, α ${cfg.alpha}, N ${cfg.n}, τ ${cfg.tau})`
        : cfg.method === 'equal-compute'
          ? `equal compute (teacher-only ${cfg.teacher}, ${cfg.epochs} epochs = ${cfg.baseEpochs} × cost ratio ${cfg.costRatio?.toFixed(2)})`
          : `teacher-only (${cfg.teacher})`;
      io.err(`lot: run ${i + 1}/${configs.length}: ${what}, seed ${cfg.seed}, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'} -> ${relative(process.cwd(), run.dir) || run.dir}`);
      const progress = o.quiet ? null : new Progress(`${cfg.method} s${cfg.seed}`);
      const summary = await trainVisionRun(run, { signal: stopper.signal, progress, data, log: io.err });
      out.runs.push({ dir: run.dir, summary });
      if (summary.status === 'interrupted') {
        out.interrupted = true;
        io.err(`lot: interrupted; checkpoint saved. Continue with: lot resume ${relative(process.cwd(), run.dir) || run.dir}`);
        const left = configs.slice(i + 1);
        if (left.length) io.err(`lot: not started: ${left.map((c) => `${c.method} seed ${c.seed}`).join(', ')}`);
        break;
      }
      io.err(`lot: ${cfg.method} seed ${cfg.seed}: final test accuracy ${pct(summary.finalTestAccuracy)} (best ${pct(summary.bestTestAccuracy)}) in ${summary.seconds.toFixed(0)}s`);
    }
  } finally {
    stopper.remove();
  }
  return out;
}

/** Prints the report engineer's comparison table for the runs (best effort: a failure only warns). */
export async function printReport(runDirs: string[], outDir: string, io: CliIO): Promise<string[]> {
  try {
    const { buildReport } = await loadReport();
    const report = await buildReport(runDirs, outDir);
    io.out(report.markdown);
    return report.files;
  } catch (e) {
    io.err(`lot: warning: could not build the report (${(e as Error).message.split('\n')[0]}); run \`lot report ${relative(process.cwd(), outDir)}\` later`);
    return [];
  }
}

export async function trainVisionCommand(p: Parsed, io: CliIO): Promise<number> {
  const options = trainOptionsFrom(p);
  const v = p.values as Record<string, any>;
  const studentRelative = options.students.map((s) => (s === options.teacher ? 1 : NaN));
  if (studentRelative.some((r) => Number.isNaN(r)) && options.methods.includes('equal-compute')) {
    const { relativeCost } = await import('../runs/model-cost.js');
    for (const [i, s] of options.students.entries()) studentRelative[i] = await relativeCost(options.teacher, s);
  }
  const configs = resolveRuns(options, studentRelative.map((r) => (Number.isNaN(r) ? 1 : r)));
  if (v.dryRun) {
    io.out(JSON.stringify(configs, null, 2));
    return EXIT.ok;
  }
  const result = await runMany(configs, v.runsDir as string, io, { quiet: v.quiet as boolean });
  if (result.interrupted) return EXIT.interrupted;
  if (result.runs.length > 1) {
    await printReport(result.runs.map((r) => r.dir), join(result.groupDir, 'report'), io);
  }
  io.err(`lot: run folders in ${relative(process.cwd(), result.groupDir) || result.groupDir}; \`lot report ${relative(process.cwd(), result.groupDir) || result.groupDir}\` for the table and plots`);
  return EXIT.ok;
}

export async function resumeCommand(p: Parsed, io: CliIO): Promise<number> {
  const dir = p.positionals[0]!;
  if (!existsSync(dir)) throw new UsageError(`no run folder at ${dir}; give the folder a run wrote (it holds config.json)`);
  if (!RunFolder.isRun(dir)) throw new UsageError(`${dir} is not a run folder (no config.json); give the folder of one run, e.g. runs/<group>/lot-seed0`);
  const run = RunFolder.open(dir);
  const raw = run.readConfig<{ kind?: string }>();
  const summary = run.readSummary<{ status?: string }>();
  if (summary?.status === 'complete') {
    io.err(`lot: ${dir} is already complete; nothing to resume`);
    return EXIT.ok;
  }
  if (raw.kind === 'imitability') {
    const { resumeImitability } = await import('./imitability.js');
    return resumeImitability(run, p, io);
  }
  if (raw.kind !== 'vision') throw new UsageError(`${dir}: cannot resume a run of kind '${String(raw.kind)}'`);
  const cfg = raw as VisionRunConfig;
  if (p.values.threads !== undefined) {
    cfg.threads = p.values.threads as number;
  }
  const { trainVisionRun } = await import('../runs/vision.js');
  const stopper = installStopHandler(io);
  try {
    io.err(`lot: resuming ${dir}${run.hasCheckpoint() ? '' : ' (no checkpoint yet: starting from the beginning)'}`);
    const progress = p.values.quiet ? null : new Progress(`${cfg.method} s${cfg.seed}`);
    if (p.values.threads !== undefined) run.writeConfig(cfg);
    const s = await trainVisionRun(run, { signal: stopper.signal, progress, log: io.err });
    if (s.status === 'interrupted') {
      io.err(`lot: interrupted again; checkpoint saved. Continue with: lot resume ${dir}`);
      return EXIT.interrupted;
    }
    io.err(`lot: ${cfg.method} seed ${cfg.seed}: final test accuracy ${pct(s.finalTestAccuracy)} (best ${pct(s.bestTestAccuracy)})`);
    return EXIT.ok;
  } finally {
    stopper.remove();
  }
}
