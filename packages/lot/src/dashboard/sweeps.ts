// A sweep folder as the page shows it: its grid (sweep.json, written by `lot sweep`) and where
// each of its runs stands, read off the run rows the watcher already has.
import { createHash } from 'node:crypto';
import { readSweep, type SweepGrid, type SweepRun } from '../harness/sweep.js';
import type { RunsRoot } from './paths.js';
import type { RunRow } from './run-watch.js';

/** A run of the sweep's manifest (method, α, N, τ, seed) with where it stands. */
export interface SweepRunRow extends Omit<SweepRun, 'id' | 'args'> {
  /** The run's id in the manifest, and its id under the runs folder (its row's). */
  name: string;
  id: string;
  /** Its row's status, or null when it has not started (no folder yet). */
  status: string | null;
}

export interface SweepRow {
  id: string;
  domain: string;
  grid: SweepGrid;
  /** What N means in the domain, for the ablation axis (sweep.json's nLabel). */
  nLabel: string | null;
  runs: SweepRunRow[];
  /** Runs per status ('not started' for those without a folder). */
  counts: Record<string, number>;
  /** Changes whenever a run's outcome does: the page refetches the ablation then. */
  version: string;
}

/** The sweep in folder `id` (relative to the runs folder), or null when its sweep.json cannot be read now. */
export function sweepRow(root: RunsRoot, id: string, rows: Map<string, RunRow>): SweepRow | null {
  const dir = root.resolve(id);
  if (!dir.ok) return null;
  let manifest: ReturnType<typeof readSweep>;
  try {
    manifest = readSweep(dir.path);
  } catch {
    return null; // being written or malformed: try again next poll
  }
  if (!manifest || !Array.isArray(manifest.runs)) return null;
  const runs = manifest.runs.map((r): SweepRunRow => {
    const runId = id ? `${id}/${r.id}` : r.id;
    return {
      name: r.id,
      id: runId,
      method: r.method,
      alpha: r.alpha,
      n: r.n,
      tau: r.tau,
      seed: r.seed,
      status: rows.get(runId)?.status ?? null,
    };
  });
  const counts: Record<string, number> = {};
  for (const r of runs) counts[r.status ?? 'not started'] = (counts[r.status ?? 'not started'] ?? 0) + 1;
  const outcomes = runs.map((r) => [r.id, r.status, rows.get(r.id)?.finalMetric ?? null]);
  return {
    id,
    domain: manifest.domain,
    grid: manifest.grid,
    nLabel: manifest.nLabel ?? null,
    runs,
    counts,
    version: createHash('sha1').update(JSON.stringify(outcomes)).digest('hex').slice(0, 12),
  };
}
