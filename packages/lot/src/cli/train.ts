// `lot train <domain>` and `lot resume`: resolve the options into one run config per method
// and seed, run them one after another (sharing the loaded data), handle Ctrl-C (finish the
// step, checkpoint, mark the run interrupted, exit 130), and print the comparison table at
// the end when several runs were made. With --nproc-per-node/--nnodes the command starts its
// ranks (harness/launch.ts), each of which runs this same command data-parallel.
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  type AnyDomain,
  checkDevice,
  checkDeviceAvailable,
  Fields,
  type LaunchOptions,
  launchRanks,
  METHOD_LABEL,
  METHODS,
  type OptionValues,
  type Parallel,
  parallelFromEnv,
  RUN_TIME_VARIABLE,
  type RunConfig,
  RunFolder,
  followLauncher,
  fromRank0,
  joinGroup,
  resolveRuns,
  type TrainRequest,
  type TrainSummary,
  trainRun,
  UsageError,
} from '../harness/index.js';
import { analyticCostRatio, LOSS_VARIANTS } from '../lot/index.js';
import { findDomain } from './domains.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import type { Parsed } from './options.js';
import { installStopHandler, printReport } from './run-support.js';
import { Progress } from './terminal-progress.js';

const rel = (p: string): string => relative(process.cwd(), p) || p;

/** The LoT and run flags of `lot train <domain>` as a request. */
export function trainRequestFrom(domain: AnyDomain, p: Parsed): TrainRequest {
  const v = p.values;
  const methods = new Set(v.choiceList('methods', METHODS));
  if (v.has('baseline')) for (const b of v.choiceList('baseline', METHODS)) methods.add(b);
  const teacher = v.isExplicit('teacher') ? v.string('teacher') : (domain.defaultModelFor?.(v) ?? v.string('teacher'));
  const worldSize = worldSizeOf(v);
  const perNode = parallelFromEnv().worldSize > 1 ? Number(process.env.LOCAL_WORLD_SIZE ?? 1) : v.number('nproc-per-node');
  return {
    kind: domain.name,
    teacher,
    students: v.optionalStringList('student') ?? [teacher],
    alpha: v.number('alpha'),
    n: v.number('n'),
    tau: v.number('tau'),
    variant: v.choice('variant', LOSS_VARIANTS),
    detach: v.boolean('detach'),
    epochs: v.number('epochs'),
    seeds: v.intList('seeds'),
    methods: METHODS.filter((m) => methods.has(m)),
    maxSteps: v.optionalNumber('max-steps') ?? null,
    device: checkDevice(v.string('device')),
    // The cores are shared among this machine's ranks unless --threads says otherwise.
    threads: v.isExplicit('threads') ? v.number('threads') : Math.max(1, Math.floor(cpus().length / perNode)),
    worldSize,
    logEvery: v.number('log-every'),
    evalEvery: v.number('eval-every'),
  };
}

/** The run's processes: the launcher's world when this is one of its ranks, else what the flags ask for. */
function worldSizeOf(v: OptionValues): number {
  const env = parallelFromEnv();
  return env.worldSize > 1 ? env.worldSize : v.number('nproc-per-node') * v.number('nnodes');
}

/** The launch the flags ask for, or null when this process trains by itself (one process, or a rank already started). */
function launchFrom(v: OptionValues): LaunchOptions | null {
  if (parallelFromEnv().worldSize > 1 || worldSizeOf(v) === 1) return null;
  return {
    nprocPerNode: v.number('nproc-per-node'),
    nnodes: v.number('nnodes'),
    nodeRank: v.number('node-rank'),
    masterAddr: v.optionalString('master-addr') ?? null,
    masterPort: v.optionalNumber('master-port') ?? null,
  };
}

/** This rank's place, in the process group already (one process: rank 0 of 1); ranks other than 0 print nothing but errors. */
function joinRun(device: string, io: CliIO): { parallel: Parallel; io: CliIO } {
  const parallel = parallelFromEnv();
  joinGroup(parallel, device);
  if (parallel.worldSize > 1) followLauncher();
  return { parallel, io: parallel.rank === 0 ? io : { out: () => {}, err: () => {} } };
}

