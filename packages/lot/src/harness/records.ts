// The run folder's record schema: what metrics.jsonl and summary.json hold, for every
// domain. The harness writes these types and report/ reads them back through
// `parseRecords` and `parseTrainSummary`, so writer and reader share one definition.
// Older run folders (vision runs written before the harness) parse into the same types.
import { isMethod, type Method } from './methods.js';

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';
const RUN_STATUSES: readonly string[] = ['running', 'complete', 'interrupted', 'failed'] satisfies RunStatus[];
const isRunStatus = (v: unknown): v is RunStatus => typeof v === 'string' && RUN_STATUSES.includes(v);

/** A model's metrics at one evaluation: the domain's keys (testAccuracy, testLoss, validPerplexity…) and train averages. */
export type ModelMetrics = Record<string, number | null>;

/** The domain's primary metric: the number runs are compared by. */
export interface PrimaryMetric {
  /** The key in ModelMetrics: `testAccuracy`, `validPerplexity`, `episodicReturn`. */
  key: string;
  /** How tables and plots name it: "test accuracy". */
  label: string;
  /** Better is larger (accuracy, return) or smaller (perplexity). */
  direction: 'max' | 'min';
  /** Shown as a percentage (values are fractions). */
  percent: boolean;
  /** The same metric in the run's final evaluation, when the domain makes one (`testPerplexity`). */
  finalKey?: string;
  /** How tables name the final evaluation's row: "test (best checkpoint)". */
  finalLabel?: string;
  /** The evaluation key that measures progress (RL: `agentSteps`): curves are drawn against it instead of epochs. */
  progress?: { key: string; label: string };
  /** A smoothed form of the metric in the same evaluations (RL: `episodicReturnEma`), plotted beside it. */
  smoothedKey?: string;
  /** A level worth reaching (RL: gymnasium's reward threshold): the report gives the progress at which runs first reach it. */
  threshold?: number;
}

/** One evaluation, at the end of an epoch. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Teacher steps taken so far. */
  step: number;
  /** Training cost so far, in forward-pass units F (docs/METHOD.md#cost-model). */
  costUnits: number;
  /** Training seconds so far (evaluation excluded). */
  seconds: number;
  lr?: number;
  teacher: ModelMetrics;
  students: ModelMetrics[];
  /** KLτ(teacher ‖ first student) averaged over the epoch's training batches and over the evaluation data; null without students. */
  kl: { train: number | null; test: number | null };
}

/**
 * One evaluation inside an epoch (--eval-every): as an epoch record, with `epoch` the fractional
 * progress (epoch − 1 + batches done / batches per epoch).
 */
export interface EvalRecord extends Omit<EpochRecord, 'type'> {
  type: 'eval';
}

/** Sparse training-step losses (every `logEvery` teacher steps). */
export interface StepRecord {
  type: 'step';
  epoch: number;
  step: number;
  costUnits: number;
  seconds: number;
  lr?: number;
  teacherLoss: number;
  teacherTaskLoss: number;
  studentLosses?: number[];
  studentKls?: number[];
}

export type TeacherKind = 'sophisticated' | 'deceptive';
export const TEACHER_KINDS: readonly TeacherKind[] = ['sophisticated', 'deceptive'];

/** Imitability: a student's KL to its teacher on training and test inputs, as it imitates. */
export interface ImitationRecord {
  type: 'imitation';
  teacherKind: TeacherKind;
  step: number;
  costUnits: number;
  trainKL: number;
  testKL: number;
  epoch?: number;
}

/** Imitability: a teacher's fit at the end of one of its epochs. */
export interface TeacherFitRecord {
  type: 'teacher';
  teacherKind: TeacherKind;
  epoch: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
}

/** The final evaluation of a completed run (language models: each model's best checkpoint on the test split). */
export interface FinalRecord {
  type: 'final';
  step: number;
  costUnits: number;
  teacher: ModelMetrics;
  students: ModelMetrics[];
}

export type MetricRecord = EpochRecord | EvalRecord | StepRecord | ImitationRecord | TeacherFitRecord | FinalRecord;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): number | null => (isNum(v) ? v : null);

function modelMetrics(v: unknown): ModelMetrics {
  const out: ModelMetrics = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = numOrNull(x);
  return out;
}

