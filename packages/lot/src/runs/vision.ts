// A vision run, start to finish or resumed: builds the data, models, optimizers
// and the LoT trainer from config.json, trains epoch by epoch, evaluates teacher
// and students on the test set every epoch, and writes the run folder (metrics,
// latest checkpoint, summary). A stop request (Ctrl-C) is honoured between
// steps: the checkpoint then records the position inside the epoch, and
// `resume` continues from exactly there.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { LotTrainer, klTau, type LotTask, type Learner } from '../lot/index.js';
import { Progress } from '../cli/progress.js';
import { RunFolder, type EpochRecord, type RunStatus } from './folder.js';
import type { VisionRunConfig } from './config.js';
import { batchCount, batchIndices, cursorIndices, epochOrder, makeBatch, mixSeed, STREAM, type ImageSplit, type VisionBatch } from './batches.js';
import { buildModel, loadData, makeSgd, type LoadedData } from './vision-parts.js';

type Module = torch.nn.Module;
const F = torch.nn.functional;

export interface StopSignal {
  /** Set to true to stop after the current step (Ctrl-C). */
  stop: boolean;
}

export interface RunOptions {
  signal?: StopSignal;
  progress?: Progress | null;
  /** Plain lines (epoch results); defaults to stderr. */
  log?: (line: string) => void;
  /** Data already loaded for this config (several runs of one command share it). */
  data?: LoadedData;
}

export interface VisionSummary {
  kind: 'vision';
  method: string;
  seed: number;
  dataset: string;
  teacher: string;
  student: string;
  students: string[];
  status: RunStatus;
  epochs: number;
  epochsDone: number;
  baseEpochs: number;
  finalTestAccuracy: number | null;
  bestTestAccuracy: number | null;
  finalTestLoss: number | null;
  finalStudentTestAccuracy: number[];
  teacherSteps: number;
  costUnits: number;
  seconds: number;
  alpha: number;
  n: number;
  tau: number;
  trainCount: number;
  testCount: number;
}

/** The task LoT runs for images: logits from the model, cross-entropy, accuracy. */
export const imageTask: LotTask<VisionBatch> = {
  logits: (model, b) => model.forward(b.images) as Tensor,
  taskLoss: (logits, b) => F.crossEntropy(logits, b.labels),
  batchSize: (b) => b.labels.shape[0]!,
  correct: (logits, b) => torch.tidy(() => logits.argmax(1).eq(b.labels).sum().item()),
};

/** Cosine over epochs (PyTorch's CosineAnnealingLR with T_max = epochs, eta_min 0, stepped per epoch). */
export function lrAt(base: number, schedule: string, epoch: number, epochs: number): number {
  if (schedule === 'constant') return base;
  return (base * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs))) / 2;
}

function setLr(learner: Learner, lr: number): void {
  const opt = learner.optimizer as unknown as { paramGroups: { lr: number }[] };
  for (const g of opt.paramGroups) g.lr = lr;
}

export interface EvalResult {
  teacher: { accuracy: number; loss: number };
  students: { accuracy: number; loss: number }[];
  /** KLτ(p(teacher) ‖ p(student 0)) over the test set; null without students. */
  kl: number | null;
}

