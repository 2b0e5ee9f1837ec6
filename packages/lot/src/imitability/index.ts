// The paper's first question (docs/METHOD.md#imitability-experiment): is a teacher that learned
// generalizable correlations easier to imitate than one that memorized spurious ones? Two
// teachers of the same architecture see the same inputs: the sophisticated one the true labels,
// the deceptive one labels randomly permuted (a fixed seed) that it is trained to fit. Then two
// fresh students, identically initialized, imitate each teacher with equal compute (same steps,
// same batches) through LotTrainer's student steps with the KL alone, and each student's KL to
// its teacher is measured on training and on test inputs as it trains.
//
// Built on the harness's pieces (run folder, records, progress sink, stop signal) and on
// LotTrainer: a teacher phase is teacher-only training; the students' phase is student steps.
// Phases: sophisticated teacher, deceptive teacher, students. The checkpoint keeps every
// finished phase; an interrupted phase is redone from its start on resume (everything is
// seeded, so the result is the same).
import * as torch from '@lot/torch';
import {
  Fields,
  type ProgressSink,
  type RunFolder,
  type RunStatus,
  type StopSignal,
  TEACHER_KINDS,
  type TeacherKind,
} from '../harness/index.js';
import { LotTrainer } from '../lot/index.js';
import {
  augmentation,
  batchCount,
  batchIndices,
  buildVisionModel,
  epochOrder,
  evalBatches,
  evaluateVision,
  loadVisionData,
  makeBatch,
  makeSgd,
  mixSeed,
  parseVisionSettings,
  STREAM,
  type VisionBatch,
  type VisionDataset,
  type VisionSettings,
  type VisionSplit,
  visionSchedule,
  visionTask,
} from '../tasks/vision/index.js';

export interface ImitabilityConfig extends VisionSettings {
  kind: 'imitability';
  formatVersion: 1;
  seed: number;
  teacher: string;
  student: string;
  /** Epochs of the sophisticated teacher. */
  teacherEpochs: number;
  /** Epochs of the deceptive teacher (memorizing permuted labels takes longer). */
  deceptiveEpochs: number;
  studentEpochs: number;
  tau: number;
  /** Student steps between KL measurements. */
  evalEvery: number;
  threads: number;
  /** Training images the train KL is measured on (the first ones, unaugmented). */
  trainKlImages: number;
  createdAt: string;
}

export function parseImitabilityConfig(raw: unknown, where: string): ImitabilityConfig {
  const f = Fields.of(raw, where);
  const teacherEpochs = f.int('teacherEpochs');
  return {
    ...parseVisionSettings(raw, where),
    kind: 'imitability',
    formatVersion: 1,
    seed: f.int('seed'),
    teacher: f.str('teacher'),
    student: f.str('student'),
    teacherEpochs,
    deceptiveEpochs: f.optInt('deceptiveEpochs') ?? teacherEpochs,
    studentEpochs: f.int('studentEpochs'),
    tau: f.num('tau'),
    evalEvery: f.int('evalEvery'),
    threads: f.int('threads'),
    trainKlImages: f.int('trainKlImages'),
    createdAt: f.optStr('createdAt') ?? '',
  };
}

export interface KLPair {
  trainKL: number;
  testKL: number;
}

export interface ImitabilitySummary {
  kind: 'imitability';
  status: RunStatus;
  seed: number;
  dataset: string;
  teacher: string;
  student: string;
  tau: number;
  studentSteps: number;
  /** Final KLs of each teacher's student. */
  final: Partial<Record<TeacherKind, KLPair>>;
  /** Mean KL over the students' training curve (area under the curve / points): lower = imitated faster. */
  meanOverTraining: Partial<Record<TeacherKind, KLPair>>;
  /** Each teacher's fit of its own labels (train) and of the true labels (test). */
  teachers: Partial<Record<TeacherKind, { trainAccuracy: number; testAccuracy: number }>>;
  seconds: number;
}

