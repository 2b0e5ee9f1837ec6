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
import { parseRecords, type MetricRecord } from './records.js';

/** Writes `text` to `path` atomically: a crash leaves the old file or the new one, never half. */
export const writeFileAtomic = torch.writeFileAtomic;

export const writeJsonAtomic = (path: string, value: unknown): void => writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

/** A JSON file's value; a missing or malformed file is a one-line Error naming it. */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

const stamp = (d = new Date()): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export class RunFolder {
  readonly dir: string;
  /** False for a replica: a data-parallel rank other than 0, which reads the folder and writes nothing. */
  get writes(): boolean {
    return true;
  }

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

  /** Makes the run folder `dir` itself (its parents too) and writes its config; `dir` must not hold a run yet. */
  static createAt(dir: string, config: unknown): RunFolder {
    mkdirSync(dir, { recursive: true });
    const run = new RunFolder(dir);
    if (existsSync(run.configPath)) throw new Error(`${dir} already holds a run (config.json)`);
    run.writeConfig(config);
    writeFileAtomic(run.metricsPath, '');
    return run;
  }

  /** A name for a new run: `<time>-<parts...>`, e.g. 20261130-001500-lot-fashion-mnist-seed0. */
  static name(parts: (string | number)[], time = new Date()): string {
    return [stamp(time), ...parts]
      .map(String)
      .join('-')
      .replace(/[^A-Za-z0-9_.-]+/g, '_');
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

  writeConfig(config: unknown): void {
    writeJsonAtomic(this.configPath, config);
  }
  /** config.json as written; the domain's config parser checks its fields. */
  readConfig(): unknown {
    return readJson(this.configPath);
  }

  appendMetric(record: MetricRecord): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(record)}\n`);
  }

  /** The metric records, in order; a torn last line (crash mid-write) is skipped. */
  readMetrics(): MetricRecord[] {
    return existsSync(this.metricsPath) ? parseRecords(readFileSync(this.metricsPath, 'utf8')) : [];
  }

  /** Rewrites metrics.jsonl keeping only the records `keep` accepts (used when resuming). */
  filterMetrics(keep: (r: MetricRecord) => boolean): void {
    const kept = this.readMetrics().filter(keep);
    writeFileAtomic(this.metricsPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  writeSummary(summary: object): void {
    writeJsonAtomic(this.summaryPath, summary);
  }
  readSummary(): unknown {
    return existsSync(this.summaryPath) ? readJson(this.summaryPath) : null;
  }
  hasCheckpoint(): boolean {
    return existsSync(this.checkpointPath);
  }

  /** This folder as a rank other than 0 sees it: `config` (default: config.json, read now) and no writes. */
  replica(config: unknown = this.readConfig()): RunFolder {
    return new ReplicaRunFolder(this.dir, config);
  }
}

/** A rank > 0's view of a data-parallel run's folder: rank 0 writes it; this one reads its checkpoint only. */
class ReplicaRunFolder extends RunFolder {
  private readonly config: unknown;
  constructor(dir: string, config: unknown) {
    super(dir);
    this.config = config;
  }
  override get writes(): boolean {
    return false;
  }
  override readConfig(): unknown {
    return this.config;
  }
  override writeConfig(): void {}
  override appendMetric(): void {}
  override filterMetrics(): void {}
  override writeSummary(): void {}
  override replica(): RunFolder {
    return this;
  }
}

const isDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // deleted while we looked
  }
};

const subfolders = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter(isDirectory);

/**
 * The run folders a path names: itself when it is one, else the run folders one level below it,
 * or, when that level holds none, the next one down, up to `depth` levels (a group folder holds
 * runs; a runs folder holds groups). Sorted. The shallowest level holding runs wins, so that a
 * group's other folders (a report, a backup) are not searched. Throws a one-line Error when the
 * path is missing or holds none.
 */
export function findRunFolders(path: string, depth = 2): string[] {
  const dir = resolve(path);
  if (RunFolder.isRun(dir)) return [dir];
  if (!existsSync(dir)) throw new Error(`no such folder: ${path}`);
  if (!isDirectory(dir)) throw new Error(`${path} is not a folder`);
  let level = [dir];
  for (let d = 1; d <= depth; d++) {
    level = level.flatMap(subfolders);
    const runs = level.filter((p) => RunFolder.isRun(p));
    if (runs.length) return runs;
  }
  throw new Error(`${path} is neither a run folder (no config.json) nor a folder of run folders`);
}
