// Reading run folders for reports: config.json, metrics.jsonl, summary.json.
// A path given to the report may be a run folder or a folder of run folders (one level).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export type Method = 'lot' | 'teacher-only' | 'equal-compute';

export interface EpochPoint {
  epoch: number;
  step: number | null;
  costUnits: number | null;
  seconds: number | null;
  teacherTestAccuracy: number | null;
  studentTestAccuracy: number | null;
  klTrain: number | null;
  klTest: number | null;
}

export interface ImitationPoint {
  teacherKind: 'sophisticated' | 'deceptive';
  step: number;
  costUnits: number | null;
  trainKL: number;
  testKL: number;
}

export interface LoadedRun {
  dir: string;
  id: string;
  config: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  kind: 'classification' | 'imitability';
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
  status: string;
  epochsLog: EpochPoint[];
  imitation: ImitationPoint[];
  finalTestAccuracy: number | null;
  bestTestAccuracy: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export const isRunDir = (dir: string): boolean => existsSync(join(dir, 'config.json'));

const subdirs = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return false;
      }
    });

/** The run folders a path names: itself, or the run folders inside it (one level, else two), sorted. */
export function expandRunDirs(path: string): string[] {
  const dir = resolve(path);
  if (isRunDir(dir)) return [dir];
  if (!existsSync(dir)) throw new Error(`${path}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`${path} is not a folder`);
  let runs = subdirs(dir).filter(isRunDir);
  if (runs.length === 0) runs = subdirs(dir).flatMap((d) => subdirs(d).filter(isRunDir));
  if (runs.length === 0) throw new Error(`${path} is neither a run folder (no config.json) nor a folder of run folders`);
  return runs;
}

function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return obj(JSON.parse(text));
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

function normalizeMethod(v: unknown): Method | null {
  const s = str(v)?.toLowerCase().replace(/[_ ]/g, '-');
  if (!s) return null;
  if (s === 'lot') return 'lot';
  if (s === 'teacher-only' || s === 'teacher' || s === 'baseline') return 'teacher-only';
  if (s === 'equal-compute' || s === 'equal') return 'equal-compute';
  return null;
}

/** Reads one run folder. Torn or malformed metric lines are skipped. */
export function loadRun(dir: string): LoadedRun {
  const config = readJsonFile(join(dir, 'config.json'));
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? readJsonFile(summaryPath) : null;
  const s = summary ?? {};
  const epochsLog: EpochPoint[] = [];
  const imitation: ImitationPoint[] = [];
  const metricsPath = join(dir, 'metrics.jsonl');
  if (existsSync(metricsPath)) {
    for (const line of readFileSync(metricsPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let r: Record<string, unknown>;
      try {
        r = obj(JSON.parse(line));
      } catch {
        continue; // a torn last line from a crash
      }
      if (r.type === 'epoch') {
        const epoch = num(r.epoch);
        if (epoch === null) continue;
        const teacher = obj(r.teacher);
        const students = Array.isArray(r.students) ? r.students.map(obj) : [];
        const kl = obj(r.kl);
        epochsLog.push({
          epoch,
          step: num(r.step),
          costUnits: num(r.costUnits),
          seconds: num(r.seconds),
          teacherTestAccuracy: num(teacher.testAccuracy),
          studentTestAccuracy: students.length ? num(students[0]!.testAccuracy) : null,
          klTrain: num(kl.train),
          klTest: num(kl.test),
        });
      } else if (r.type === 'imitation') {
        const kind = r.teacherKind;
        const step = num(r.step);
        const trainKL = num(r.trainKL);
        const testKL = num(r.testKL);
        if ((kind !== 'sophisticated' && kind !== 'deceptive') || step === null || trainKL === null || testKL === null) continue;
        imitation.push({ teacherKind: kind, step, costUnits: num(r.costUnits), trainKL, testKL });
      }
    }
  }
  // A resumed run may repeat epochs: keep the last record of each.
  const byEpoch = new Map<number, EpochPoint>();
  for (const e of epochsLog) byEpoch.set(e.epoch, e);
  const epochs = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);

  const kind: LoadedRun['kind'] =
    s.kind === 'imitability' || config.command === 'imitability' || config.kind === 'imitability' || (imitation.length > 0 && epochs.length === 0) ? 'imitability' : 'classification';
  let method = normalizeMethod(s.method) ?? normalizeMethod(config.method) ?? normalizeMethod(config.baseline);
  if (!method) method = num(config.alpha) === 0 ? 'teacher-only' : 'lot';
  const accs = epochs.map((e) => e.teacherTestAccuracy).filter((a): a is number => a !== null);
  const status = str(s.status) ?? (summary ? 'complete' : 'incomplete');
  return {
    dir,
    id: basename(dir),
    config,
    summary,
    kind,
    method,
    dataset: str(s.dataset) ?? str(config.dataset) ?? '?',
    teacher: str(s.teacher) ?? str(config.teacher) ?? '?',
    student: str(s.student) ?? str(config.student) ?? (Array.isArray(config.students) && config.students.length ? config.students.map(String).join('+') : null),
    seed: num(s.seed) ?? num(config.seed),
    epochs: num(config.epochs),
    baseEpochs: num(config.baseEpochs) ?? num(config.epochs),
    subset: num(config.subset),
    testSubset: num(config.testSubset),
    alpha: num(config.alpha),
    n: num(config.n),
    tau: num(config.tau),
    variant: str(config.variant),
    status,
    epochsLog: epochs,
    imitation,
    finalTestAccuracy: num(s.finalTestAccuracy) ?? (accs.length ? accs[accs.length - 1]! : null),
    bestTestAccuracy: num(s.bestTestAccuracy) ?? (accs.length ? Math.max(...accs) : null),
  };
}