/** One config per (method, seed); equal compute gets LoT's analytic cost ratio in epochs. */
export async function resolveTrainRuns(
  domain: AnyDomain,
  p: Parsed,
  now = new Date(process.env[RUN_TIME_VARIABLE] ?? Date.now()),
): Promise<(RunConfig & object)[]> {
  const request = trainRequestFrom(domain, p);
  const settings = domain.settingsFrom(p.values);
  let relative = request.students.map(() => 1);
  if (request.methods.includes('equal-compute') && request.students.some((s) => s !== request.teacher)) {
    const runtime = await domain.runtime();
    relative = runtime.studentRelativeCost?.(request.teacher, request.students, settings) ?? relative;
  }
  const ratio = domain.costRatio ? domain.costRatio(settings, request.n, relative) : analyticCostRatio(request.n, relative);
  return resolveRuns(request, settings, ratio, now);
}

const describe = (c: RunConfig): string =>
  c.method === 'lot'
    ? `LoT (teacher ${c.teacher}, student ${c.students.join('+')}, α ${c.alpha}, N ${c.n}, τ ${c.tau})`
    : c.method === 'equal-compute'
      ? `equal compute (teacher-only ${c.teacher}, ${c.epochs} epochs = ${c.baseEpochs} × cost ratio ${c.costRatio?.toFixed(2)})`
      : `teacher-only (${c.teacher})`;

function finalLine(domain: AnyDomain, s: TrainSummary): string {
  const show = (x: number | null) => (x === null ? '-' : domain.metric.percent ? `${(100 * x).toFixed(2)}%` : x.toFixed(3));
  return `lot: ${METHOD_LABEL[s.method]} seed ${s.seed}: final ${domain.metric.label} ${show(s.finalMetric)} (best ${show(s.bestMetric)}) in ${s.seconds.toFixed(0)}s`;
}

export interface RunManyResult {
  runs: { dir: string; summary: TrainSummary }[];
  interrupted: boolean;
  groupDir: string;
}

/** Runs every config in one group folder under `runsDir`, sharing the data. */
export async function runMany(
  domain: AnyDomain,
  configs: (RunConfig & object)[],
  runsDir: string,
  io: CliIO,
  o: { quiet?: boolean; parallel?: Parallel } = {},
): Promise<RunManyResult> {
  const first = configs[0]!;
  const parallel = o.parallel ?? parallelFromEnv();
  const runtime = await domain.runtime();
  const data = await runtime.loadData(first, (line) => io.err(line));
  io.err(`lot: ${runtime.describeData(data)}`);
  // Named from the command's time on rank 0, which every rank of a data-parallel run uses.
  const time = new Date(fromRank0(parallel, Date.parse(first.createdAt)));
  const groupDir = resolve(runsDir, RunFolder.name([domain.name, first.teacher, first.student || first.teacher], time));
  if (parallel.rank === 0) mkdirSync(groupDir, { recursive: true });
  const stopper = installStopHandler(io);
  const out: RunManyResult = { runs: [], interrupted: false, groupDir };
  try {
    for (const [i, cfg] of configs.entries()) {
      const folder = createRunFolder(groupDir, `${cfg.method}-seed${cfg.seed}`, cfg, parallel);
      io.err(
        `lot: run ${i + 1}/${configs.length}: ${describe(cfg)}, seed ${cfg.seed}, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'} -> ${rel(folder.dir)}`,
      );
      const progress = o.quiet ? null : new Progress();
      const summary = await trainRun(folder, domain, { signal: stopper.signal, progress, data, log: io.err, parallel });
      out.runs.push({ dir: folder.dir, summary });
      if (summary.status === 'interrupted') {
        out.interrupted = true;
        io.err(`lot: interrupted; checkpoint saved. Continue with: lot resume ${rel(folder.dir)}${sameWorld(cfg.worldSize)}`);
        const left = configs.slice(i + 1);
        if (left.length) io.err(`lot: not started: ${left.map((c) => `${c.method} seed ${c.seed}`).join(', ')}`);
        break;
      }
      io.err(finalLine(domain, summary));
    }
  } finally {
    stopper.remove();
  }
  return out;
}

