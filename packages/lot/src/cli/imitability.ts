// `lot imitability`: the sophisticated vs deceptive teacher experiment, one run folder per seed,
// then the table (mean ± std over seeds) and the KL plot.
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RunFolder } from '../harness/index.js';
import type { ImitabilityConfig, ImitabilitySummary } from '../imitability/index.js';
import { visionSettingsFrom } from '../tasks/vision/settings.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import type { Parsed } from './options.js';
import { Progress } from './terminal-progress.js';
import { installStopHandler, printReport } from './run-support.js';

const rel = (p: string) => relative(process.cwd(), p) || p;

/** One config per seed. */
export function imitabilityConfigsFrom(p: Parsed, now = new Date()): ImitabilityConfig[] {
  const v = p.values;
  const vision = visionSettingsFrom(v);
  const teacher = v.string('teacher');
  const teacherEpochs = v.number('teacher-epochs');
  return v.intList('seeds').map((seed) => ({
    ...vision,
    kind: 'imitability',
    formatVersion: 1,
    seed,
    teacher,
    student: v.optionalString('student') ?? teacher,
    teacherEpochs,
    deceptiveEpochs: v.optionalNumber('deceptive-epochs') ?? 4 * teacherEpochs,
    studentEpochs: v.number('student-epochs'),
    tau: v.number('tau'),
    evalEvery: v.number('eval-every'),
    threads: v.number('threads'),
    trainKlImages: 2000,
    createdAt: now.toISOString(),
  }));
}

const progressFor = (quiet: boolean) => (quiet ? undefined : () => new Progress());

async function finish(dirs: string[], summaries: ImitabilitySummary[], outDir: string, io: CliIO): Promise<number> {
  const stopped = summaries.findIndex((s) => s.status === 'interrupted');
  if (stopped >= 0) {
    io.err(`lot: interrupted; finished phases saved. Continue with: lot resume ${rel(dirs[stopped]!)}`);
    return EXIT.interrupted;
  }
  const files = await printReport(dirs, outDir, io);
  for (const f of files) io.err(`lot: wrote ${rel(f)}`);
  io.err(`lot: imitability run${dirs.length > 1 ? 's' : ''} in ${dirs.map(rel).join(', ')}`);
  return EXIT.ok;
}

export async function imitabilityCommand(p: Parsed, io: CliIO): Promise<number> {
  const configs = imitabilityConfigsFrom(p);
  const { runImitability } = await import('../imitability/index.js');
  const { describeVisionData, loadVisionData } = await import('../tasks/vision/data.js');
  const first = configs[0]!;
  const data = await loadVisionData(first, (line) => io.err(line));
  io.err(`lot: ${describeVisionData(data)}`);
  const groupDir = resolve(p.values.string('runs-dir'), RunFolder.name(['imitability', first.dataset, first.teacher]));
  mkdirSync(groupDir, { recursive: true });
  const stopper = installStopHandler(io);
  const dirs: string[] = [];
  const summaries: ImitabilitySummary[] = [];
  try {
    for (const cfg of configs) {
      const run = RunFolder.create(groupDir, `imitability-seed${cfg.seed}`, cfg);
      io.err(`lot: imitability seed ${cfg.seed} -> ${rel(run.dir)}`);
      dirs.push(run.dir);
      const progress = progressFor(p.values.boolean('quiet'));
      const s = await runImitability(run, { signal: stopper.signal, data, log: io.err, ...(progress ? { progress } : {}) });
      summaries.push(s);
      if (s.status === 'interrupted') break;
    }
  } finally {
    stopper.remove();
  }
  return finish(dirs, summaries, join(groupDir, 'report'), io);
}

export async function resumeImitability(run: RunFolder, threads: number | undefined, quiet: boolean, io: CliIO): Promise<number> {
  const { parseImitabilityConfig, runImitability } = await import('../imitability/index.js');
  if (threads !== undefined) run.writeConfig({ ...parseImitabilityConfig(run.readConfig(), run.configPath), threads });
  const stopper = installStopHandler(io);
  try {
    io.err(`lot: resuming ${rel(run.dir)}`);
    const progress = progressFor(quiet);
    const s = await runImitability(run, { signal: stopper.signal, log: io.err, ...(progress ? { progress } : {}) });
    return await finish([run.dir], [s], run.path('report'), io);
  } finally {
    stopper.remove();
  }
}