/** Test accuracy and loss of the teacher and each student, and the first student's KL to the teacher. */
export function evaluateModels(teacher: Module, students: Module[], batches: VisionBatch[], tau: number): EvalResult {
  const modes = [teacher, ...students].map((m) => m.training);
  teacher.eval();
  for (const s of students) s.eval();
  let n = 0;
  let tLoss = 0;
  let tCorrect = 0;
  const sLoss = students.map(() => 0);
  const sCorrect = students.map(() => 0);
  let kl = 0;
  try {
    torch.noGrad(() => {
      for (const b of batches) {
        torch.tidy(() => {
          const size = b.labels.shape[0]!;
          const t = imageTask.logits(teacher, b);
          tLoss += F.crossEntropy(t, b.labels, { reduction: 'sum' }).item();
          tCorrect += imageTask.correct!(t, b);
          students.forEach((s, i) => {
            const z = imageTask.logits(s, b);
            sLoss[i] += F.crossEntropy(z, b.labels, { reduction: 'sum' }).item();
            sCorrect[i] += imageTask.correct!(z, b);
            if (i === 0) kl += klTau(t, z, tau).item() * size;
          });
          n += size;
        });
      }
    });
  } finally {
    [teacher, ...students].forEach((m, i) => m.train(modes[i]));
  }
  return {
    teacher: { accuracy: tCorrect / n, loss: tLoss / n },
    students: students.map((_, i) => ({ accuracy: sCorrect[i]! / n, loss: sLoss[i]! / n })),
    kl: students.length > 0 ? kl / n : null,
  };
}

/** Fixed (unaugmented) evaluation batches over a split, kept until disposed. */
export function evalBatches(split: ImageSplit, batchSize: number): VisionBatch[] {
  const out: VisionBatch[] = [];
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  for (let b = 0; b < batchCount(split.count, batchSize); b++) {
    out.push(torch.keep(makeBatch(split, batchIndices(order, b, batchSize), { augment: false, seed: 0 })));
  }
  return out;
}

interface Accum {
  loss: number;
  correct: number;
  count: number;
  kl: number;
  klCount: number;
}

const newAccum = (): Accum => ({ loss: 0, correct: 0, count: 0, kl: 0, klCount: 0 });

