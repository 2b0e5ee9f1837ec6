// Grouping runs into comparison rows and sections, and the Markdown tables.
import type { Method } from '../harness/methods.js';
import { TEACHER_KINDS, type PrimaryMetric, type TeacherKind } from '../harness/records.js';
import type { KLPair, LoadedRun } from './runs.js';
import { difference, formatMetric, formatMetricDifference, formatPercent, formatValue, stat, type Stat } from './stats.js';

export const METHOD_ORDER: Method[] = ['teacher-only', 'equal-compute', 'lot'];

/** One comparison: a domain and metric, a data set, a teacher/student pair, a LoT setting; runs of each method over seeds. */
export interface ComparisonRow {
  key: string;
  /** The domain ('vision', …). */
  kind: string;
  /** The primary metric the row compares (of its runs). */
  metric: PrimaryMetric;
  dataset: string;
  /** The data set with its subset sizes when not the whole data: "fashion-mnist (train 10000, test 2000)". */
  datasetLabel: string;
  teacher: string;
  student: string | null;
  baseEpochs: number | null;
  /** "α 0.5, N 2, τ 1.5, kl_ce" from the LoT runs, or null without them. */
  setting: string | null;
  runs: Record<Method, LoadedRun[]>;
  /** The teacher's final and best primary metric per method. */
  final: Record<Method, Stat | null>;
  best: Record<Method, Stat | null>;
  /** The teacher's metric in the final evaluation (the metric's `finalKey`: test perplexity on the best checkpoint), per method. */
  test: Record<Method, Stat | null>;
  /** LoT's (first) student, final primary metric. */
  studentFinal: Stat | null;
}

/** The rows of one domain and metric: one table, one set of plots. */
export interface Section {
  kind: string;
  metric: PrimaryMetric;
  rows: ComparisonRow[];
}

const fmtNum = (x: number | null): string => (x === null ? '?' : String(x));

function datasetLabel(r: LoadedRun): string {
  const parts: string[] = [];
  if (r.subset !== null) parts.push(`train ${r.subset}`);
  if (r.testSubset !== null) parts.push(`test ${r.testSubset}`);
  return parts.length ? `${r.dataset} (${parts.join(', ')})` : r.dataset;
}

const settingOf = (r: LoadedRun): string =>
  [`α ${fmtNum(r.alpha)}`, `N ${fmtNum(r.n)}`, `τ ${fmtNum(r.tau)}`, ...(r.variant ? [r.variant] : [])].join(', ');

/** The part of a row's identity that baselines share with LoT runs. */
const baseKey = (r: { kind: string; metric: PrimaryMetric; datasetLabel: string; teacher: string; baseEpochs: number | null }): string =>
  JSON.stringify([r.kind, r.metric.key, r.datasetLabel, r.teacher, r.baseEpochs]);

/**
 * One run per seed: when a seed was run more than once (a rerun in the same folder), the last
 * by folder name (run folders start with their creation time) counts. Runs without a seed all count.
 */
export function latestPerSeed(runs: LoadedRun[]): LoadedRun[] {
  const bySeed = new Map<number, LoadedRun>();
  const noSeed: LoadedRun[] = [];
  for (const r of [...runs].sort((a, b) => a.id.localeCompare(b.id))) {
    if (r.seed === null) noSeed.push(r);
    else bySeed.set(r.seed, r);
  }
  return [...bySeed.values(), ...noSeed];
}

/** Only finished runs enter the tables; the others are listed. */
export const isFinished = (r: LoadedRun): boolean => r.status === 'complete';

const values = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

/** Fills a row's statistics from its finished runs (the latest per seed). */
function summarize(row: ComparisonRow): void {
  for (const m of METHOD_ORDER) {
    const done = latestPerSeed(row.runs[m].filter(isFinished));
    row.final[m] = stat(values(done.map((r) => r.finalMetric)));
    row.best[m] = stat(values(done.map((r) => r.bestMetric)));
    const key = row.metric.finalKey;
    row.test[m] = key ? stat(values(done.map((r) => r.summary?.test?.teacher[key] ?? null))) : null;
  }
  const lot = latestPerSeed(row.runs.lot.filter(isFinished));
  row.studentFinal = stat(values(lot.map((r) => r.epochsLog.at(-1)?.studentMetric ?? null)));
}

