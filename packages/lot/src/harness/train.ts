// The training loop every domain runs, start to finish or resumed (nanoGPT's train.py is the
// model: the whole loop in view). The domain supplies data, models, task and evaluation; the
// LoT trainer does the updates; this file does the rest: schedules, records, progress,
// checkpoints, Ctrl-C, early stop at --max-steps, divergence, and data parallelism (every rank
// runs this loop on its shard; parallel.ts has what differs).
import * as torch from '@lot/torch';
import { LotTrainer, type LotStepMetrics } from '../lot/index.js';
import { parseRunConfig, type RunConfig } from './config.js';
import type { AnyDomain, DomainRun, Evaluation } from './domain.js';
import { DivergedError, UsageError } from './errors.js';
import type { RunFolder } from './folder.js';
import { agreeToStop, checkDeviceAvailable, distributeRun, fromRank0, type Parallel, rankDevice, SINGLE } from './parallel.js';
import { formatProgressValue, type ProgressSink } from './progress.js';
import type { RunStatus, TrainSummary } from './records.js';
import { freshState, loadRunCheckpoint, newAccum, type RunState, saveRunCheckpoint } from './state.js';

/** Set `stop` to end the run after the current step, with a checkpoint (Ctrl-C does). */
export interface StopSignal {
  stop: boolean;
}

export interface TrainOptions {
  signal?: StopSignal;
  progress?: ProgressSink | null;
  /** Plain lines (epoch results) when there is no progress sink; default stderr. */
  log?: (line: string) => void;
  /** Data the domain already loaded for this config (the runs of one command share it). */
  data?: unknown;
  /** This process's rank when the run is data-parallel (the process group already joined); default one process. */
  parallel?: Parallel;
}

