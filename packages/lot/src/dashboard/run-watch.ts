// One run folder as the dashboard follows it: the records appended to metrics.jsonl since the
// last poll, and its row (what it is, from report/runs.ts's loadRun; how far it got, from the
// records and config.json). loadRun is called again only when config.json or summary.json
// change (the harness rewrites the summary at every evaluation), not at every new line.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Method } from '../harness/methods.js';
import { type MetricRecord, type PrimaryMetric, parseRecord, type RunStatus } from '../harness/records.js';
import { type LoadedRun, loadRun } from '../report/runs.js';
import { formatMetricValue } from '../report/stats.js';
import type { RunsRoot } from './paths.js';
import { freshLive, type Live, observe, type Progress, progressOf } from './progress.js';
import { LineTail } from './tail.js';

/** A run as the page lists it. */
export interface RunRow {
  /** Its folder relative to the runs folder, '/'-separated. */
  id: string;
  /** The sweep folder it belongs to, or null. */
  sweep: string | null;
  /** The domain ('vision', 'lm', 'rl', 'imitability'). */
  kind: string;
  method: Method;
  seed: number | null;
  dataset: string;
  teacher: string;
  student: string | null;
  alpha: number | null;
  n: number | null;
  tau: number | null;
  status: RunStatus | 'incomplete';
  metric: PrimaryMetric;
  finalMetric: number | null;
  /** finalMetric as `lot report` prints it ("85.00%", "82.3", "—"). */
  finalText: string;
  progress: Progress;
  /** config.json's createdAt. */
  createdAt: string | null;
  /** When one of its files last changed (ms since the epoch). */
  updatedAt: number | null;
  /** summary.json's error of a failed run. */
  error: string | null;
}

export interface RunUpdate {
  /** The run folder (its config.json) is not there any more. */
  gone: boolean;
  /** metrics.jsonl was truncated or replaced: drop its earlier records (`records` start over). */
  reset: boolean;
  records: MetricRecord[];
  /** The row, when it changed since the last poll (always on the first). */
  row: RunRow | null;
}

export class RunWatch {
  readonly id: string;
  private readonly root: RunsRoot;
  private tail: LineTail | null = null;
  private live: Live = freshLive();
  private stamps: string | null = null;
  private loaded: LoadedRun | null = null;
  private lastRow = '';

  constructor(root: RunsRoot, id: string) {
    this.root = root;
    this.id = id;
  }

  private rel = (name: string): string => (this.id ? `${this.id}/${name}` : name);

  /** The file's path when it is inside the runs folder (links followed), else null. */
  private file(name: string): string | null {
    const r = this.root.resolveFile(this.rel(name));
    return r.ok ? r.path : null;
  }

  /** A file's inode, size and time, or null when it is not there. */
  private async statOf(path: string | null): Promise<Stats | null> {
    if (!path) return null;
    try {
      return await stat(path);
    } catch {
      return null;
    }
  }

  async poll(sweep: string | null): Promise<RunUpdate> {
    const config = this.file('config.json');
    // loadRun reads the folder's files itself: none may be a link leading outside.
    const outside = ['summary.json', 'metrics.jsonl'].some((name) => {
      const r = this.root.resolve(this.rel(name));
      return !r.ok && r.status === 403;
    });
    if (!config || outside) return { gone: true, reset: false, records: [], row: null };
    const files = [await this.statOf(config), await this.statOf(this.file('summary.json'))];
    const stamps = files.map((s) => (s ? `${s.ino}:${s.size}:${s.mtimeMs}` : '-')).join('|');
    if (stamps !== this.stamps || !this.loaded) {
      try {
        this.loaded = loadRun(dirname(config));
        this.stamps = stamps;
      } catch {
        // Deleted or being replaced while we read: keep what we had and try again next poll.
        if (!this.file('config.json')) return { gone: true, reset: false, records: [], row: null };
      }
    }
    // Records wait until the run has a row, so that none reaches a page before its run.
    if (!this.loaded) return { gone: false, reset: false, records: [], row: null };
    const { reset, records } = await this.readRecords();
    const times = [...files.map((s) => s?.mtimeMs ?? null), this.tail?.modified ?? null].filter((t): t is number => t !== null);
    const row = this.row(this.loaded, sweep, times.length ? Math.round(Math.max(...times)) : null);
    const json = JSON.stringify(row);
    const changed = json !== this.lastRow;
    this.lastRow = json;
    return { gone: false, reset, records, row: changed ? row : null };
  }

  private async readRecords(): Promise<{ reset: boolean; records: MetricRecord[] }> {
    const path = this.file('metrics.jsonl');
    if (!path) {
      // Not written yet, deleted, or a link leading outside: nothing to show.
      const reset = this.tail !== null && this.tail.position > 0;
      this.tail = null;
      if (reset) this.live = freshLive();
      return { reset, records: [] };
    }
    if (this.tail?.path !== path) this.tail = new LineTail(path);
    const read = await this.tail.read();
    if (read.reset) this.live = freshLive();
    const records = read.lines.map(parseRecord).filter((r): r is MetricRecord => r !== null);
    for (const r of records) observe(this.live, r);
    return { reset: read.reset, records };
  }

  private row(r: LoadedRun, sweep: string | null, updatedAt: number | null): RunRow {
    const createdAt = typeof r.config.createdAt === 'string' ? r.config.createdAt : null;
    return {
      id: this.id,
      sweep,
      kind: r.kind,
      method: r.method,
      seed: r.seed,
      dataset: r.dataset,
      teacher: r.teacher,
      student: r.student,
      alpha: r.alpha,
      n: r.n,
      tau: r.tau,
      status: r.status,
      metric: r.metric,
      finalMetric: r.finalMetric,
      finalText: formatMetricValue(r.finalMetric, r.metric),
      progress: progressOf(r.config, this.live, r.status),
      createdAt,
      updatedAt,
      error: r.summary?.error ?? null,
    };
  }
}