/** Rank 0 makes the run folder (the next free name); the other ranks follow the name it took and write nothing. */
function createRunFolder(groupDir: string, name: string, cfg: RunConfig, parallel: Parallel): RunFolder {
  const folder = parallel.rank === 0 ? RunFolder.create(groupDir, name, cfg) : null;
  const suffix = fromRank0(parallel, folder ? Number(/-(\d+)$/.exec(folder.id.slice(name.length))?.[1] ?? 1) : 0);
  return folder ?? new RunFolder(join(groupDir, suffix === 1 ? name : `${name}-${suffix}`)).replica(cfg);
}

export async function trainCommand(domain: AnyDomain, p: Parsed, parentIo: CliIO): Promise<number> {
  const configs = await resolveTrainRuns(domain, p);
  if (p.values.boolean('dry-run')) {
    parentIo.out(JSON.stringify(configs, null, 2));
    return EXIT.ok;
  }
  checkDeviceAvailable(configs[0]!.device);
  const runDir = p.values.optionalString('run-dir');
  if (runDir !== undefined) return trainInFolder(domain, configs, runDir, p.values.boolean('quiet'), parentIo);
  const launch = launchFrom(p.values);
  if (launch) return launchRanks(launch, parentIo.err);
  const { parallel, io } = joinRun(configs[0]!.device, parentIo);
  const result = await runMany(domain, configs, p.values.string('runs-dir'), io, {
    quiet: p.values.boolean('quiet') || parallel.rank > 0,
    parallel,
  });
  if (result.interrupted) return EXIT.interrupted;
  if (result.runs.length > 1)
    await printReport(
      result.runs.map((r) => r.dir),
      join(result.groupDir, 'report'),
      io,
    );
  io.err(`lot: run folders in ${rel(result.groupDir)}; \`lot report ${rel(result.groupDir)}\` for the table and plots`);
  return EXIT.ok;
}

/** What a resume command needs besides the folder: the same world size for a data-parallel run. */
const sameWorld = (worldSize: number): string =>
  worldSize === 1 ? '' : ` with the same processes (--nproc-per-node × --nnodes = ${worldSize})`;

/** The fields of two configs of the same run that may differ (when it was made, the threads it runs on). */
const sameRun = (a: object, b: object): boolean => {
  const strip = (c: object) => JSON.stringify({ ...c, createdAt: '', threads: 0 });
  return strip(a) === strip(b);
};

/**
 * `--run-dir DIR`: the command's one run in DIR, made there, resumed from its checkpoint, or left
 * alone when complete (a sweep's runs: rerunning the same command is safe). One process only.
 */
async function trainInFolder(domain: AnyDomain, configs: (RunConfig & object)[], dir: string, quiet: boolean, io: CliIO): Promise<number> {
  if (configs.length !== 1) {
    throw new UsageError(`--run-dir trains one run, and this command makes ${configs.length}: give one --methods and one --seeds value`);
  }
  const cfg = configs[0]!;
  if (cfg.worldSize > 1) throw new UsageError('--run-dir trains in one process: leave out --nproc-per-node and --nnodes');
  let folder: RunFolder;
  if (RunFolder.isRun(dir)) {
    folder = RunFolder.open(dir);
    if (!sameRun(folder.readConfig() as object, cfg)) {
      throw new UsageError(`${dir} holds a different run (its config.json differs from this command's); give another --run-dir`);
    }
    if (statusOf(folder.readSummary()) === 'complete') {
      io.err(`lot: ${rel(dir)} is complete; nothing to do`);
      return EXIT.ok;
    }
    io.err(`lot: resuming ${rel(dir)}${folder.hasCheckpoint() ? '' : ' (no checkpoint yet: from the beginning)'}`);
  } else {
    folder = RunFolder.createAt(dir, cfg);
    io.err(`lot: ${describe(cfg)}, seed ${cfg.seed} -> ${rel(dir)}`);
  }
  followLauncher();
  return trainOne(folder, domain, { quiet, io, interrupted: 'interrupted; checkpoint saved. The same command continues it.' });
}

