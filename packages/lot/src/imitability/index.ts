// The paper's first question (LOT.md "Imitability"): is a teacher that learned
// generalizable correlations easier to imitate than one that memorized spurious
// ones? Two teachers of the same architecture see the same inputs: the
// sophisticated one the true labels, the deceptive one labels randomly permuted
// (a fixed seed) that it is trained to fit. Then two fresh students, identically
// initialized, imitate each teacher with equal compute (same steps, same batches)
// using the KL term only, and the students' KL to their teacher is measured on
// training inputs and on test inputs as they train.
//
// Phases: sophisticated teacher, deceptive teacher, students. The checkpoint keeps
// every finished phase; an interrupted phase is redone from its start on resume
// (everything is seeded, so the result is the same).
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { klTau } from '../lot/losses.js';
import { Progress } from '../cli/progress.js';
import { RunFolder, type RunStatus } from '../runs/folder.js';
import { batchCount, batchIndices, epochOrder, makeBatch, mixSeed, permutation, STREAM, type ImageSplit, type VisionBatch } from '../runs/batches.js';
import { buildModel, loadData, makeSgd, type LoadedData } from '../runs/vision-parts.js';
import { evalBatches, evaluateModels, imageTask, lrAt, type StopSignal } from '../runs/vision.js';
import type { DataConfig, OptimConfig } from '../runs/config.js';

type Module = torch.nn.Module;
const F = torch.nn.functional;

export type TeacherKind = 'sophisticated' | 'deceptive';
export const TEACHER_KINDS: readonly TeacherKind[] = ['sophisticated', 'deceptive'];

export interface ImitabilityConfig extends DataConfig, OptimConfig {
  kind: 'imitability';
  formatVersion: 1;
  seed: number;
  teacher: string;
  student: string;
  /** Epochs of the sophisticated teacher. */
  teacherEpochs: number;
  /** Epochs of the deceptive teacher (memorizing permuted labels takes longer); default teacherEpochs. */
  deceptiveEpochs?: number;
  studentEpochs: number;
  tau: number;
  evalEvery: number;
  batchSize: number;
  evalBatchSize: number;
  threads: number;
  /** Training images the train KL is measured on (the first ones, unaugmented). */
  trainKlImages: number;
  createdAt: string;
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
  /** Mean KL over the students' training curve (area under the curve / steps): lower = imitated faster. */
  meanOverTraining: Partial<Record<TeacherKind, KLPair>>;
  teachers: Partial<Record<TeacherKind, { trainAccuracy: number; testAccuracy: number }>>;
  seconds: number;
}

export interface ImitabilityOptions {
  signal?: StopSignal;
  quiet?: boolean;
  log?: (line: string) => void;
  data?: LoadedData;
}

/** The deceptive teacher's labels: the true labels randomly permuted across the training images. */
export function permutedLabels(labels: ArrayLike<number>, count: number, seed: number): Int32Array {
  const p = permutation(count, mixSeed(seed, STREAM.labels));
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = labels[p[i]!]!;
  return out;
}

/** Mean KLτ(teacher ‖ student) over the batches (both in eval mode). */
function meanKL(teacher: Module, student: Module, batches: VisionBatch[], tau: number): number {
  const modes = [teacher.training, student.training];
  teacher.eval();
  student.eval();
  let sum = 0;
  let n = 0;
  try {
    torch.noGrad(() => {
      for (const b of batches) {
        torch.tidy(() => {
          const size = b.labels.shape[0]!;
          sum += klTau(imageTask.logits(teacher, b), imageTask.logits(student, b), tau).item() * size;
          n += size;
        });
      }
    });
  } finally {
    teacher.train(modes[0]);
    student.train(modes[1]);
  }
  return sum / Math.max(1, n);
}

function firstImages(split: ImageSplit, count: number): ImageSplit {
  const n = Math.min(count, split.count);
  const size = split.channels * split.height * split.width;
  return { ...split, count: n, images: split.images.subarray(0, n * size), labels: Array.prototype.slice.call(split.labels, 0, n) as number[] };
}

class Stopped extends Error {}