export interface ImitabilityOptions {
  signal?: StopSignal;
  /** One sink per phase ('sophisticated teacher', 'deceptive teacher', 'students'); none: quiet. */
  progress?: (phase: string) => ProgressSink | null;
  log?: (line: string) => void;
  data?: VisionDataset;
}

/** The deceptive teacher's labels: the true labels randomly permuted across the training images. */
export function permutedLabels(labels: ArrayLike<number>, count: number, seed: number): Int32Array {
  const p = torch.data.permutation(count, mixSeed(seed, STREAM.labels));
  return Int32Array.from({ length: count }, (_, i) => labels[p[i]!]!);
}

function firstImages(split: VisionSplit, count: number): VisionSplit {
  const n = Math.min(count, split.count);
  const size = split.channels * split.height * split.width;
  return { ...split, count: n, images: split.images.subarray(0, n * size), labels: split.labels.subarray(0, n) };
}

/** A saved state dict: every value a tensor. */
function stateDictOf(f: Fields): Record<string, torch.Tensor> {
  const out: Record<string, torch.Tensor> = {};
  for (const key of f.keys()) {
    const t = f.raw(key);
    if (!(t instanceof torch.Tensor))
      throw new Error(`imitability checkpoint: '${key}' is not a tensor; delete checkpoint.pt to start the run again`);
    out[key] = t;
  }
  return out;
}

class Stopped extends Error {}

const yieldToEvents = () => new Promise((r) => setImmediate(r));