/**
 * One metrics.jsonl line as a record, or null when the line is torn (a crash mid-write),
 * malformed or of a type this version does not know.
 */
export function parseRecord(line: string): MetricRecord | null {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(r)) return null;
  const base = { step: numOrNull(r.step), costUnits: numOrNull(r.costUnits) };
  switch (r.type) {
    case 'epoch':
    case 'eval': {
      if (!isNum(r.epoch)) return null;
      const kl = isObject(r.kl) ? r.kl : {};
      return {
        type: r.type,
        epoch: r.epoch,
        step: base.step ?? 0,
        costUnits: base.costUnits ?? 0,
        seconds: numOrNull(r.seconds) ?? 0,
        ...(isNum(r.lr) ? { lr: r.lr } : {}),
        teacher: modelMetrics(r.teacher),
        students: Array.isArray(r.students) ? r.students.map(modelMetrics) : [],
        kl: { train: numOrNull(kl.train), test: numOrNull(kl.test) },
      };
    }
    case 'final':
      return {
        type: 'final',
        step: base.step ?? 0,
        costUnits: base.costUnits ?? 0,
        teacher: modelMetrics(r.teacher),
        students: Array.isArray(r.students) ? r.students.map(modelMetrics) : [],
      };
    case 'step':
      if (!isNum(r.epoch) || base.step === null) return null;
      return {
        type: 'step',
        epoch: r.epoch,
        step: base.step,
        costUnits: base.costUnits ?? 0,
        seconds: numOrNull(r.seconds) ?? 0,
        ...(isNum(r.lr) ? { lr: r.lr } : {}),
        teacherLoss: numOrNull(r.teacherLoss) ?? Number.NaN,
        teacherTaskLoss: numOrNull(r.teacherTaskLoss) ?? Number.NaN,
        ...(Array.isArray(r.studentLosses) ? { studentLosses: r.studentLosses.map(Number) } : {}),
        ...(Array.isArray(r.studentKls) ? { studentKls: r.studentKls.map(Number) } : {}),
      };
    case 'imitation':
      if (
        (r.teacherKind !== 'sophisticated' && r.teacherKind !== 'deceptive') ||
        base.step === null ||
        !isNum(r.trainKL) ||
        !isNum(r.testKL)
      )
        return null;
      return {
        type: 'imitation',
        teacherKind: r.teacherKind,
        step: base.step,
        costUnits: base.costUnits ?? 0,
        trainKL: r.trainKL,
        testKL: r.testKL,
        ...(isNum(r.epoch) ? { epoch: r.epoch } : {}),
      };
    case 'teacher':
      if ((r.teacherKind !== 'sophisticated' && r.teacherKind !== 'deceptive') || !isNum(r.epoch)) return null;
      return {
        type: 'teacher',
        teacherKind: r.teacherKind,
        epoch: r.epoch,
        step: base.step ?? 0,
        trainLoss: numOrNull(r.trainLoss) ?? Number.NaN,
        trainAccuracy: numOrNull(r.trainAccuracy) ?? Number.NaN,
        testAccuracy: numOrNull(r.testAccuracy) ?? Number.NaN,
        testLoss: numOrNull(r.testLoss) ?? Number.NaN,
      };
    default:
      return null;
  }
}

/** The records of a metrics.jsonl text, in order, skipping torn and unknown lines. */
export function parseRecords(text: string): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = parseRecord(line);
    if (r) out.push(r);
  }
  return out;
}

/** summary.json of a training run (`lot train <domain>`), any domain. */
export interface TrainSummary {
  kind: string;
  method: Method;
  seed: number;
  status: RunStatus;
  /** The data set (or environment) the domain trained on. */
  dataset: string;
  teacher: string;
  /** The LoT students ('+'-joined), also on baselines (the LoT run they are compared with). */
  student: string;
  students: string[];
  epochs: number;
  epochsDone: number;
  baseEpochs: number;
  teacherSteps: number;
  costUnits: number;
  seconds: number;
  alpha: number;
  n: number;
  tau: number;
  metric: PrimaryMetric;
  /** The teacher's primary metric at the last evaluation, and its best over evaluations. */
  finalMetric: number | null;
  bestMetric: number | null;
  /** Each student's primary metric at the last evaluation. */
  finalStudentMetric: number[];
  /** Every metric of the last evaluation. */
  final: { teacher: ModelMetrics; students: ModelMetrics[] } | null;
  /** The final evaluation, when the domain makes one (language models: test split, best checkpoints). */
  test: { teacher: ModelMetrics; students: ModelMetrics[] } | null;
  error?: string;
}