export async function runImitability(run: RunFolder, o: ImitabilityOptions = {}): Promise<ImitabilitySummary> {
  const cfg = run.readConfig<ImitabilityConfig>();
  const signal = o.signal ?? { stop: false };
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  torch.setNumThreads(cfg.threads);
  const data = o.data ?? (await loadData(cfg, log));
  const { train, test, numClasses } = data;
  const fake = permutedLabels(train.labels, train.count, cfg.seed);
  const batchesPerEpoch = batchCount(train.count, cfg.batchSize);
  const started = performance.now();

  const ck = run.hasCheckpoint() ? (torch.load(run.checkpointPath) as Record<string, any>) : {};
  const done: Record<string, Record<string, Tensor>> = {};
  for (const kind of TEACHER_KINDS) if (ck[kind]) done[kind] = ck[kind];
  const teacherStats: ImitabilitySummary['teachers'] = (ck.teacherStats as ImitabilitySummary['teachers']) ?? {};
  const priorSeconds = (ck.seconds as number | undefined) ?? 0;
  const finishedKinds = TEACHER_KINDS.filter((k) => done[k]);
  // Records of an unfinished phase are redone: drop them.
  run.filterMetrics((r) => (r.type === 'teacher' ? finishedKinds.includes(r.teacherKind) : r.type !== 'imitation'));
  const seconds = () => priorSeconds + (performance.now() - started) / 1000;
  const save = () => torch.save({ formatVersion: 1, ...done, teacherStats: teacherStats as any, seconds: seconds() }, run.checkpointPath);

  const summary: ImitabilitySummary = {
    kind: 'imitability', status: 'running', seed: cfg.seed, dataset: cfg.dataset, teacher: cfg.teacher, student: cfg.student,
    tau: cfg.tau, studentSteps: cfg.studentEpochs * batchesPerEpoch, final: {}, meanOverTraining: {}, teachers: teacherStats, seconds: priorSeconds,
  };
  const write = (status: RunStatus) => {
    summary.status = status;
    summary.seconds = seconds();
    run.writeSummary({ ...summary });
  };
  write('running');

  const tests = evalBatches(test, cfg.evalBatchSize);
  const trainEval = evalBatches(firstImages(train, cfg.trainKlImages), cfg.evalBatchSize);
  const teachers: Partial<Record<TeacherKind, Module>> = {};
  try {
    // Phase 1 and 2: the two teachers.
    for (const kind of TEACHER_KINDS) {
      torch.manualSeed(cfg.seed);
      const model = buildModel(cfg.teacher, numClasses, train.channels);
      teachers[kind] = model;
      if (done[kind]) {
        model.loadStateDict(done[kind]!);
        continue;
      }
      const labels = kind === 'deceptive' ? fake : undefined;
      const epochs = kind === 'deceptive' ? cfg.deceptiveEpochs ?? cfg.teacherEpochs : cfg.teacherEpochs;
      const optimizer = makeSgd(model, cfg, cfg.lr);
      const progress = o.quiet ? null : new Progress(`${kind} teacher`);
      const t0 = performance.now();
      let step = 0;
      for (let epoch = 1; epoch <= epochs; epoch++) {
        for (const g of optimizer.paramGroups) g.lr = lrAt(cfg.lr, cfg.schedule, epoch, epochs);
        model.train();
        const order = epochOrder(train.count, mixSeed(cfg.seed, kind === 'deceptive' ? 2 : 1), epoch);
        let loss = 0;
        let correct = 0;
        let seen = 0;
        for (let b = 0; b < batchesPerEpoch; b++) {
          if (signal.stop) throw new Stopped();
          const batch = makeBatch(train, batchIndices(order, b, cfg.batchSize), {
            augment: cfg.augment, seed: mixSeed(cfg.seed, STREAM.augment, kind === 'deceptive' ? 2 : 1, epoch, b), ...(labels ? { labels } : {}),
          });
          torch.tidy(() => {
            optimizer.zeroGrad();
            const logits = imageTask.logits(model, batch);
            const l = F.crossEntropy(logits, batch.labels);
            l.backward();
            optimizer.step();
            const size = batch.labels.shape[0]!;
            loss += l.item() * size;
            correct += imageTask.correct!(logits, batch);
            seen += size;
          });
          torch.dispose(batch);
          step++;
          progress?.update({
            epoch, epochs, step, totalSteps: epochs * batchesPerEpoch, samples: step * cfg.batchSize,
            seconds: (performance.now() - t0) / 1000, stepsThisSession: step, metrics: { loss: loss / seen, acc: correct / seen },
          });
          await new Promise((r) => setImmediate(r));
        }
        const ev = evaluateModels(model, [], tests, cfg.tau);
        run.appendMetric({
          type: 'teacher', teacherKind: kind, epoch, step, trainLoss: loss / seen, trainAccuracy: correct / seen,
          testAccuracy: ev.teacher.accuracy, testLoss: ev.teacher.loss,
        });
        const line = `${kind} teacher | epoch ${epoch}/${epochs} | fits its labels: train acc ${(100 * correct / seen).toFixed(2)}% | test acc (true labels) ${(100 * ev.teacher.accuracy).toFixed(2)}%`;
        if (progress) progress.log(line);
        else log(line);
        teacherStats[kind] = { trainAccuracy: correct / seen, testAccuracy: ev.teacher.accuracy };
      }
      progress?.done();
      const fit = teacherStats[kind]?.trainAccuracy ?? 0;
      if (kind === 'deceptive' && fit < 0.9) {
        log(`warning: the deceptive teacher fits only ${(100 * fit).toFixed(1)}% of its permuted labels; it has not memorized them, so the comparison says little (raise --deceptive-epochs, or use fewer images with --subset)`);
      }
      done[kind] = model.stateDict();
      save();
    }

    // Phase 3: a fresh student per teacher, same initialization, same batches, KL only.
    const students: Record<TeacherKind, Module> = {} as Record<TeacherKind, Module>;
    const optimizers: Record<TeacherKind, torch.optim.SGD> = {} as Record<TeacherKind, torch.optim.SGD>;
    for (const kind of TEACHER_KINDS) {
      torch.manualSeed(cfg.seed + 1);
      students[kind] = buildModel(cfg.student, numClasses, train.channels);
      optimizers[kind] = makeSgd(students[kind], cfg, cfg.studentLr);
      teachers[kind]!.eval();
    }
    const totalSteps = cfg.studentEpochs * batchesPerEpoch;
    const curves: Record<TeacherKind, KLPair[]> = { sophisticated: [], deceptive: [] };
    const measure = (step: number) => {
      for (const kind of TEACHER_KINDS) {
        const pair = {
          trainKL: meanKL(teachers[kind]!, students[kind], trainEval, cfg.tau),
          testKL: meanKL(teachers[kind]!, students[kind], tests, cfg.tau),
        };
        curves[kind].push(pair);
        run.appendMetric({ type: 'imitation', teacherKind: kind, step, costUnits: 4 * step, ...pair });
      }
    };
    measure(0);
    const progress = o.quiet ? null : new Progress('students');
    const t0 = performance.now();
    let step = 0;
    for (let epoch = 1; epoch <= cfg.studentEpochs; epoch++) {
      for (const kind of TEACHER_KINDS) for (const g of optimizers[kind].paramGroups) g.lr = lrAt(cfg.studentLr, cfg.schedule, epoch, cfg.studentEpochs);
      const order = epochOrder(train.count, mixSeed(cfg.seed, 3), epoch);
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (signal.stop) throw new Stopped();
        const batch = makeBatch(train, batchIndices(order, b, cfg.batchSize), { augment: cfg.augment, seed: mixSeed(cfg.seed, STREAM.augment, 3, epoch, b) });
        const kls: Record<string, number> = {};
        for (const kind of TEACHER_KINDS) {
          torch.tidy(() => {
            const target = torch.noGrad(() => imageTask.logits(teachers[kind]!, batch));
            optimizers[kind].zeroGrad();
            const loss = klTau(target, imageTask.logits(students[kind], batch), cfg.tau);
            loss.backward();
            optimizers[kind].step();
            kls[kind] = loss.item();
          });
        }
        torch.dispose(batch);
        step++;
        if (step % cfg.evalEvery === 0 || b === batchesPerEpoch - 1) measure(step);
        progress?.update({
          epoch, epochs: cfg.studentEpochs, step, totalSteps, samples: 2 * step * cfg.batchSize, seconds: (performance.now() - t0) / 1000,
          stepsThisSession: step, metrics: { 'KL soph': kls.sophisticated, 'KL decep': kls.deceptive },
        });
        await new Promise((r) => setImmediate(r));
      }
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
