// Reading run folders for reports, through the harness's record schema (harness/records.ts):
// metrics.jsonl with parseRecords, summary.json with parseTrainSummary. config.json is read
// tolerantly for the grouping fields, which old or hand-made folders may lack.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { RunFolder, readJson } from '../harness/folder.js';
import { isMethod, type Method } from '../harness/methods.js';
import {
  LEGACY_VISION_METRIC,
  TEACHER_KINDS,
  parseRecords,
  parseTrainSummary,
  type EpochRecord,
  type EvalRecord,
  type ImitationRecord,
  type MetricRecord,
  type PrimaryMetric,
  type RunStatus,
  type TeacherKind,
  type TrainSummary,
} from '../harness/records.js';

/** The `kind` of imitability runs (an experiment, not a training domain). */
export const IMITABILITY_KIND = 'imitability';

export interface EpochPoint {
  epoch: number;
  step: number;
  costUnits: number;
  seconds: number;
  /** The run's primary metric (LoadedRun.metric) of the teacher and of the first student. */
  teacherMetric: number | null;
  studentMetric: number | null;
  /** The teacher's progress (metric.progress: agent steps) and smoothed metric (metric.smoothedKey) at this evaluation. */
  progress: number | null;
  smoothed: number | null;
  klTrain: number | null;
  klTest: number | null;
}

export type ImitationPoint = Pick<ImitationRecord, 'teacherKind' | 'step' | 'costUnits' | 'trainKL' | 'testKL'>;

export interface KLPair {
  trainKL: number;
  testKL: number;
}

/** What an imitability summary adds to a training summary's fields (src/imitability: ImitabilitySummary). */
export interface ImitabilityResults {
  /** Final KLs of each teacher's student. */
  final: Partial<Record<TeacherKind, KLPair>>;
  /** Mean KL over the students' training. */
  meanOverTraining: Partial<Record<TeacherKind, KLPair>>;
  /** Each teacher's fit. */
  teachers: Partial<Record<TeacherKind, { trainAccuracy: number | null; testAccuracy: number | null }>>;
}