/** The vision domain's metric, which run folders written before `metric` existed in summaries used. */
export const LEGACY_VISION_METRIC: PrimaryMetric = { key: 'testAccuracy', label: 'test accuracy', direction: 'max', percent: true };

/** A summary's metric, or null when it lacks a key (label defaults to the key, direction to 'max'). */
function primaryMetric(v: unknown): PrimaryMetric | null {
  if (!isObject(v) || typeof v.key !== 'string' || v.key === '') return null;
  return {
    key: v.key,
    label: typeof v.label === 'string' ? v.label : v.key,
    direction: v.direction === 'min' ? 'min' : 'max',
    percent: v.percent === true,
    ...(typeof v.finalKey === 'string' ? { finalKey: v.finalKey } : {}),
    ...(typeof v.finalLabel === 'string' ? { finalLabel: v.finalLabel } : {}),
    ...(isObject(v.progress) && typeof v.progress.key === 'string'
      ? { progress: { key: v.progress.key, label: typeof v.progress.label === 'string' ? v.progress.label : v.progress.key } }
      : {}),
    ...(typeof v.smoothedKey === 'string' ? { smoothedKey: v.smoothedKey } : {}),
    ...(isNum(v.threshold) ? { threshold: v.threshold } : {}),
  };
}

/** The metrics of teacher and students, when `v` holds them. */
function evaluationOf(v: unknown): { teacher: ModelMetrics; students: ModelMetrics[] } | null {
  if (!isObject(v) || !isObject(v.teacher)) return null;
  return { teacher: modelMetrics(v.teacher), students: Array.isArray(v.students) ? v.students.map(modelMetrics) : [] };
}

/**
 * Reads a training summary, also from folders written before the harness (vision summaries with
 * finalTestAccuracy / bestTestAccuracy / finalStudentTestAccuracy). Null when `raw` is not one.
 */
export function parseTrainSummary(raw: unknown): TrainSummary | null {
  if (!isObject(raw) || !isRunStatus(raw.status)) return null;
  const parsed = primaryMetric(raw.metric);
  // Without a metric we can read, the values are taken for what pre-harness (vision) summaries held.
  const legacy = parsed === null;
  const metric = parsed ?? LEGACY_VISION_METRIC;
  const studentMetrics = legacy ? raw.finalStudentTestAccuracy : raw.finalStudentMetric;
  const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
  return {
    kind: str(raw.kind, 'vision'),
    method: typeof raw.method === 'string' && isMethod(raw.method) ? raw.method : 'lot',
    seed: numOrNull(raw.seed) ?? 0,
    status: raw.status,
    dataset: str(raw.dataset, '?'),
    teacher: str(raw.teacher, '?'),
    student: str(raw.student),
    students: Array.isArray(raw.students) ? raw.students.map(String) : [],
    epochs: numOrNull(raw.epochs) ?? 0,
    epochsDone: numOrNull(raw.epochsDone) ?? 0,
    baseEpochs: numOrNull(raw.baseEpochs) ?? numOrNull(raw.epochs) ?? 0,
    teacherSteps: numOrNull(raw.teacherSteps) ?? 0,
    costUnits: numOrNull(raw.costUnits) ?? 0,
    seconds: numOrNull(raw.seconds) ?? 0,
    alpha: numOrNull(raw.alpha) ?? 0,
    n: numOrNull(raw.n) ?? 1,
    tau: numOrNull(raw.tau) ?? 1,
    metric,
    finalMetric: numOrNull(legacy ? raw.finalTestAccuracy : raw.finalMetric),
    bestMetric: numOrNull(legacy ? raw.bestTestAccuracy : raw.bestMetric),
    finalStudentMetric: Array.isArray(studentMetrics) ? studentMetrics.map((x) => numOrNull(x) ?? Number.NaN) : [],
    final: evaluationOf(raw.final),
    test: evaluationOf(raw.test),
    ...(typeof raw.error === 'string' ? { error: raw.error } : {}),
  };
}
