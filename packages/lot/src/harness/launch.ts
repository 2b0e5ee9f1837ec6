// The launcher of data-parallel runs, as torchrun is PyTorch's: starts this machine's ranks as
// copies of the current command with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT), forwards Ctrl-C to them once, and stops them all when one dies,
// so that no rank is left waiting on a collective or orphaned.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { UsageError } from './errors.js';

export interface LaunchOptions {
  /** Ranks on this machine. */
  nprocPerNode: number;
  /** Machines in the run, and this one's index among them. */
  nnodes: number;
  nodeRank: number;
  /** Where rank 0 (node 0) listens for the rendezvous; null: this machine (only with one node). */
  masterAddr: string | null;
  /** null: a free port when the run is on one machine (torchrun's --standalone), 29500 across machines. */
  masterPort: number | null;
  /** The command to repeat per rank (default: this process's own). */
  argv?: string[];
  /** Seconds a rank may take to stop after another died or Ctrl-C was pressed twice, before it is killed. */
  graceSeconds?: number;
}

/** The environment variable that carries one time for every rank's run folders' names. */
export const RUN_TIME_VARIABLE = 'LOT_RUN_TIME';

/** A port nobody listens on now, on this machine. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function checkLaunch(o: LaunchOptions): void {
  if (o.nodeRank >= o.nnodes) throw new UsageError(`--node-rank ${o.nodeRank} must be below --nnodes ${o.nnodes}`);
  if (o.nnodes > 1 && o.masterAddr === null) {
    throw new UsageError(`--nnodes ${o.nnodes} needs --master-addr: the address of node 0, which every machine can reach`);
  }
}

/**
 * Runs the command on `nprocPerNode` ranks of this machine and waits for them. Resolves with
 * the exit code: 0 when every rank finished, 130 when they stopped on Ctrl-C, else the first
 * failing rank's (the others were stopped).
 */
export async function launchRanks(o: LaunchOptions, log: (line: string) => void): Promise<number> {
  checkLaunch(o);
  const port = o.masterPort ?? (o.nnodes === 1 ? await freePort() : 29500);
  const masterAddr = o.masterAddr ?? '127.0.0.1';
  const world = o.nnodes * o.nprocPerNode;
  const argv = o.argv ?? [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)];
  const grace = (o.graceSeconds ?? 20) * 1000;
  const runTime = process.env[RUN_TIME_VARIABLE] ?? new Date().toISOString();
  log(
    `lot: starting ${o.nprocPerNode} rank${o.nprocPerNode === 1 ? '' : 's'} of ${world} on this machine (node ${o.nodeRank} of ${o.nnodes}, rendezvous at ${masterAddr}:${port})`,
  );
  const children: { rank: number; child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }[] = [];
  for (let local = 0; local < o.nprocPerNode; local++) {
    const rank = o.nodeRank * o.nprocPerNode + local;
    const child = spawn(process.execPath, argv, {
      // Its own process group: a terminal's Ctrl-C reaches the launcher, which passes it on once.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(world),
        LOCAL_WORLD_SIZE: String(o.nprocPerNode),
        GROUP_RANK: String(o.nodeRank),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(port),
        [RUN_TIME_VARIABLE]: runTime,
      },
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (e) => {
        log(`lot: rank ${rank} could not start: ${e.message}`);
        resolve({ code: 1, signal: null });
      });
    });
    children.push({ rank, child, exit });
  }
  const alive = () => children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  const killLater = () =>
    setTimeout(() => {
      for (const c of alive()) {
        log(`lot: rank ${c.rank} did not stop within ${grace / 1000} s; killing it`);
        c.child.kill('SIGKILL');
      }
    }, grace).unref();
  const stopForwarding = forwardSignals(() => alive().map((c) => c.child));
  let failed: { rank: number; code: number } | null = null;
  try {
    await Promise.all(
      children.map(async ({ rank, exit }) => {
        const { code, signal } = await exit;
        const status = code ?? 128 + 1;
        if (status === 0 || status === 130 || failed) return;
        failed = { rank, code: status };
        log(`lot: rank ${rank} exited with ${signal ? `signal ${signal}` : `code ${code}`}; stopping the other ranks`);
        for (const c of alive()) c.child.kill('SIGTERM');
        killLater();
      }),
    );
  } finally {
    stopForwarding();
  }
  if (failed) return (failed as { code: number }).code;
  const codes = await Promise.all(children.map((c) => c.exit));
  return codes.some((c) => c.code === 130) ? 130 : 0;
}

/**
 * Passes Ctrl-C, SIGTERM and SIGHUP on to `children()` (started in their own process groups, so
 * a terminal's signal reaches only this process), the second and later ones as SIGKILL; `heard`
 * is told of each first. Returns the function that stops forwarding.
 */
export function forwardSignals(children: () => Iterable<ChildProcess>, heard?: (name: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    heard?.(name, count);
    for (const c of children()) c.kill(count === 1 ? name : 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}

/**
 * In a rank the launcher started: when the launcher goes away (killed, its terminal closed), the
 * rank stops as on SIGTERM (its stop handler checkpoints at the step every rank agrees on), so no
 * rank is left orphaned.
 */
export function followLauncher(): void {
  if (!process.send) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