/** Trains (or resumes) the run in `folder`, a run of `domain`. Returns the summary it wrote. */
export async function trainRun(runFolder: RunFolder, domain: AnyDomain, o: TrainOptions = {}): Promise<TrainSummary> {
  const parallel = o.parallel ?? SINGLE;
  // Rank 0 writes the run folder; the other ranks read it and write nothing.
  const folder = parallel.rank === 0 ? runFolder : runFolder.replica();
  const raw = folder.readConfig();
  const settings = domain.parseSettings(raw, folder.configPath);
  const config = { ...settings, ...parseRunConfig(raw, folder.configPath) };
  const log = o.progress ? (line: string) => o.progress?.log(line) : (o.log ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const signal = o.signal ?? { stop: false };
  if (config.worldSize !== parallel.worldSize) {
    throw new UsageError(
      `${folder.dir} is a run on ${config.worldSize} process${config.worldSize === 1 ? '' : 'es'}, not ${parallel.worldSize}: resume it with the same world size (--nproc-per-node × --nnodes = ${config.worldSize})`,
    );
  }
  checkDeviceAvailable(config.device);
  torch.setNumThreads(config.threads);
  const runtime = await domain.runtime();
  const placement = { device: rankDevice(config.device, parallel), shard: { rank: parallel.rank, count: parallel.worldSize } };
  const run = runtime.createRun(config, o.data ?? (await runtime.loadData(config, log)), placement);
  const trainer = new LotTrainer({
    teacher: run.teacher,
    students: run.students,
    task: run.task,
    config: { alpha: config.alpha, n: config.n, tau: config.tau, variant: config.variant, detach: config.detach },
    studentBatch: (position) => run.cursorBatch(position),
    cost: { studentRelativeCost: run.studentRelativeCost ?? run.students.map(() => 1) },
  });
  let state: RunState = freshState();
  // Teacher steps done: main-stream batches (a joint step in vision and language, a PPO update in RL).
  const stepsDone = () => (state.epoch - 1) * run.stepsPerEpoch + state.batch;
  if (folder.hasCheckpoint()) {
    state = loadRunCheckpoint(folder.checkpointPath, run, trainer);
    // Records written after the checkpoint belong to steps that will be redone.
    folder.filterMetrics((r) =>
      r.type === 'epoch' ? r.epoch < state.epoch : r.type === 'step' || r.type === 'eval' ? r.step <= stepsDone() : true,
    );
  }
  const distributed = parallel.worldSize > 1 ? distributeRun(run) : null;
  if (distributed && fromRank0(parallel, stepsDone()) !== stepsDone()) {
    throw new Error(
      `rank ${parallel.rank} does not see the checkpoint rank 0 resumes from (${folder.checkpointPath}): every machine needs the runs folder (a shared filesystem)`,
    );
  }
  const dataLabel = domain.dataLabel(settings);
  let test: TrainSummary['test'] = null;
  const summary = (status: RunStatus, error?: string): TrainSummary => {
    const s = { ...summaryOf(domain, config, dataLabel, stepsDone(), trainer, state, status, error), test };
    folder.writeSummary(s);
    return s;
  };
  const checkpoint = () => {
    if (folder.writes) saveRunCheckpoint(folder.checkpointPath, run, trainer, state);
  };
  const label = `${config.method} s${config.seed}`;
  const lastStep = Math.min(config.epochs * run.stepsPerEpoch, config.maxSteps ?? Infinity);
  const session = { start: performance.now(), steps: stepsDone(), samples: 0 };
  summary('running');
  try {
    while (state.epoch <= config.epochs && stepsDone() < lastStep) {
      if (state.batch === 0) trainer.resetStates(); // recurrent state starts fresh each epoch
      for (const l of [run.teacher, ...run.students]) l.model.train();
      while (state.batch < run.stepsPerEpoch && stepsDone() < lastStep) {
        if (agreeToStop(parallel, signal.stop)) {
          checkpoint();
          o.progress?.done();
          return summary('interrupted');
        }
        const t0 = performance.now();
        distributed?.syncBuffers();
        const batch = run.mainBatch(state.epoch, state.batch);
        let m: LotStepMetrics;
        try {
          m = run.teacherStep ? run.teacherStep(trainer, batch, stepsDone()) : trainer.step(batch);
        } finally {
          torch.dispose(batch);
        }
        state.batch += 1;
        const step = stepsDone();
        checkFinite(m, step, state.epoch);
        state.seconds += (performance.now() - t0) / 1000;
        accumulate(state, m);
        session.samples += m.batchSize;
        for (const s of Object.values(run.schedules)) if (s.every === 'step') s.scheduler.step();
        if (step % config.logEvery === 0) {
          folder.appendMetric({
            type: 'step',
            epoch: state.epoch,
            step,
            costUnits: trainer.costUnits,
            seconds: state.seconds,
            lr: teacherLr(run),
            teacherLoss: m.teacherLoss,
            teacherTaskLoss: m.teacherTaskLoss,
            ...(m.studentLosses.length ? { studentLosses: m.studentLosses, studentKls: m.studentKls } : {}),
          });
        }
        o.progress?.update({
          label,
          epoch: state.epoch,
          epochs: config.epochs,
          step,
          totalSteps: lastStep,
          samples: session.samples,
          unit: run.unit,
          seconds: (performance.now() - session.start) / 1000,
          stepsThisSession: step - session.steps,
          metrics: progressMetrics(state, domain),
        });
        if (config.evalEvery > 0 && step % config.evalEvery === 0 && state.batch < run.stepsPerEpoch && step < lastStep) {
          evaluate(folder, domain, run, trainer, state, { step, stepsPerEpoch: run.stepsPerEpoch, label, epochs: config.epochs }, log);
          for (const l of [run.teacher, ...run.students]) l.model.train();
          checkpoint();
          summary('running');
        }
        await new Promise((r) => setImmediate(r)); // let Ctrl-C and I/O through between steps
      }
      evaluate(folder, domain, run, trainer, state, { step: stepsDone(), stepsPerEpoch: null, label, epochs: config.epochs }, log);
      if (state.batch < run.stepsPerEpoch) break; // --max-steps: stop early; the schedules keep their configured horizon
      for (const s of Object.values(run.schedules)) if (s.every === 'epoch') s.scheduler.step();
      Object.assign(state, { epoch: state.epoch + 1, batch: 0, accum: newAccum() });
      checkpoint();
      summary('running');
    }
    if (state.epoch <= config.epochs) checkpoint(); // stopped at --max-steps inside an epoch
    if (run.finalEvaluation) {
      const ev = run.finalEvaluation(trainer);
      test = { teacher: ev.teacher, students: ev.students };
      folder.appendMetric({ type: 'final', step: stepsDone(), costUnits: trainer.costUnits, ...test });
    }
  } catch (e) {
    o.progress?.done();
    summary('failed', (e as Error).message);
    throw e;
  } finally {
    run.dispose();
  }
  o.progress?.done();
  return summary('complete');
}

function checkFinite(m: LotStepMetrics, step: number, epoch: number): void {
  const bad = [m.teacherLoss, ...m.studentLosses, ...m.studentOnly.flatMap((s) => s.losses)].find((x) => !Number.isFinite(x));
  if (bad === undefined) return;
  const who = Number.isFinite(m.teacherLoss) ? 'a student' : 'the teacher';
  throw new DivergedError(
    `training diverged: ${who}'s loss is ${bad} at teacher step ${step} (epoch ${epoch}); the last checkpoint is kept; lower the learning rate and start again`,
  );
}

function accumulate(state: RunState, m: LotStepMetrics): void {
  const a = state.accum;
  a.loss += m.teacherTaskLoss * m.batchSize;
  a.correct += m.teacherCorrect ?? 0;
  a.count += m.batchSize;
  if (m.studentKls.length > 0) {
    a.kl += m.studentKls[0]! * m.batchSize;
    a.klCount += m.batchSize;
  }
}

const teacherLr = (run: DomainRun<unknown>): number | undefined => {
  const opt = run.teacher.optimizer;
  return opt instanceof torch.optim.Optimizer ? opt.paramGroups[0]?.lr : undefined;
};

function progressMetrics(state: RunState, domain: AnyDomain): Record<string, number | null | undefined> {
  const a = state.accum;
  return {
    loss: a.count ? a.loss / a.count : null,
    ...(a.correct ? { acc: a.correct / a.count } : {}),
    ...(a.klCount ? { kl: a.kl / a.klCount } : {}),
    [domain.metric.label]: state.last?.teacher[domain.metric.key],
    ...(domain.metric.smoothedKey ? { [`${domain.metric.label} (EMA)`]: state.last?.teacher[domain.metric.smoothedKey] } : {}),
    ...Object.fromEntries((domain.progressKeys ?? []).map((k) => [k, state.last?.teacher[k]])),
  };
}

/** Where an evaluation falls: at an epoch's end (`stepsPerEpoch` null) or inside one (--eval-every). */
interface EvalPoint {
  step: number;
  stepsPerEpoch: number | null;
  label: string;
  epochs: number;
}

/** Evaluates teacher and students, writes the epoch (or eval) record and prints its line. */
function evaluate(
  folder: RunFolder,
  domain: AnyDomain,
  run: DomainRun<unknown>,
  trainer: LotTrainer<unknown>,
  state: RunState,
  at: EvalPoint,
  log: (line: string) => void,
): void {
  const ev: Evaluation = run.evaluate(trainer);
  const a = state.accum;
  const value = ev.teacher[domain.metric.key] ?? null;
  if (value !== null)
    state.best =
      state.best === null ? value : domain.metric.direction === 'max' ? Math.max(state.best, value) : Math.min(state.best, value);
  state.last = ev;
  const train = {
    trainLoss: a.count ? a.loss / a.count : null,
    ...(a.correct || run.task.correct ? { trainAccuracy: a.count ? a.correct / a.count : null } : {}),
  };
  const kl = { train: a.klCount ? a.kl / a.klCount : null, test: ev.kl };
  const inside = at.stepsPerEpoch !== null;
  const epoch = inside ? state.epoch - 1 + state.batch / at.stepsPerEpoch! : state.epoch;
  folder.appendMetric({
    type: inside ? 'eval' : 'epoch',
    epoch,
    step: at.step,
    costUnits: trainer.costUnits,
    seconds: state.seconds,
    lr: teacherLr(run),
    teacher: { ...ev.teacher, ...train },
    students: ev.students,
    kl,
  });
  const show = (v: number | null | undefined) =>
    v === null || v === undefined ? '-' : domain.metric.percent ? `${(100 * v).toFixed(2)}%` : v.toFixed(3);
  const parts = [
    at.label,
    inside ? `epoch ${epoch.toFixed(2)}/${at.epochs} (step ${at.step})` : `epoch ${state.epoch}/${at.epochs}`,
    `train loss ${train.trainLoss?.toFixed(4) ?? '-'}${'trainAccuracy' in train ? ` acc ${show(train.trainAccuracy)}` : ''}`,
    `${domain.metric.label} ${show(value)}`,
    ...(ev.students.length ? [`student ${domain.metric.label} ${ev.students.map((s) => show(s[domain.metric.key])).join('/')}`] : []),
    ...(kl.test !== null
      ? [`KL train ${kl.train === null ? '-' : formatProgressValue(kl.train)} test ${formatProgressValue(kl.test)}`]
      : []),
    `${state.seconds.toFixed(1)}s`,
  ];
  log(parts.join(' | '));
}

function summaryOf(
  domain: AnyDomain,
  config: RunConfig,
  dataset: string,
  teacherSteps: number,
  trainer: LotTrainer<unknown>,
  state: RunState,
  status: RunStatus,
  error?: string,
): TrainSummary {
  const key = domain.metric.key;
  return {
    kind: domain.name,
    method: config.method,
    seed: config.seed,
    status,
    dataset,
    teacher: config.teacher,
    student: config.student,
    students: config.students,
    epochs: config.epochs,
    epochsDone: state.epoch - 1,
    baseEpochs: config.baseEpochs,
    teacherSteps,
    costUnits: trainer.costUnits,
    seconds: state.seconds,
    alpha: config.alpha,
    n: config.n,
    tau: config.tau,
    metric: domain.metricFor?.(config) ?? domain.metric,
    finalMetric: state.last?.teacher[key] ?? null,
    bestMetric: state.best,
    finalStudentMetric: state.last?.students.map((s) => s[key] ?? Number.NaN) ?? [],
    final: state.last ? { teacher: state.last.teacher, students: state.last.students } : null,
    test: null,
    ...(error ? { error } : {}),
  };
}
