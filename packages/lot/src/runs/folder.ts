// Run folders: one directory per run, holding
//   config.json     the resolved configuration (everything needed to rerun or resume)
//   metrics.jsonl   one JSON object per line: {"type":"epoch",...}, {"type":"step",...},
//                   {"type":"imitation",...}
//   checkpoint.pt   the latest checkpoint (torch.save format, written atomically)
//   summary.json    the outcome: status "running" | "complete" | "interrupted" | "failed"
// Every whole-file write is atomic (temporary file, fsync, rename); metrics are
// appended one whole line per write, so a crash loses at most the line being written
// and a torn last line is ignored when reading.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as torch from '@lot/torch';

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

export interface StudentEval {
  testAccuracy: number;
  testLoss: number;
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Teacher steps taken so far. */
  step: number;
  /** Training cost so far, in forward-pass units (LOT.md: teacher-only 3 per step). */
  costUnits: number;
  /** Training seconds so far (evaluation excluded). */
  seconds: number;
  teacher: { testAccuracy: number; testLoss: number; trainLoss: number; trainAccuracy: number };
  students: StudentEval[];
  /** KLτ(student ‖ teacher) averaged over train batches and over the test set (first student); null without students. */
  kl: { train: number | null; test: number | null };
  lr?: number;
}

export interface StepRecord {
  type: 'step';
  epoch: number;
  step: number;
  costUnits: number;
  seconds: number;
  [metric: string]: unknown;
}

export interface ImitationRecord {
  type: 'imitation';
  teacherKind: 'sophisticated' | 'deceptive';
  step: number;
  costUnits: number;
  trainKL: number;
  testKL: number;
  epoch?: number;
}

export interface TeacherFitRecord {
  type: 'teacher';
  teacherKind: 'sophisticated' | 'deceptive';
  epoch: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
}

export type MetricRecord = EpochRecord | StepRecord | ImitationRecord | TeacherFitRecord;

/** Writes `text` to `path` atomically: a crash leaves the old file or the new one, never half. */
export const writeFileAtomic = torch.writeFileAtomic;

export const writeJsonAtomic = (path: string, value: unknown): void => writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const stamp = (d = new Date()): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export class RunFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get id(): string {
    return basename(this.dir);
  }
  get configPath(): string {
    return join(this.dir, 'config.json');
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get checkpointPath(): string {
    return join(this.dir, 'checkpoint.pt');
  }
  get summaryPath(): string {
    return join(this.dir, 'summary.json');
  }
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Makes a new run folder `<runsDir>/<name>` (with -2, -3… if taken) and writes its config. */
  static create(runsDir: string, name: string, config: unknown): RunFolder {
    mkdirSync(runsDir, { recursive: true });
    for (let k = 1; ; k++) {
      const dir = join(runsDir, k === 1 ? name : `${name}-${k}`);
      try {
        mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const run = new RunFolder(dir);
      run.writeConfig(config);
      writeFileAtomic(run.metricsPath, '');
      return run;
    }
  }

  /** A name for a new run: `<time>-<parts...>`, e.g. 20261130-001500-lot-fashion-mnist-seed0. */
  static name(parts: (string | number)[], time = new Date()): string {
    return [stamp(time), ...parts].map(String).join('-').replace(/[^A-Za-z0-9_.-]+/g, '_');
  }

  /** Opens an existing run folder; throws a one-line Error when it is not one. */
  static open(dir: string): RunFolder {
    const run = new RunFolder(dir);
    if (!existsSync(run.dir) || !statSync(run.dir).isDirectory()) throw new Error(`no run folder at ${dir}`);
    if (!existsSync(run.configPath)) throw new Error(`${dir} is not a run folder (no config.json)`);
    return run;
  }

  static isRun(dir: string): boolean {
    return existsSync(join(dir, 'config.json'));
  }

  /** Run folders at `dir` itself or directly below it (a runs directory), sorted. */
  static expand(dir: string): string[] {
    if (RunFolder.isRun(dir)) return [resolve(dir)];
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
    return readdirSync(dir)
      .map((n) => join(dir, n))
      .filter((p) => statSync(p).isDirectory() && RunFolder.isRun(p))
      .map((p) => resolve(p))
      .sort();
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(this.configPath, config);
  }
  readConfig<T>(): T {
    return readJson<T>(this.configPath);
  }

  appendMetric(record: MetricRecord): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(record)}\n`);
  }

  /** The metric records, in order; a torn last line (crash mid-write) is skipped. */
  readMetrics(): MetricRecord[] {
    if (!existsSync(this.metricsPath)) return [];
    const out: MetricRecord[] = [];
    for (const line of readFileSync(this.metricsPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricRecord);
      } catch {
        // a torn line from a crash: skip it
      }
    }
    return out;
  }

  /** Rewrites metrics.jsonl keeping only the records `keep` accepts (used when resuming). */
  filterMetrics(keep: (r: MetricRecord) => boolean): void {
    const kept = this.readMetrics().filter(keep);
    writeFileAtomic(this.metricsPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  writeSummary(summary: Record<string, unknown>): void {
    writeJsonAtomic(this.summaryPath, summary);
  }
  readSummary<T = Record<string, unknown>>(): T | null {
    return existsSync(this.summaryPath) ? readJson<T>(this.summaryPath) : null;
  }
  hasCheckpoint(): boolean {
    return existsSync(this.checkpointPath);
  }
}