export async function resumeCommand(p: Parsed, parentIo: CliIO): Promise<number> {
  const dir = p.positionals[0]!;
  if (!existsSync(dir)) throw new UsageError(`no run folder at ${dir}; give the folder a run wrote (it holds config.json)`);
  if (!RunFolder.isRun(dir))
    throw new UsageError(`${dir} is not a run folder (no config.json); give the folder of one run, e.g. runs/<group>/lot-seed0`);
  const folder = RunFolder.open(dir);
  if (statusOf(folder.readSummary()) === 'complete') {
    parentIo.err(`lot: ${dir} is already complete; nothing to resume`);
    return EXIT.ok;
  }
  const raw = Fields.of(folder.readConfig(), folder.configPath);
  const kind = raw.str('kind');
  const threads = p.values.optionalNumber('threads');
  if (kind === 'imitability') {
    const { resumeImitability } = await import('./imitability.js');
    return resumeImitability(folder, threads, p.values.boolean('quiet'), parentIo);
  }
  const domain = findDomain(kind);
  if (!domain) throw new UsageError(`${dir}: cannot resume a run of kind '${kind}'`);
  const worldSize = raw.has('worldSize') ? raw.int('worldSize') : 1;
  const asked = worldSizeOf(p.values);
  if (asked !== worldSize) {
    throw new UsageError(
      `${dir} trains on ${worldSize} process${worldSize === 1 ? '' : 'es'}; resume it with the same number (--nproc-per-node × --nnodes = ${worldSize}), not ${asked}`,
    );
  }
  const launch = launchFrom(p.values);
  if (launch) return launchRanks(launch, parentIo.err);
  const { parallel, io } = joinRun(raw.has('device') ? raw.str('device') : 'cpu', parentIo);
  if (threads !== undefined && parallel.rank === 0)
    folder.writeConfig({ ...Object.fromEntries(raw.keys().map((k) => [k, raw.raw(k)])), threads });
  io.err(`lot: resuming ${dir}${folder.hasCheckpoint() ? '' : ' (no checkpoint yet: starting from the beginning)'}`);
  return trainOne(folder, domain, {
    quiet: p.values.boolean('quiet') || parallel.rank > 0,
    io,
    parallel,
    interrupted: `interrupted again; checkpoint saved. Continue with: lot resume ${dir}${sameWorld(worldSize)}`,
  });
}

/** Trains (or resumes) the run in `folder` to its end with Ctrl-C handling; prints its final line, or `interrupted` when stopped. */
async function trainOne(
  folder: RunFolder,
  domain: AnyDomain,
  o: { quiet: boolean; io: CliIO; parallel?: Parallel; interrupted: string },
): Promise<number> {
  const stopper = installStopHandler(o.io);
  try {
    const s = await trainRun(folder, domain, {
      signal: stopper.signal,
      progress: o.quiet ? null : new Progress(),
      log: o.io.err,
      ...(o.parallel ? { parallel: o.parallel } : {}),
    });
    if (s.status === 'interrupted') {
      o.io.err(`lot: ${o.interrupted}`);
      return EXIT.interrupted;
    }
    o.io.err(finalLine(domain, s));
    return EXIT.ok;
  } finally {
    stopper.remove();
  }
}

const statusOf = (summary: unknown): string | null => {
  if (typeof summary !== 'object' || summary === null || !('status' in summary)) return null;
  return typeof summary.status === 'string' ? summary.status : null;
};