export async function runImitability(run: RunFolder, o: ImitabilityOptions = {}): Promise<ImitabilitySummary> {
  const cfg = parseImitabilityConfig(run.readConfig(), run.configPath);
  const signal = o.signal ?? { stop: false };
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  torch.setNumThreads(cfg.threads);
  const data = o.data ?? (await loadVisionData(cfg, log));
  const { train, test } = data;
  const fake = permutedLabels(train.labels, train.count, cfg.seed);
  const batchesPerEpoch = batchCount(train.count, cfg.batchSize);
  const augment = cfg.augment ? augmentation(train.height, train.width) : null;
  const started = performance.now();

  const ck = run.hasCheckpoint() ? Fields.of(torch.load(run.checkpointPath), run.checkpointPath) : null;
  const done: Partial<Record<TeacherKind, Record<string, torch.Tensor>>> = {};
  const teacherStats: ImitabilitySummary['teachers'] = {};
  for (const kind of TEACHER_KINDS) {
    if (!ck?.has(kind)) continue;
    done[kind] = stateDictOf(ck.obj(kind));
    const stats = ck.obj('teacherStats').obj(kind);
    teacherStats[kind] = { trainAccuracy: stats.num('trainAccuracy'), testAccuracy: stats.num('testAccuracy') };
  }
  const priorSeconds = ck?.optNum('seconds') ?? 0;
  const finishedKinds = TEACHER_KINDS.filter((k) => done[k]);
  // Records of an unfinished phase are redone: drop them.
  run.filterMetrics((r) => (r.type === 'teacher' ? finishedKinds.includes(r.teacherKind) : r.type !== 'imitation'));
  const seconds = () => priorSeconds + (performance.now() - started) / 1000;
  const save = () => torch.save({ formatVersion: 1, ...done, teacherStats, seconds: seconds() }, run.checkpointPath);

  const summary: ImitabilitySummary = {
    kind: 'imitability',
    status: 'running',
    seed: cfg.seed,
    dataset: cfg.dataset,
    teacher: cfg.teacher,
    student: cfg.student,
    tau: cfg.tau,
    studentSteps: cfg.studentEpochs * batchesPerEpoch,
    final: {},
    meanOverTraining: {},
    teachers: teacherStats,
    seconds: priorSeconds,
  };
  const write = (status: RunStatus) => {
    summary.status = status;
    summary.seconds = seconds();
    run.writeSummary({ ...summary });
  };
  write('running');

  const tests = evalBatches(test, cfg.evalBatchSize);
  const trainEval = evalBatches(firstImages(train, cfg.trainKlImages), cfg.evalBatchSize);
  const teachers: Partial<Record<TeacherKind, torch.nn.Module>> = {};
  try {
    // Phases 1 and 2: each teacher trained alone (LotTrainer without students) on its labels.
    for (const kind of TEACHER_KINDS) {
      const model = buildVisionModel(cfg.teacher, data, cfg.seed);
      teachers[kind] = model;
      const saved = done[kind];
      if (saved) {
        model.loadStateDict(saved);
        continue;
      }
      const phase = kind === 'deceptive' ? 2 : 1;
      const labels = kind === 'deceptive' ? fake : undefined;
      const epochs = kind === 'deceptive' ? cfg.deceptiveEpochs : cfg.teacherEpochs;
      const optimizer = makeSgd(model, cfg, cfg.lr);
      const schedule = visionSchedule(optimizer, cfg, epochs);
      const trainer = new LotTrainer<VisionBatch>({
        teacher: { model, optimizer },
        students: [],
        task: visionTask,
        config: { alpha: 0, n: 1, tau: cfg.tau, variant: 'kl', detach: true },
      });
      const progress = o.progress?.(`${kind} teacher`) ?? null;
      const t0 = performance.now();
      for (let epoch = 1; epoch <= epochs; epoch++) {
        model.train();
        const order = epochOrder(train.count, mixSeed(cfg.seed, phase), epoch);
        let loss = 0;
        let correct = 0;
        let seen = 0;
        for (let b = 0; b < batchesPerEpoch; b++) {
          if (signal.stop) throw new Stopped();
          const batch = makeBatch(train, batchIndices(order, b, cfg.batchSize), {
            augment,
            seed: mixSeed(cfg.seed, STREAM.augment, phase, epoch, b),
            ...(labels ? { labels } : {}),
          });
          const m = trainer.step(batch);
          torch.dispose(batch);
          loss += m.teacherTaskLoss * m.batchSize;
          correct += m.teacherCorrect ?? 0;
          seen += m.batchSize;
          progress?.update({
            label: `${kind} teacher`,
            epoch,
            epochs,
            step: trainer.teacherSteps,
            totalSteps: epochs * batchesPerEpoch,
            samples: trainer.teacherSteps * cfg.batchSize,
            unit: 'img',
            seconds: (performance.now() - t0) / 1000,
            stepsThisSession: trainer.teacherSteps,
            metrics: { loss: loss / seen, acc: correct / seen },
          });
          await yieldToEvents();
        }
        schedule?.step();
        const ev = evaluateVision(model, [], tests, cfg.tau);
        const testAccuracy = ev.teacher.testAccuracy ?? Number.NaN;
        run.appendMetric({
          type: 'teacher',
          teacherKind: kind,
          epoch,
          step: trainer.teacherSteps,
          trainLoss: loss / seen,
          trainAccuracy: correct / seen,
          testAccuracy,
          testLoss: ev.teacher.testLoss ?? Number.NaN,
        });
        const line = `${kind} teacher | epoch ${epoch}/${epochs} | fits its labels: train acc ${((100 * correct) / seen).toFixed(2)}% | test acc (true labels) ${(100 * testAccuracy).toFixed(2)}%`;
        if (progress) progress.log(line);
        else log(line);
        teacherStats[kind] = { trainAccuracy: correct / seen, testAccuracy };
      }
      progress?.done();
      const fit = teacherStats[kind]?.trainAccuracy ?? 0;
      if (kind === 'deceptive' && fit < 0.9) {
        log(
          `warning: the deceptive teacher fits only ${(100 * fit).toFixed(1)}% of its permuted labels; it has not memorized them, so the comparison says little (raise --deceptive-epochs, or use fewer images with --subset)`,
        );
      }
      done[kind] = model.stateDict();
      save();
    }

    // Phase 3: a fresh student per teacher, same initialization, same batches, KL only (variant
    // 'kl'), each through a LotTrainer whose teacher never steps and is evaluated in eval mode.
    const trainers = {} as Record<TeacherKind, LotTrainer<VisionBatch>>;
    const schedules: torch.optim.LRScheduler[] = [];
    for (const kind of TEACHER_KINDS) {
      const student = buildVisionModel(cfg.student, data, cfg.seed + 1);
      const optimizer = makeSgd(student, cfg, cfg.studentLr);
      const schedule = visionSchedule(optimizer, cfg, cfg.studentEpochs);
      if (schedule) schedules.push(schedule);
      const teacher = teachers[kind]!;
      teacher.eval();
      trainers[kind] = new LotTrainer<VisionBatch>({
        teacher: { model: teacher, optimizer: makeSgd(teacher, cfg, 0) },
        students: [{ model: student, optimizer }],
        task: visionTask,
        config: { alpha: 1, n: 1, tau: cfg.tau, variant: 'kl', detach: true, teacherModeInStudentSteps: 'eval' },
      });
    }
    const curves: Record<TeacherKind, KLPair[]> = { sophisticated: [], deceptive: [] };
    const measure = () => {
      for (const kind of TEACHER_KINDS) {
        const t = trainers[kind];
        const models = [t.teacher.model, t.students[0]!.model] as const;
        const pair = {
          trainKL: evaluateVision(models[0], [models[1]], trainEval, cfg.tau).kl!,
          testKL: evaluateVision(models[0], [models[1]], tests, cfg.tau).kl!,
        };
        curves[kind].push(pair);
        run.appendMetric({ type: 'imitation', teacherKind: kind, step: t.studentOnlySteps, costUnits: t.costUnits, ...pair });
      }
    };
    measure();
    const progress = o.progress?.('students') ?? null;
    const t0 = performance.now();
    const totalSteps = cfg.studentEpochs * batchesPerEpoch;
    let step = 0;
    for (let epoch = 1; epoch <= cfg.studentEpochs; epoch++) {
      for (const kind of TEACHER_KINDS) trainers[kind].students[0]!.model.train();
      const order = epochOrder(train.count, mixSeed(cfg.seed, 3), epoch);
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (signal.stop) throw new Stopped();
        const batch = makeBatch(train, batchIndices(order, b, cfg.batchSize), {
          augment,
          seed: mixSeed(cfg.seed, STREAM.augment, 3, epoch, b),
        });
        const kls = Object.fromEntries(TEACHER_KINDS.map((kind) => [kind, trainers[kind].studentStep(batch).kls[0]!]));
        torch.dispose(batch);
        step++;
        if (step % cfg.evalEvery === 0 || b === batchesPerEpoch - 1) measure();
        progress?.update({
          label: 'students',
          epoch,
          epochs: cfg.studentEpochs,
          step,
          totalSteps,
          samples: 2 * step * cfg.batchSize,
          unit: 'img',
          seconds: (performance.now() - t0) / 1000,
          stepsThisSession: step,
          metrics: { 'KL soph': kls.sophisticated, 'KL decep': kls.deceptive },
        });
        await yieldToEvents();
      }
      for (const s of schedules) s.step();
      const last = (k: TeacherKind) => curves[k][curves[k].length - 1]!;
      const line = `students | epoch ${epoch}/${cfg.studentEpochs} | sophisticated: train KL ${last('sophisticated').trainKL.toFixed(4)} test KL ${last('sophisticated').testKL.toFixed(4)} | deceptive: train KL ${last('deceptive').trainKL.toFixed(4)} test KL ${last('deceptive').testKL.toFixed(4)}`;
      if (progress) progress.log(line);
      else log(line);
    }
    progress?.done();
    for (const kind of TEACHER_KINDS) {
      const c = curves[kind];
      summary.final[kind] = c[c.length - 1]!;
      summary.meanOverTraining[kind] = {
        trainKL: c.reduce((a, p) => a + p.trainKL, 0) / c.length,
        testKL: c.reduce((a, p) => a + p.testKL, 0) / c.length,
      };
    }
    write('complete');
    return summary;
  } catch (e) {
    if (e instanceof Stopped) {
      save();
      write('interrupted');
      return summary;
    }
    write('failed');
    throw e;
  } finally {
    torch.dispose([tests, trainEval]);
  }
}