/** Trains (or resumes) the run in `run`. Returns the summary it wrote. */
export async function trainVisionRun(run: RunFolder, o: RunOptions = {}): Promise<VisionSummary> {
  const cfg = run.readConfig<VisionRunConfig>();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const signal = o.signal ?? { stop: false };
  torch.setNumThreads(cfg.threads);
  const data = o.data ?? (await loadData(cfg));
  const { train, test, numClasses } = data;

  // Models: the teacher from the run's seed, student i from seed + 1 + i (the reference's rule).
  torch.manualSeed(cfg.seed);
  const teacherModel = buildModel(cfg.teacher, numClasses, train.channels);
  const studentModels = cfg.students.map((name, i) => {
    torch.manualSeed(cfg.seed + 1 + i);
    return buildModel(name, numClasses, train.channels);
  });
  const teacher: Learner = { model: teacherModel, optimizer: makeSgd(teacherModel, cfg, cfg.lr) };
  const students: Learner[] = studentModels.map((m) => ({ model: m, optimizer: makeSgd(m, cfg, cfg.studentLr) }));

  const batchesPerEpoch = batchCount(train.count, cfg.batchSize);
  let cursor = 0;
  const trainer = new LotTrainer<VisionBatch>({
    teacher,
    students,
    task: imageTask,
    config: { alpha: cfg.alpha, n: cfg.n, tau: cfg.tau, variant: cfg.variant as 'kl_ce', detach: cfg.detach },
    nextStudentBatch: () => {
      const position = cursor++;
      return makeBatch(train, cursorIndices(train.count, cfg.batchSize, position), {
        augment: cfg.augment,
        seed: mixSeed(cfg.seed, STREAM.cursorAugment, position),
      });
    },
  });

  // What the checkpoint holds, by name (the engine's saveCheckpoint: models, optimizers, RNG, extra).
  const models: Record<string, Module> = { teacher: teacherModel };
  const optimizers: Record<string, torch.optim.SGD> = { teacher: teacher.optimizer as torch.optim.SGD };
  studentModels.forEach((m, i) => { models[`student${i}`] = m; optimizers[`student${i}`] = students[i]!.optimizer as torch.optim.SGD; });

  // Where to start: fresh, or from the checkpoint.
  let epochStart = 1;
  let batchStart = 0;
  let accum = newAccum();
  let seconds = 0;
  let best: number | null = null;
  let lastEval: EvalResult | null = null;
  if (run.hasCheckpoint()) {
    const ck = torch.loadCheckpoint(run.checkpointPath, { model: models, optimizers }) as Record<string, any>;
    trainer.loadStateDict(ck.trainer);
    cursor = ck.cursor as number;
    epochStart = ck.epoch as number;
    batchStart = ck.batch as number;
    accum = ck.accum as Accum;
    seconds = ck.seconds as number;
    best = (ck.best as number | null) ?? null;
    lastEval = (ck.lastEval as EvalResult | null) ?? null;
    // Records written after the checkpoint belong to steps that will be redone.
    const doneSteps = trainer.teacherSteps;
    run.filterMetrics((r) => (r.type === 'epoch' ? r.epoch < epochStart : r.type === 'step' ? r.step <= doneSteps : true));
  }

  const summaryOf = (status: RunStatus, epochsDone: number): VisionSummary => ({
    kind: 'vision',
    method: cfg.method,
    seed: cfg.seed,
    dataset: cfg.dataset,
    teacher: cfg.teacher,
    student: cfg.student,
    students: cfg.students,
    status,
    epochs: cfg.epochs,
    epochsDone,
    baseEpochs: cfg.baseEpochs,
    finalTestAccuracy: lastEval?.teacher.accuracy ?? null,
    bestTestAccuracy: best,
    finalTestLoss: lastEval?.teacher.loss ?? null,
    finalStudentTestAccuracy: lastEval?.students.map((s) => s.accuracy) ?? [],
    teacherSteps: trainer.teacherSteps,
    costUnits: trainer.costUnits,
    seconds,
    alpha: cfg.alpha,
    n: cfg.n,
    tau: cfg.tau,
    trainCount: train.count,
    testCount: test.count,
  });

  const checkpoint = (epoch: number, batch: number): void => {
    torch.saveCheckpoint(run.checkpointPath, {
      model: models,
      optimizers,
      rng: true,
      extra: {
        epoch,
        batch,
        trainer: { ...trainer.stateDict() },
        cursor,
        accum: { ...accum },
        seconds,
        best,
        lastEval: lastEval as any,
      },
    });
  };

  let epochsDone = epochStart - 1;
  run.writeSummary({ ...summaryOf('running', epochsDone) });
  const tests = evalBatches(test, cfg.evalBatchSize);
  const totalSteps = cfg.epochs * batchesPerEpoch;
  const sessionStart = performance.now();
  const sessionStartStep = trainer.teacherSteps;
  let sessionSamples = 0;
  const label = `${cfg.method} seed ${cfg.seed}`;
  try {
    for (let epoch = epochStart; epoch <= cfg.epochs; epoch++) {
      const lr = lrAt(cfg.lr, cfg.schedule, epoch, cfg.epochs);
      setLr(teacher, lr);
      for (const s of students) setLr(s, lrAt(cfg.studentLr, cfg.schedule, epoch, cfg.epochs));
      teacherModel.train();
      for (const m of studentModels) m.train();
      const order = epochOrder(train.count, cfg.seed, epoch);
      for (let b = epoch === epochStart ? batchStart : 0; b < batchesPerEpoch; b++) {
        if (signal.stop) {
          checkpoint(epoch, b);
          const summary = summaryOf('interrupted', epoch - 1);
          run.writeSummary({ ...summary });
          o.progress?.done();
          return summary;
        }
        const t0 = performance.now();
        const batch = makeBatch(train, batchIndices(order, b, cfg.batchSize), {
          augment: cfg.augment,
          seed: mixSeed(cfg.seed, STREAM.augment, epoch, b),
        });
        const m = trainer.step(batch);
        torch.dispose(batch);
        if (!Number.isFinite(m.teacherLoss) || m.studentLosses.some((x) => !Number.isFinite(x))) {
          throw new Error(`training diverged: the ${Number.isFinite(m.teacherLoss) ? 'student' : 'teacher'} loss is ${Number.isFinite(m.teacherLoss) ? m.studentLosses.find((x) => !Number.isFinite(x)) : m.teacherLoss} at step ${trainer.teacherSteps} (epoch ${epoch}); try a lower --lr (now ${cfg.lr})`);
        }
        seconds += (performance.now() - t0) / 1000;
        accum.loss += m.teacherTaskLoss * m.batchSize;
        accum.correct += m.teacherCorrect ?? 0;
        accum.count += m.batchSize;
        if (m.studentKls.length > 0) {
          accum.kl += m.studentKls[0]! * m.batchSize;
          accum.klCount += m.batchSize;
        }
        sessionSamples += m.batchSize;
        const step = trainer.teacherSteps;
        if (step % cfg.logEvery === 0) {
          run.appendMetric({
            type: 'step', epoch, step, costUnits: trainer.costUnits, seconds, lr,
            teacherLoss: m.teacherLoss, teacherTaskLoss: m.teacherTaskLoss,
            ...(m.studentLosses.length ? { studentLosses: m.studentLosses, studentKls: m.studentKls } : {}),
          });
        }
        o.progress?.update({
          epoch, epochs: cfg.epochs, step, totalSteps,
          samples: sessionSamples,
          seconds: (performance.now() - sessionStart) / 1000,
          stepsThisSession: step - sessionStartStep,
          metrics: { loss: accum.loss / accum.count, acc: accum.correct / accum.count, ...(accum.klCount ? { kl: accum.kl / accum.klCount } : {}), 'test acc': lastEval?.teacher.accuracy },
        });
        // Let signals (Ctrl-C) and I/O through between steps.
        await new Promise((r) => setImmediate(r));
      }
      lastEval = evaluateModels(teacherModel, studentModels, tests, cfg.tau);
      best = Math.max(best ?? -Infinity, lastEval.teacher.accuracy);
      const record: EpochRecord = {
        type: 'epoch', epoch, step: trainer.teacherSteps, costUnits: trainer.costUnits, seconds, lr,
        teacher: {
          testAccuracy: lastEval.teacher.accuracy, testLoss: lastEval.teacher.loss,
          trainLoss: accum.loss / Math.max(1, accum.count), trainAccuracy: accum.correct / Math.max(1, accum.count),
        },
        students: lastEval.students.map((s) => ({ testAccuracy: s.accuracy, testLoss: s.loss })),
        kl: { train: accum.klCount ? accum.kl / accum.klCount : null, test: lastEval.kl },
      };
      run.appendMetric(record);
      const studentText = lastEval.students.length ? ` | student test acc ${lastEval.students.map((s) => (100 * s.accuracy).toFixed(2)).join('/')}%` : '';
      const klText = record.kl.test !== null ? ` | KL train ${record.kl.train?.toFixed(3)} test ${record.kl.test.toFixed(3)}` : '';
      const line = `${label} | epoch ${epoch}/${cfg.epochs} | train loss ${record.teacher.trainLoss.toFixed(4)} acc ${(100 * record.teacher.trainAccuracy).toFixed(2)}% | test loss ${lastEval.teacher.loss.toFixed(4)} acc ${(100 * lastEval.teacher.accuracy).toFixed(2)}%${studentText}${klText} | ${seconds.toFixed(1)}s`;
      if (o.progress) o.progress.log(line);
      else log(line);
      accum = newAccum();
      checkpoint(epoch + 1, 0);
      epochsDone = epoch;
      run.writeSummary({ ...summaryOf('running', epoch) });
    }
  } catch (e) {
    o.progress?.done();
    run.writeSummary({ ...summaryOf('failed', epochsDone), error: (e as Error).message });
    throw e;
  } finally {
    torch.dispose(tests);
  }
  o.progress?.done();
  const summary = summaryOf('complete', cfg.epochs);
  run.writeSummary({ ...summary });
  return summary;
}