export interface LoadedRun {
  dir: string;
  id: string;
  config: Record<string, unknown>;
  summary: TrainSummary | null;
  /** The imitability results of summary.json; null for training runs. */
  imitability: ImitabilityResults | null;
  /** The domain ('vision', …), or IMITABILITY_KIND. */
  kind: string;
  /** The number runs are compared by (test accuracy for vision). */
  metric: PrimaryMetric;
  method: Method;
  dataset: string;
  teacher: string;
  /** The student(s) of the LoT run this one belongs with ('+'-joined); baselines carry their pair's student too, or null. */
  student: string | null;
  seed: number | null;
  /** Epochs this run trained. */
  epochs: number | null;
  /** The LoT epochs it is compared with (equal-compute trains more); = epochs for LoT. */
  baseEpochs: number | null;
  /** Training subset sizes (null: the whole split). */
  subset: number | null;
  testSubset: number | null;
  alpha: number | null;
  n: number | null;
  tau: number | null;
  variant: string | null;
  /** summary.json's status, or 'incomplete' without a (readable) summary. */
  status: RunStatus | 'incomplete';
  epochsLog: EpochPoint[];
  imitation: ImitationPoint[];
  /** The teacher's primary metric at the last evaluation, and its best (by metric.direction). */
  finalMetric: number | null;
  bestMetric: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A summary string field, null where parseTrainSummary filled in its placeholder. */
const known = (s: string | undefined): string | null => (s && s !== '?' ? s : null);

/** Method names of older folders and hand-written configs, to the canonical ones. */
function normalizeMethod(v: unknown): Method | null {
  const s = str(v)?.toLowerCase().replace(/[_ ]/g, '-');
  if (!s) return null;
  if (s === 'teacher' || s === 'baseline') return 'teacher-only';
  if (s === 'equal') return 'equal-compute';
  return isMethod(s) ? s : null;
}

function epochPoint(r: EpochRecord | EvalRecord, metric: PrimaryMetric): EpochPoint {
  return {
    epoch: r.epoch,
    step: r.step,
    costUnits: r.costUnits,
    seconds: r.seconds,
    teacherMetric: r.teacher[metric.key] ?? null,
    studentMetric: r.students[0]?.[metric.key] ?? null,
    progress: metric.progress ? (r.teacher[metric.progress.key] ?? null) : null,
    smoothed: metric.smoothedKey ? (r.teacher[metric.smoothedKey] ?? null) : null,
    klTrain: r.kl.train,
    klTest: r.kl.test,
  };
}

/**
 * Evaluation points (epoch ends and --eval-every) in order; a resumed run may repeat one, and
 * the last record of each counts.
 */
function epochPoints(records: MetricRecord[], metric: PrimaryMetric): EpochPoint[] {
  const byEpoch = new Map<number, EpochPoint>();
  for (const r of records) if (r.type === 'epoch' || r.type === 'eval') byEpoch.set(r.epoch, epochPoint(r, metric));
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function imitationPoints(records: MetricRecord[]): ImitationPoint[] {
  return records
    .filter((r): r is ImitationRecord => r.type === 'imitation')
    .map(({ teacherKind, step, costUnits, trainKL, testKL }) => ({ teacherKind, step, costUnits, trainKL, testKL }));
}

function klPair(v: unknown): KLPair | null {
  if (!isObject(v)) return null;
  const trainKL = num(v.trainKL);
  const testKL = num(v.testKL);
  return trainKL === null || testKL === null ? null : { trainKL, testKL };
}

/** The imitability fields of a summary.json value (the training-summary schema does not hold them). */
function imitabilityResults(raw: unknown): ImitabilityResults {
  const out: ImitabilityResults = { final: {}, meanOverTraining: {}, teachers: {} };
  if (!isObject(raw)) return out;
  const final = isObject(raw.final) ? raw.final : {};
  const mean = isObject(raw.meanOverTraining) ? raw.meanOverTraining : {};
  const teachers = isObject(raw.teachers) ? raw.teachers : {};
  for (const kind of TEACHER_KINDS) {
    const f = klPair(final[kind]);
    const m = klPair(mean[kind]);
    const t = teachers[kind];
    if (f) out.final[kind] = f;
    if (m) out.meanOverTraining[kind] = m;
    if (isObject(t)) out.teachers[kind] = { trainAccuracy: num(t.trainAccuracy), testAccuracy: num(t.testAccuracy) };
  }
  return out;
}

function isImitability(config: Record<string, unknown>, raw: unknown, epochs: EpochPoint[], imitation: ImitationPoint[]): boolean {
  const summaryKind = isObject(raw) ? raw.kind : undefined;
  return (
    summaryKind === IMITABILITY_KIND ||
    config.command === IMITABILITY_KIND ||
    config.kind === IMITABILITY_KIND ||
    (imitation.length > 0 && epochs.length === 0)
  );
}

/** The better of two metric values by the metric's direction. */
const better = (metric: PrimaryMetric, a: number, b: number): number => (metric.direction === 'min' ? Math.min(a, b) : Math.max(a, b));

/** Reads one run folder. Torn or malformed metric lines are skipped. */
export const loadRun = (dir: string): LoadedRun => readRun(dir, LEGACY_VISION_METRIC);

/** A run folder; its primary metric is the summary's, else `fallbackMetric`. */
function readRun(dir: string, fallbackMetric: PrimaryMetric): LoadedRun {
  const folder = new RunFolder(dir);
  const raw = folder.readConfig();
  const config = isObject(raw) ? raw : {};
  const rawSummary = existsSync(folder.summaryPath) ? readJson(folder.summaryPath) : null;
  const summary = parseTrainSummary(rawSummary);
  const metric = summary?.metric ?? fallbackMetric;
  const records = existsSync(folder.metricsPath) ? parseRecords(readFileSync(folder.metricsPath, 'utf8')) : [];
  const epochsLog = epochPoints(records, metric);
  const imitation = imitationPoints(records);
  const imitability = isImitability(config, rawSummary, epochsLog, imitation);
  const values = epochsLog.map((e) => e.teacherMetric).filter((x): x is number => x !== null);
  return {
    dir,
    id: basename(dir),
    config,
    summary,
    imitability: imitability ? imitabilityResults(rawSummary) : null,
    kind: imitability ? IMITABILITY_KIND : (str(config.kind) ?? summary?.kind ?? 'vision'),
    metric,
    ...grouping(config, summary),
    status: summary?.status ?? 'incomplete',
    epochsLog,
    imitation,
    finalMetric: summary?.finalMetric ?? values.at(-1) ?? null,
    bestMetric: summary?.bestMetric ?? (values.length ? values.reduce((a, b) => better(metric, a, b)) : null),
  };
}

type Grouping = Pick<
  LoadedRun,
  | 'method'
  | 'dataset'
  | 'teacher'
  | 'student'
  | 'seed'
  | 'epochs'
  | 'baseEpochs'
  | 'subset'
  | 'testSubset'
  | 'alpha'
  | 'n'
  | 'tau'
  | 'variant'
>;

/** The fields runs are grouped by, from config.json (which may lack some) and the summary. */
function grouping(config: Record<string, unknown>, summary: TrainSummary | null): Grouping {
  const students = Array.isArray(config.students) && config.students.length ? config.students.map(String).join('+') : null;
  return {
    // config.json names the method a run was made with; the summary copies it (and says 'lot' when it has none).
    method:
      normalizeMethod(config.method) ??
      normalizeMethod(config.baseline) ??
      summary?.method ??
      (num(config.alpha) === 0 ? 'teacher-only' : 'lot'),
    dataset: known(summary?.dataset) ?? str(config.dataset) ?? '?',
    teacher: known(summary?.teacher) ?? str(config.teacher) ?? '?',
    student: known(summary?.student) ?? str(config.student) ?? students,
    seed: summary?.seed ?? num(config.seed),
    epochs: num(config.epochs) ?? summary?.epochs ?? null,
    baseEpochs: num(config.baseEpochs) ?? num(config.epochs) ?? summary?.baseEpochs ?? null,
    subset: num(config.subset),
    testSubset: num(config.testSubset),
    alpha: num(config.alpha) ?? summary?.alpha ?? null,
    n: num(config.n) ?? summary?.n ?? null,
    tau: num(config.tau) ?? summary?.tau ?? null,
    variant: str(config.variant),
  };
}

/**
 * Reads run folders. A run without a summary (it failed before writing one) does not name its
 * metric, so it takes the one of its domain's other runs, to land in their table.
 */
export function loadRuns(dirs: string[]): LoadedRun[] {
  const runs = dirs.map(loadRun);
  const metrics = new Map<string, PrimaryMetric>();
  for (const r of runs) if (r.summary && !metrics.has(r.kind)) metrics.set(r.kind, r.summary.metric);
  return runs.map((r) => {
    const metric = r.summary ? undefined : metrics.get(r.kind);
    return metric && metric.key !== r.metric.key ? readRun(r.dir, metric) : r;
  });
}
