// Sweeps: a grid of LoT settings (α × N × τ × seeds) with its baselines, expanded into one
// `lot train … --run-dir` command per run, kept in a sweep folder with its manifest, and run k
// at a time as child processes. A run is its own process, so one that fails leaves the others
// going; rerunning the sweep skips complete runs and resumes the rest from their checkpoints.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { readJson, writeJsonAtomic } from './folder.js';
import { forwardSignals } from './launch.js';
import type { Method } from './methods.js';

export interface SweepGrid {
  alpha: number[];
  n: number[];
  tau: number[];
  seeds: number[];
  methods: Method[];
}

/** One run of a sweep: its folder name and the flags that make it (after the sweep's shared ones). */
export interface SweepRun {
  id: string;
  method: Method;
  /** The cell it belongs to (null where the method does not depend on it). */
  alpha: number | null;
  n: number | null;
  tau: number | null;
  seed: number;
  args: string[];
}

export interface SweepManifest {
  format: 'lot-sweep';
  version: 1;
  domain: string;
  grid: SweepGrid;
  /** The flags every run shares (the domain's, the budget's…), as given. */
  shared: string[];
  /** What N is in this domain, for the ablation plots' axis. */
  nLabel?: string;
  runs: SweepRun[];
}

export const MANIFEST = 'sweep.json';

/**
 * The runs of a grid: LoT for every (τ, α, N, seed); teacher-only once per seed (it has no α, N
 * or τ); equal compute once per (N, seed), since its budget is LoT's cost at that N.
 */
export function expandSweep(grid: SweepGrid): SweepRun[] {
  const runs: SweepRun[] = [];
  const flags = (method: Method, seed: number, more: string[]) => ['--methods', method, '--seeds', String(seed), ...more];
  for (const seed of grid.seeds) {
    if (grid.methods.includes('lot')) {
      for (const tau of grid.tau) {
        for (const alpha of grid.alpha) {
          for (const n of grid.n) {
            runs.push({
              id: `lot-tau${tau}-alpha${alpha}-n${n}-seed${seed}`,
              method: 'lot',
              alpha,
              n,
              tau,
              seed,
              args: flags('lot', seed, ['--alpha', String(alpha), '--n', String(n), '--tau', String(tau)]),
            });
          }
        }
      }
    }
    if (grid.methods.includes('teacher-only')) {
      runs.push({
        id: `teacher-only-seed${seed}`,
        method: 'teacher-only',
        alpha: null,
        n: null,
        tau: null,
        seed,
        args: flags('teacher-only', seed, []),
      });
    }
    if (grid.methods.includes('equal-compute')) {
      for (const n of grid.n) {
        runs.push({
          id: `equal-compute-n${n}-seed${seed}`,
          method: 'equal-compute',
          alpha: null,
          n,
          tau: null,
          seed,
          args: flags('equal-compute', seed, ['--n', String(n)]),
        });
      }
    }
  }
  return runs;
}

/** The sweep folder's manifest, written the first time; a later run of the same sweep must match it. */
export function openSweep(dir: string, manifest: SweepManifest): void {
  const path = join(dir, MANIFEST);
  if (existsSync(path)) {
    const old = readJson(path) as SweepManifest;
    const same = (m: SweepManifest) => JSON.stringify({ domain: m.domain, shared: m.shared, runs: m.runs.map((r) => r.id) });
    if (same(old) !== same(manifest)) {
      throw new UsageError(
        `${dir} holds a different sweep (its ${MANIFEST} differs); give another --sweep-dir, or rerun that sweep's command`,
      );
    }
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path, manifest);
}

export function readSweep(dir: string): SweepManifest | null {
  const path = join(dir, MANIFEST);
  return existsSync(path) ? (readJson(path) as SweepManifest) : null;
}

/** A run's status from its summary.json: complete, interrupted, failed, running, or null when it never started. */
export function runStatus(dir: string): string | null {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status?: unknown };
    return typeof s.status === 'string' ? s.status : null;
  } catch {
    return null;
  }
}

export type SweepOutcome = 'complete' | 'skipped' | 'failed' | 'interrupted';

export interface RunSweepOptions {
  /** Runs at a time. */
  parallel: number;
  /** The command that trains one run: [executable, ...arguments] for its flags. */
  command: (run: SweepRun) => string[];
  log: (line: string) => void;
}

/**
 * Runs every run not yet complete, `parallel` at a time, each writing its output to
 * logs/<id>.log in the sweep folder. Ctrl-C asks the running ones to checkpoint and stop and
 * starts no more. Resolves with each run's outcome.
 */
export async function runSweep(dir: string, runs: SweepRun[], o: RunSweepOptions): Promise<Map<string, SweepOutcome>> {
  const outcomes = new Map<string, SweepOutcome>();
  const pending = runs.filter((r) => {
    if (runStatus(join(dir, r.id)) === 'complete') {
      outcomes.set(r.id, 'skipped');
      return false;
    }
    return true;
  });
  if (outcomes.size) o.log(`lot: ${outcomes.size} of ${runs.length} runs are complete already`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const running = new Set<ChildProcess>();
  let stopping = false;
  const stopForwarding = forwardSignals(
    () => running,
    (name, count) => {
      stopping = true;
      o.log(
        count === 1
          ? `\nlot: ${name}: the running runs save a checkpoint and stop; no more start (again to kill them)`
          : `\nlot: ${name} again: killing the running runs`,
      );
    },
  );
  let started = 0;
  const one = async (run: SweepRun): Promise<void> => {
    const [exe, ...args] = o.command(run);
    const logPath = join(dir, 'logs', `${run.id}.log`);
    // The run writes its log itself, so that it outlives the sweep (a killed sweep's runs stop cleanly).
    const log = openSync(logPath, 'a');
    started += 1;
    o.log(`lot: [${started}/${pending.length}] ${run.id}`);
    const code = await new Promise<number>((resolve) => {
      // Its own process group: Ctrl-C reaches the sweep, which passes it on once; the IPC
      // channel tells a `lot train` that the sweep went away (it then stops with a checkpoint).
      const child = spawn(exe!, args, { stdio: ['ignore', log, log, 'ipc'], detached: true });
      running.add(child);
      child.on('error', (e) => {
        appendFileSync(logPath, `could not start: ${e.message}\n`);
        resolve(1);
      });
      child.channel?.unref();
      child.on('close', (c, signal) => {
        running.delete(child);
        resolve(c ?? (signal ? 128 : 1));
      });
    });
    closeSync(log);
    const outcome: SweepOutcome = code === 0 ? 'complete' : code === 130 || stopping ? 'interrupted' : 'failed';
    outcomes.set(run.id, outcome);
    if (outcome === 'failed') {
      const last =
        readFileSync(logPath, 'utf8')
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('lot:'))
          .at(-1) ?? '';
      o.log(`lot: ${run.id} failed (exit ${code}): ${last.replace(/^lot: /, '')} (log: ${logPath})`);
    } else if (outcome === 'complete') o.log(`lot: ${run.id} complete`);
  };
  try {
    const queue = [...pending];
    const workers = Array.from({ length: Math.min(o.parallel, queue.length) }, async () => {
      for (let run = queue.shift(); run && !stopping; run = queue.shift()) await one(run);
    });
    await Promise.all(workers);
  } finally {
    stopForwarding();
  }
  return outcomes;
}