/**
 * Groups training runs into rows. A row per (domain and metric, data set and subset, teacher,
 * student, LoT epochs, LoT setting) of the LoT runs; teacher-only and equal-compute runs join every
 * row with their domain, metric, data set, teacher and LoT epochs whose student matches theirs (a
 * baseline that names no student joins every such row). Baselines without any LoT run form rows of their own.
 */
export function groupRows(runs: LoadedRun[]): ComparisonRow[] {
  const rows = new Map<string, ComparisonRow>();
  const rowFor = (r: LoadedRun, student: string | null, setting: string | null): ComparisonRow => {
    const key = JSON.stringify([r.kind, r.metric.key, datasetLabel(r), r.teacher, student, r.baseEpochs, setting]);
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        kind: r.kind,
        metric: r.metric,
        dataset: r.dataset,
        datasetLabel: datasetLabel(r),
        teacher: r.teacher,
        student,
        baseEpochs: r.baseEpochs,
        setting,
        runs: { lot: [], 'teacher-only': [], 'equal-compute': [] },
        final: { lot: null, 'teacher-only': null, 'equal-compute': null },
        best: { lot: null, 'teacher-only': null, 'equal-compute': null },
        test: { lot: null, 'teacher-only': null, 'equal-compute': null },
        studentFinal: null,
      };
      rows.set(key, row);
    }
    return row;
  };
  for (const r of runs.filter((x) => x.method === 'lot')) rowFor(r, r.student, settingOf(r)).runs.lot.push(r);
  const lotRows = [...rows.values()];
  for (const r of runs.filter((x) => x.method !== 'lot')) {
    const key = baseKey({ ...r, datasetLabel: datasetLabel(r) });
    const targets = lotRows.filter((row) => baseKey(row) === key && (r.student === null || r.student === row.student));
    if (targets.length) for (const row of targets) row.runs[r.method].push(r);
    else rowFor(r, r.student, null).runs[r.method].push(r);
  }
  for (const row of rows.values()) summarize(row);
  return [...rows.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** The rows of `runs` by domain and metric, in the order of their keys (one section per metric of a domain). */
export function groupSections(runs: LoadedRun[]): Section[] {
  const sections = new Map<string, Section>();
  for (const row of groupRows(runs)) {
    const key = JSON.stringify([row.kind, row.metric.key]);
    const section = sections.get(key) ?? { kind: row.kind, metric: row.metric, rows: [] };
    section.rows.push(row);
    sections.set(key, section);
  }
  return [...sections.values()];
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The metric's last word, for table and file names: "test accuracy" → "accuracy", "valid perplexity" → "perplexity". */
export function metricNoun(metric: PrimaryMetric): string {
  const words = metric.label.trim().split(/\s+/);
  return (words.at(-1) ?? '').toLowerCase().replace(/[^a-z0-9_-]+/g, '') || 'metric';
}

/** The table's title: "Test accuracy of the teacher (%)", "Valid perplexity of the teacher (lower is better)". */
export function metricHeading(metric: PrimaryMetric): string {
  const better = metric.direction === 'min' ? 'lower is better' : metric.percent ? null : 'higher is better';
  const notes = [metric.percent ? '%' : null, better].filter((x): x is string => x !== null);
  return `${capitalize(metric.label)} of the teacher (${notes.join(', ')})`;
}

export const pairLabel = (row: { teacher: string; student: string | null }): string =>
  row.student ? `${row.teacher} → ${row.student}` : row.teacher;

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function markdownTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.map(escapeCell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * A section's table: final and best teacher primary metric per method, and LoT − teacher-only;
 * and the final evaluation (test perplexity on the best checkpoints) where the domain makes one.
 */
export function metricTable(section: Section): string {
  const { metric } = section;
  const header = [
    'data set',
    'teacher → student',
    'epochs',
    'LoT setting',
    'metric',
    'teacher-only',
    'equal compute',
    'LoT',
    `LoT − teacher-only${metric.percent ? ' (pp)' : ''}`,
  ];
  const body: string[][] = [];
  for (const row of section.rows) {
    const kinds = metric.finalKey ? (['final', 'best', 'test'] as const) : (['final', 'best'] as const);
    for (const which of kinds) {
      const s = row[which];
      const diff = s.lot && s['teacher-only'] ? difference(s.lot, s['teacher-only']) : null;
      body.push([
        row.datasetLabel,
        pairLabel(row),
        fmtNum(row.baseEpochs),
        row.setting ?? '—',
        which === 'test' ? (metric.finalLabel ?? 'final evaluation') : which,
        formatMetric(s['teacher-only'], metric),
        formatMetric(s['equal-compute'], metric),
        formatMetric(s.lot, metric),
        formatMetricDifference(diff, metric),
      ]);
    }
  }
  return markdownTable(header, body);
}

type ImitationStats = Record<
  'trainKL' | 'testKL' | 'meanTrainKL' | 'meanTestKL' | 'teacherTrainAccuracy' | 'teacherTestAccuracy',
  Stat | null
>;

export interface ImitabilityRow {
  label: string;
  runs: LoadedRun[];
  values: Record<TeacherKind, ImitationStats>;
}

const recordsOf = (r: LoadedRun, kind: TeacherKind) => r.imitation.filter((p) => p.teacherKind === kind);

/** The final train/test KL of a run's students for one teacher kind: summary.final, else the last record. */
export function finalImitation(r: LoadedRun, kind: TeacherKind): KLPair | null {
  const f = r.imitability?.final[kind];
  if (f) return f;
  const recs = recordsOf(r, kind);
  if (!recs.length) return null;
  const last = recs.reduce((a, b) => (b.step >= a.step ? b : a));
  return { trainKL: last.trainKL, testKL: last.testKL };
}

/** The mean KL over the students' training (lower: imitated faster): summary.meanOverTraining, else the mean of the records. */
export function meanImitation(r: LoadedRun, kind: TeacherKind): KLPair | null {
  const f = r.imitability?.meanOverTraining[kind];
  if (f) return f;
  const recs = recordsOf(r, kind);
  if (!recs.length) return null;
  return { trainKL: recs.reduce((a, p) => a + p.trainKL, 0) / recs.length, testKL: recs.reduce((a, p) => a + p.testKL, 0) / recs.length };
}

function imitationStats(done: LoadedRun[], kind: TeacherKind): ImitationStats {
  const finals = done.map((r) => finalImitation(r, kind));
  const means = done.map((r) => meanImitation(r, kind));
  const teachers = done.map((r) => r.imitability?.teachers[kind]);
  return {
    trainKL: stat(values(finals.map((f) => f?.trainKL ?? null))),
    testKL: stat(values(finals.map((f) => f?.testKL ?? null))),
    meanTrainKL: stat(values(means.map((f) => f?.trainKL ?? null))),
    meanTestKL: stat(values(means.map((f) => f?.testKL ?? null))),
    teacherTrainAccuracy: stat(values(teachers.map((t) => t?.trainAccuracy ?? null))),
    teacherTestAccuracy: stat(values(teachers.map((t) => t?.testAccuracy ?? null))),
  };
}

export function imitabilityRows(runs: LoadedRun[]): ImitabilityRow[] {
  const groups = new Map<string, LoadedRun[]>();
  for (const r of runs) {
    const label = [
      datasetLabel(r),
      r.teacher !== '?' ? r.teacher : null,
      r.student && r.student !== r.teacher ? `student ${r.student}` : null,
    ]
      .filter(Boolean)
      .join(', ');
    groups.set(label, [...(groups.get(label) ?? []), r]);
  }
  return [...groups.entries()].map(([label, rs]) => {
    const done = latestPerSeed(rs.filter(isFinished));
    return {
      label,
      runs: rs,
      values: { sophisticated: imitationStats(done, 'sophisticated'), deceptive: imitationStats(done, 'deceptive') },
    };
  });
}

export function imitabilityTable(rows: ImitabilityRow[]): string {
  const header = [
    'setting',
    'teacher',
    'teacher train acc. (%)',
    'teacher test acc. (%)',
    'final train KL',
    'final test KL',
    'mean train KL over training',
    'mean test KL over training',
  ];
  const body: string[][] = [];
  for (const row of rows) {
    for (const kind of TEACHER_KINDS) {
      const v = row.values[kind];
      body.push([
        row.label,
        kind,
        formatPercent(v.teacherTrainAccuracy, 2, false),
        formatPercent(v.teacherTestAccuracy, 2, false),
        formatValue(v.trainKL),
        formatValue(v.testKL),
        formatValue(v.meanTrainKL),
        formatValue(v.meanTestKL),
      ]);
    }
  }
  return markdownTable(header, body);
}

/** A run's curve of the primary metric against its progress measure (agent steps), in order. */
function progressCurve(run: LoadedRun): { x: number; y: number }[] {
  return run.epochsLog
    .filter((e) => e.progress !== null && e.teacherMetric !== null)
    .map((e) => ({ x: e.progress!, y: e.teacherMetric! }))
    .sort((a, b) => a.x - b.x);
}

/** The metric averaged over progress up to `budget` (area under the curve, trapezoids, over the range covered); null without two points. */
export function areaUnderCurve(curve: { x: number; y: number }[], budget: number): number | null {
  const pts = curve.filter((p) => p.x <= budget);
  if (pts.length < 2) return null;
  let area = 0;
  for (let i = 1; i < pts.length; i++) area += ((pts[i]!.y + pts[i - 1]!.y) / 2) * (pts[i]!.x - pts[i - 1]!.x);
  return area / (pts.at(-1)!.x - pts[0]!.x);
}

/** The progress at which the metric first reaches `threshold` (in its direction); null if it never does. */
export function progressToThreshold(curve: { x: number; y: number }[], threshold: number, direction: 'max' | 'min'): number | null {
  return curve.find((p) => (direction === 'max' ? p.y >= threshold : p.y <= threshold))?.x ?? null;
}

/**
 * For metrics with a progress measure (RL: return against agent steps): per method, the metric
 * averaged over progress (AUC) up to the LoT runs' budget, so equal compute's longer runs are
 * cut at the same point, and the progress needed to reach the metric's threshold.
 */
export function progressTable(section: Section): string {
  const { metric } = section;
  const unit = metric.progress?.label ?? 'progress';
  const threshold = metric.threshold;
  const header = [
    'data set',
    'teacher → student',
    'method',
    `mean ${metric.label} over training (AUC / ${unit})`,
    ...(threshold !== undefined ? [`${unit} to reach ${threshold}`, 'runs that reached it'] : []),
  ];
  const body: string[][] = [];
  for (const row of section.rows) {
    const budgetRuns = latestPerSeed(row.runs.lot.filter(isFinished));
    const reference = budgetRuns.length ? budgetRuns : latestPerSeed(row.runs['teacher-only'].filter(isFinished));
    const budget = Math.max(...reference.map((r) => progressCurve(r).at(-1)?.x ?? 0));
    for (const m of METHOD_ORDER) {
      const done = latestPerSeed(row.runs[m].filter(isFinished));
      if (!done.length) continue;
      const curves = done.map(progressCurve);
      const auc = stat(values(curves.map((c) => areaUnderCurve(c, budget))));
      const reached = threshold !== undefined ? curves.map((c) => progressToThreshold(c, threshold, metric.direction)) : [];
      body.push([
        row.datasetLabel,
        pairLabel(row),
        m,
        formatMetric(auc, metric),
        ...(threshold !== undefined ? [formatValue(stat(values(reached))), `${values(reached).length}/${done.length}`] : []),
      ]);
    }
  }
  return markdownTable(header, body);
}

/** The note under the progress table. */
export function progressExplanation(metric: PrimaryMetric): string {
  const unit = metric.progress?.label ?? 'progress';
  return (
    `*AUC*: the teacher's ${metric.label} averaged over ${unit} (trapezoids between evaluations) up to the ${unit} of the LoT runs, ` +
    `so that equal compute, which trains longer on more data, is compared over the same ${unit}; mean ± std over seeds.` +
    (metric.threshold !== undefined
      ? ` *${unit} to reach ${metric.threshold}*: the first evaluation at or past it, mean ± std over the runs that reached it (equal compute over its whole, longer run).`
      : '')
  );
}
