// Grouping runs into comparison rows and the Markdown tables.
import type { LoadedRun, Method } from './runs.js';
import { difference, formatDifference, formatPercent, formatValue, stat, type Stat } from './stats.js';

export const METHOD_LABEL: Record<Method, string> = { 'teacher-only': 'teacher-only', 'equal-compute': 'equal compute', lot: 'LoT' };
export const METHOD_ORDER: Method[] = ['teacher-only', 'equal-compute', 'lot'];

/** One comparison: a data set, a teacher/student pair, a LoT setting; runs of each method over seeds. */
export interface ComparisonRow {
  key: string;
  dataset: string;
  /** The data set with its subset sizes when not the whole data: "fashion-mnist (train 10000, test 2000)". */
  datasetLabel: string;
  teacher: string;
  student: string | null;
  baseEpochs: number | null;
  /** "α 0.5, N 2, τ 1.5, kl_ce" from the LoT runs, or null without them. */
  setting: string | null;
  runs: Record<Method, LoadedRun[]>;
  final: Record<Method, Stat | null>;
  best: Record<Method, Stat | null>;
  /** LoT's student(s), final test accuracy. */
  studentFinal: Stat | null;
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
const baseKey = (r: LoadedRun): string => JSON.stringify([datasetLabel(r), r.teacher, r.baseEpochs]);

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

/**
 * Groups classification runs into rows. A row per (data set and subset, teacher, student,
 * LoT epochs, LoT setting) of the LoT runs; teacher-only and equal-compute runs join every row
 * with their data set, teacher and LoT epochs whose student matches theirs (a baseline that
 * names no student joins every such row). Baselines without any LoT run form rows of their own.
 */
export function groupRows(runs: LoadedRun[]): ComparisonRow[] {
  const rows = new Map<string, ComparisonRow>();
  const empty = (): Record<Method, LoadedRun[]> => ({ lot: [], 'teacher-only': [], 'equal-compute': [] });
  const rowFor = (r: LoadedRun, student: string | null, setting: string | null): ComparisonRow => {
    const key = JSON.stringify([datasetLabel(r), r.teacher, student, r.baseEpochs, setting]);
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        dataset: r.dataset,
        datasetLabel: datasetLabel(r),
        teacher: r.teacher,
        student,
        baseEpochs: r.baseEpochs,
        setting,
        runs: empty(),
        final: { lot: null, 'teacher-only': null, 'equal-compute': null },
        best: { lot: null, 'teacher-only': null, 'equal-compute': null },
        studentFinal: null,
      };
      rows.set(key, row);
    }
    return row;
  };
  const lotRuns = runs.filter((r) => r.method === 'lot');
  for (const r of lotRuns) rowFor(r, r.student, settingOf(r)).runs.lot.push(r);
  const lotRows = [...rows.values()];
  for (const r of runs.filter((x) => x.method !== 'lot')) {
    const targets = lotRows.filter((row) => JSON.stringify([row.datasetLabel, row.teacher, row.baseEpochs]) === baseKey(r) && (r.student === null || r.student === row.student));
    if (targets.length) for (const row of targets) row.runs[r.method].push(r);
    else rowFor(r, r.student, null).runs[r.method].push(r);
  }
  for (const row of rows.values()) {
    for (const m of METHOD_ORDER) {
      const done = latestPerSeed(row.runs[m].filter(isFinished));
      row.final[m] = stat(done.map((r) => r.finalTestAccuracy).filter((x): x is number => x !== null));
      row.best[m] = stat(done.map((r) => r.bestTestAccuracy).filter((x): x is number => x !== null));
    }
    const studentFinals = latestPerSeed(row.runs.lot.filter(isFinished))
      .map((r) => (r.epochsLog.length ? r.epochsLog[r.epochsLog.length - 1]!.studentTestAccuracy : null))
      .filter((x): x is number => x !== null);
    row.studentFinal = stat(studentFinals);
  }
  return [...rows.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export const pairLabel = (row: { teacher: string; student: string | null }): string => (row.student ? `${row.teacher} → ${row.student}` : row.teacher);

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function markdownTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.map(escapeCell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

/** The accuracy table: final and best teacher test accuracy (%) per method, and LoT − teacher-only. */
export function accuracyTable(rows: ComparisonRow[]): string {
  const header = ['data set', 'teacher → student', 'epochs', 'LoT setting', 'metric', 'teacher-only', 'equal compute', 'LoT', 'LoT − teacher-only (pp)'];
  const body: string[][] = [];
  for (const row of rows) {
    for (const which of ['final', 'best'] as const) {
      const s = row[which];
      const diff = s.lot && s['teacher-only'] ? difference(s.lot, s['teacher-only']) : null;
      body.push([
        row.datasetLabel,
        pairLabel(row),
        fmtNum(row.baseEpochs),
        row.setting ?? '—',
        which,
        formatPercent(s['teacher-only']),
        formatPercent(s['equal-compute']),
        formatPercent(s.lot),
        formatDifference(diff),
      ]);
    }
  }
  return markdownTable(header, body);
}

type Kind = 'sophisticated' | 'deceptive';
type ImitationStats = Record<'trainKL' | 'testKL' | 'meanTrainKL' | 'meanTestKL' | 'teacherTrainAccuracy' | 'teacherTestAccuracy', Stat | null>;

export interface ImitabilityRow {
  label: string;
  runs: LoadedRun[];
  values: Record<Kind, ImitationStats>;
}

const pairOf = (v: unknown): { trainKL: number; testKL: number } | null => {
  const f = v as Record<string, unknown> | undefined;
  return f && typeof f.trainKL === 'number' && typeof f.testKL === 'number' ? { trainKL: f.trainKL, testKL: f.testKL } : null;
};

/** The final train/test KL of a run's students for one teacher kind: summary.final, else the last record. */
export function finalImitation(r: LoadedRun, kind: Kind): { trainKL: number; testKL: number } | null {
  const f = pairOf((r.summary?.final as Record<string, unknown> | undefined)?.[kind]);
  if (f) return f;
  const recs = r.imitation.filter((p) => p.teacherKind === kind);
  if (!recs.length) return null;
  const last = recs.reduce((a, b) => (b.step >= a.step ? b : a));
  return { trainKL: last.trainKL, testKL: last.testKL };
}

/** The mean KL over the students' training (lower: imitated faster): summary.meanOverTraining, else the mean of the records. */
export function meanImitation(r: LoadedRun, kind: Kind): { trainKL: number; testKL: number } | null {
  const f = pairOf((r.summary?.meanOverTraining as Record<string, unknown> | undefined)?.[kind]);
  if (f) return f;
  const recs = r.imitation.filter((p) => p.teacherKind === kind);
  if (!recs.length) return null;
  return { trainKL: recs.reduce((a, p) => a + p.trainKL, 0) / recs.length, testKL: recs.reduce((a, p) => a + p.testKL, 0) / recs.length };
}

function teacherAccuracy(r: LoadedRun, kind: Kind): { train: number | null; test: number | null } {
  const t = (r.summary?.teachers as Record<string, Record<string, unknown>> | undefined)?.[kind];
  const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { train: n(t?.trainAccuracy), test: n(t?.testAccuracy) };
}

export function imitabilityRows(runs: LoadedRun[]): ImitabilityRow[] {
  const groups = new Map<string, LoadedRun[]>();
  for (const r of runs) {
    const label = [datasetLabel(r), r.teacher !== '?' ? r.teacher : null, r.student && r.student !== r.teacher ? `student ${r.student}` : null].filter(Boolean).join(', ');
    groups.set(label, [...(groups.get(label) ?? []), r]);
  }
  const nums = (xs: (number | null | undefined)[]): number[] => xs.filter((x): x is number => typeof x === 'number');
  return [...groups.entries()].map(([label, rs]) => {
    const done = latestPerSeed(rs.filter(isFinished));
    const values = {} as ImitabilityRow['values'];
    for (const kind of ['sophisticated', 'deceptive'] as const) {
      const finals = done.map((r) => finalImitation(r, kind));
      const means = done.map((r) => meanImitation(r, kind));
      const acc = done.map((r) => teacherAccuracy(r, kind));
      values[kind] = {
        trainKL: stat(nums(finals.map((f) => f?.trainKL))),
        testKL: stat(nums(finals.map((f) => f?.testKL))),
        meanTrainKL: stat(nums(means.map((f) => f?.trainKL))),
        meanTestKL: stat(nums(means.map((f) => f?.testKL))),
        teacherTrainAccuracy: stat(nums(acc.map((a) => a.train))),
        teacherTestAccuracy: stat(nums(acc.map((a) => a.test))),
      };
    }
    return { label, runs: rs, values };
  });
}

export function imitabilityTable(rows: ImitabilityRow[]): string {
  const header = ['setting', 'teacher', 'teacher train acc. (%)', 'teacher test acc. (%)', 'final train KL', 'final test KL', 'mean train KL over training', 'mean test KL over training'];
  const body: string[][] = [];
  for (const row of rows) {
    for (const kind of ['sophisticated', 'deceptive'] as const) {
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
