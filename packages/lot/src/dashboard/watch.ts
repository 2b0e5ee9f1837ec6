// The whole runs folder, polled: each poll lists what changed since the previous one, as the
// events the page receives. Polling (stat and read from an offset) rather than fs.watch, which
// misses changes on network filesystems, where the runs of several machines are shared.
import type { MetricRecord } from '../harness/records.js';
import type { RunsRoot } from './paths.js';
import { type RunRow, RunWatch } from './run-watch.js';
import { scanRunsFolder } from './scan.js';
import { type SweepRow, sweepRow } from './sweeps.js';

export type DashboardEvent =
  | { type: 'run'; data: RunRow }
  | { type: 'reset'; data: { id: string } }
  | { type: 'records'; data: { id: string; records: MetricRecord[] } }
  | { type: 'gone'; data: { id: string } }
  | { type: 'sweep'; data: SweepRow }
  | { type: 'sweep-gone'; data: { id: string } };

/** The sweep folder holding run `id`: the deepest sweep id that is a folder above it. */
const sweepOf = (id: string, sweeps: string[]): string | null =>
  sweeps.filter((s) => s === '' || id.startsWith(`${s}/`)).sort((a, b) => b.length - a.length)[0] ?? null;

export class FolderWatch {
  private readonly root: RunsRoot;
  private readonly runs = new Map<string, RunWatch>();
  /** The latest row of every run, for the sweeps' counts. */
  readonly rows = new Map<string, RunRow>();
  /** The latest row of every sweep, and its JSON (to tell a change). */
  readonly sweeps = new Map<string, SweepRow>();
  private readonly sweepJson = new Map<string, string>();

  constructor(root: RunsRoot) {
    this.root = root;
  }

  async poll(): Promise<DashboardEvent[]> {
    const real = this.root.real();
    const scan = real ? scanRunsFolder(real) : { runs: [], sweeps: [] };
    const events: DashboardEvent[] = [];
    const gone = (id: string) => {
      this.runs.delete(id);
      if (this.rows.delete(id)) events.push({ type: 'gone', data: { id } });
    };
    const present = new Set(scan.runs);
    for (const id of [...this.runs.keys()]) if (!present.has(id)) gone(id);
    for (const id of scan.runs) {
      let watch = this.runs.get(id);
      if (!watch) this.runs.set(id, (watch = new RunWatch(this.root, id)));
      const u = await watch.poll(sweepOf(id, scan.sweeps));
      if (u.gone) {
        gone(id);
        continue;
      }
      // The row first, so that a page meets a run before its records.
      if (u.row) {
        this.rows.set(id, u.row);
        events.push({ type: 'run', data: u.row });
      }
      if (u.reset) events.push({ type: 'reset', data: { id } });
      if (u.records.length) events.push({ type: 'records', data: { id, records: u.records } });
    }
    events.push(...this.pollSweeps(scan.sweeps));
    return events;
  }

  private pollSweeps(ids: string[]): DashboardEvent[] {
    const events: DashboardEvent[] = [];
    const present = new Set(ids);
    for (const id of [...this.sweepJson.keys()]) {
      if (present.has(id)) continue;
      this.sweeps.delete(id);
      this.sweepJson.delete(id);
      events.push({ type: 'sweep-gone', data: { id } });
    }
    for (const id of ids) {
      const row = sweepRow(this.root, id, this.rows);
      if (!row) continue;
      const json = JSON.stringify(row);
      if (this.sweepJson.get(id) === json) continue;
      this.sweepJson.set(id, json);
      this.sweeps.set(id, row);
      events.push({ type: 'sweep', data: row });
    }
    return events;
  }
}
