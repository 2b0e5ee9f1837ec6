// Atari environments for PPO: AtariVectorEnv drives a Python worker (atari_worker.py, in the venv
// of ensureAtariPython) that runs `numEnvs` copies of one <Game>NoFrameskip-v4 game through the
// real Arcade Learning Environment with ppo_atari's preprocessing, and answers each batch of
// actions with [numEnvs, 4, 84, 84] uint8 observations, clipped rewards, the end flags and the raw
// returns of the games that ended.
//
// Synchronous I/O. VectorEnv's reset() and step() are synchronous, so the worker is talked to with
// blocking fs.readSync/fs.writeSync on file descriptors that this process opens itself, in blocking
// mode, on two named pipes (FIFOs, made with mkfifo in a private temporary folder): `cmd` (commands
// to the worker) and `res` (its answers). Node's own child stdio pipes are not used for this: they
// are non-blocking sockets that libuv may read asynchronously. No open may block (a worker that
// dies before opening its ends would hang this process), and each side must see the other's death
// (EOF or EPIPE), so the ends are opened in this order:
//   1. this process opens res read-write (a FIFO open that never blocks on Linux), then res
//      read-only (a writer exists: itself), and likewise cmd read-write, then cmd write-only;
//   2. the worker is spawned with the two read-write fds as its fds 3 and 4 (fs.openSync's fds are
//      close-on-exec, so nothing else leaks into it), and this process closes its read-write fds;
//   3. the worker opens cmd read-only and res write-only by path (its inherited fds guarantee the
//      other end, so neither blocks) and closes fds 3 and 4.
// From then on this process is the only writer of cmd and the only reader of res, the worker the
// only reader of cmd and writer of res: a dead worker shows here as EOF on res or EPIPE on cmd
// (Node ignores SIGPIPE), and a dead parent shows to the worker as EOF on cmd, at which it exits.
// The worker's stdout and stderr go to a log file in the same folder, which this process keeps
// open for reading: its last lines explain a crash. Once the worker has said hello the folder is
// removed (every end is open), so nothing is left behind even when this process is killed. This
// needs FIFOs that open read-write without blocking, and /proc to tell how a worker died: Linux.
//
// Lifetime: close() ends the worker (a close command, then SIGKILL if it lingers) and is
// idempotent. The worker runs in its own process group, so a Ctrl-C at the terminal does not kill it
// in the middle of a step (the CLI finishes the step and saves first); workers still open at the
// process's exit are killed by an exit hook, and on SIGINT/SIGTERM when nothing else handles the
// signal (the default action, process death, follows). If this process dies without any of these,
// the worker sees EOF and exits by itself.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VectorEnv, VectorStep } from '../ppo.js';
import { isAtariEnvId } from '../settings.js';
import { atariVenvDir, findAtariPython } from './python-env.js';

export { isAtariEnvId };

export const ATARI_OBS_SHAPE: readonly number[] = [4, 84, 84];
const OBS_SIZE = 4 * 84 * 84;

const OP = { reset: 1, step: 2, close: 3 } as const;
const KIND = { hello: 0, reset: 1, step: 2, error: 255 } as const;
const MAGIC = 0x41544f4c; // 'LOTA' little-endian

export interface AtariVectorEnvOptions {
  /** The interpreter (default: the venv of ensureAtariPython, which must have been made). */
  python?: string;
  /** Grayscale conversion: 'cv2' (cv2.cvtColor RGB2GRAY, gym 0.23.1's, the reference's; default) or gymnasium 1.x's weighted sum. */
  grayscale?: 'cv2' | 'gymnasium';
}

/** The worker script: next to this module in src/, found from dist/ by looking upwards. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'atari_worker.py');
  if (existsSync(beside)) return beside;
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'src', 'tasks', 'rl', 'atari', 'atari_worker.py');
    if (existsSync(p)) return p;
  }
  throw new Error(`atari_worker.py not found beside ${here} or in a src/tasks/rl/atari/ above it`);
}

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const signalName = (n: number): string => Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** The last `n` non-empty lines of the file open at `fd` (its last 64 KiB; '' when unreadable). */
function tail(fd: number, n: number): string {
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 65536));
    const got = readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf
      .subarray(0, got)
      .toString('utf8')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l && !/^A\.L\.E: Arcade Learning Environment|^\[Powered by Stella\]/.test(l))
      .slice(-n)
      .join(' | ');
  } catch {
    return '';
  }
}

/**
 * How process `pid` ended, read without reaping it: Node reaps children only in its event loop,
 * which a blocked step does not reach, so a dead worker is still a zombie whose wait status
 * /proc/<pid>/stat carries (Linux). Null while it runs, or when that cannot be read.
 */
function zombieStatus(pid: number): { code: number | null; signal: string | null } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'Z' && fields[0] !== 'X') return null;
  const status = Number(fields[fields.length - 1]);
  if (!Number.isFinite(status)) return { code: null, signal: null };
  return status & 0x7f ? { code: null, signal: signalName(status & 0x7f) } : { code: (status >> 8) & 0xff, signal: null };
}

/** Workers not yet closed, for the exit and signal hooks. */
const live = new Set<AtariVectorEnv>();

const onExit = (): void => {
  for (const env of live) env.kill();
};
const onSignal = (signal: NodeJS.Signals): void => {
  // Someone else handles the signal (the CLI's stop-after-this-step): leave the workers to close()
  // or the exit hook. Otherwise stop them and let the signal's default action end the process.
  if (process.listenerCount(signal) > 1) return;
  for (const env of [...live]) env.close();
  removeHooks();
  process.kill(process.pid, signal);
};
let hooked = false;
function addHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
function removeHooks(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** `numEnvs` copies of one Atari game in a Python worker, as ppo_atari's SyncVectorEnv; see the top of this file. */
export class AtariVectorEnv implements VectorEnv {
  readonly obsShape: readonly number[] = ATARI_OBS_SHAPE;
  readonly actions: number;
  /** The game's action meanings, as ALE names them ('NOOP', 'FIRE', ...). */
  readonly actionMeanings: string[];
  /** The worker's ale-py, gymnasium and numpy versions. */
  readonly versions: Record<string, string>;
  private child: ChildProcess;
  /** The temporary folder of the FIFOs and the log, removed once the worker has opened them. */
  private dir: string;
  /** The worker's log (its stdout and stderr), open for reading. */
  private logFd: number | null = null;
  private cmdFd: number | null = null;
  private resFd: number | null = null;
  private closed = false;
  /** Set once the worker has failed; every later call throws it again. */
  private failure: Error | null = null;

  constructor(
    readonly envId: string,
    readonly numEnvs: number,
    readonly seed: number,
    options: AtariVectorEnvOptions = {},
  ) {
    if (!isAtariEnvId(envId)) {
      throw new Error(
        `unknown Atari environment '${envId}': Atari ids look like <Game>NoFrameskip-v4, e.g. BreakoutNoFrameskip-v4, BeamRiderNoFrameskip-v4, PongNoFrameskip-v4`,
      );
    }
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`AtariVectorEnv: numEnvs must be a positive integer, not ${numEnvs}`);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`AtariVectorEnv: seed must be a non-negative integer, not ${seed}`);
    const python = options.python ?? findAtariPython()?.python;
    if (!python) {
      throw new Error(
        `the Atari Python environment (${atariVenvDir()}) is not ready: call ensureAtariPython() before new AtariVectorEnv()`,
      );
    }
    if (process.platform === 'win32') throw new Error('the Atari environments need named pipes (FIFOs) and /proc: Linux');

    this.dir = mkdtempSync(join(tmpdir(), 'lot-atari-'));
    const logPath = join(this.dir, 'worker.log');
    const cmdPath = join(this.dir, 'cmd');
    const resPath = join(this.dir, 'res');
    const fds: number[] = [];
    try {
      execFileSync('mkfifo', ['-m', '600', cmdPath, resPath], { stdio: 'ignore' });
      // Step 1 (top of the file): none of these opens blocks.
      const resBoth = openSync(resPath, 'r+');
      fds.push(resBoth);
      this.resFd = openSync(resPath, 'r');
      const cmdBoth = openSync(cmdPath, 'r+');
      fds.push(cmdBoth);
      this.cmdFd = openSync(cmdPath, 'w');
      const logFd = openSync(logPath, 'w');
      fds.push(logFd);
      this.logFd = openSync(logPath, 'r');
      // Step 2: the worker gets the read-write ends as fds 3 (cmd) and 4 (res).
      this.child = spawn(
        python,
        [
          '-u',
          workerScript(),
          '--env-id',
          envId,
          '--num',
          String(numEnvs),
          '--seed',
          String(seed),
          '--grayscale',
          options.grayscale ?? 'cv2',
          '--cmd',
          cmdPath,
          '--res',
          resPath,
        ],
        { stdio: ['ignore', logFd, logFd, cmdBoth, resBoth], detached: true },
      );
      // A spawn failure is also emitted as 'error' later; it is reported here.
      this.child.on('error', () => {});
      if (this.child.pid === undefined) throw new Error(`${python} did not start`);
    } catch (e) {
      this.closeFds();
      rmSync(this.dir, { recursive: true, force: true });
      throw new Error(`could not start the Atari worker for ${envId}: ${(e as Error).message}`);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    // Nothing of the worker keeps the event loop alive; the exit hook ends it.
    this.child.unref();
    live.add(this);
    addHooks();

    const hello = this.receive(KIND.hello);
    // The worker has opened its ends: nothing needs the paths any more, and nothing stays behind
    // in the temporary folder even if this process is killed.
    rmSync(this.dir, { recursive: true, force: true });
    const h = new DataView(hello.buffer, hello.byteOffset, hello.byteLength);
    const shape = [h.getInt32(8, true), h.getInt32(12, true), h.getInt32(16, true)];
    if (h.getInt32(0, true) !== numEnvs || shape.join() !== ATARI_OBS_SHAPE.join()) {
      this.close();
      throw new Error(`the Atari worker for ${envId} answered for ${h.getInt32(0, true)} environments of shape [${shape}]`);
    }
    this.actions = h.getInt32(4, true);
    const meta = JSON.parse(hello.subarray(20).toString('utf8')) as { actionMeanings: string[]; versions: Record<string, string> };
    this.actionMeanings = meta.actionMeanings;
    this.versions = meta.versions;
  }

  /** The worker's process id (for tests and diagnostics). */
  get pid(): number {
    return this.child.pid!;
  }

  /** The first observations of all environments ([numEnvs, 4, 84, 84], flat). The first call seeds env i with seed + i. */
  reset(): Uint8Array {
    this.send(OP.reset, new Uint8Array(0));
    return new Uint8Array(this.receive(KIND.reset));
  }

  /** One step of every environment; an environment whose episode (a life) ended shows its next first observation. */
  step(actions: Int32Array): VectorStep {
    const n = this.numEnvs;
    if (actions.length !== n) throw new Error(`AtariVectorEnv.step: ${actions.length} actions for ${n} environments`);
    for (const a of actions) {
      if (!(a >= 0 && a < this.actions))
        throw new Error(`AtariVectorEnv.step: action ${a} outside 0..${this.actions - 1} of ${this.envId}`);
    }
    const payload = new Uint8Array(4 * n);
    const pv = new DataView(payload.buffer);
    actions.forEach((a, i) => pv.setInt32(4 * i, a, true));
    this.send(OP.step, payload);
    const body = this.receive(KIND.step);
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    let off = n * OBS_SIZE;
    const obs = new Uint8Array(body.subarray(0, off));
    const rewards = new Float32Array(n);
    for (let i = 0; i < n; ++i, off += 4) rewards[i] = v.getFloat32(off, true);
    const terminated = new Uint8Array(body.subarray(off, off + n));
    off += n;
    const truncated = new Uint8Array(body.subarray(off, off + n));
    off += n;
    const count = v.getInt32(off, true);
    off += 4;
    const finished: VectorStep['finished'] = [];
    for (let k = 0; k < count; ++k, off += 16) {
      finished.push({ env: v.getInt32(off, true), return: v.getFloat64(off + 4, true), length: v.getInt32(off + 12, true) });
    }
    return { obs, rewards, terminated, truncated, finished };
  }

  /** Ends the worker and removes its pipes; idempotent. Waits (up to 2 s) for it to exit, then kills it. */
  close(): void {
    if (this.closed) return;
    if (this.cmdFd != null && !this.failure) {
      try {
        const head = Buffer.alloc(8);
        head.writeInt32LE(OP.close, 0);
        writeSync(this.cmdFd, head);
      } catch {}
    }
    this.closeFds();
    // Closing cmd alone makes the worker exit (EOF); give it a moment, then make sure.
    for (let waited = 0; waited < 2000 && this.running(); waited += 10) sleepMs(10);
    this.kill();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Kills the worker at once (SIGKILL) and removes its pipes; for the exit hook. */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    if (live.size === 0) removeHooks();
    this.closeFds();
    if (this.running()) {
      try {
        this.child.kill('SIGKILL');
      } catch {}
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Whether the worker has neither exited nor been reaped. */
  private running(): boolean {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return false;
    try {
      process.kill(this.child.pid!, 0);
    } catch {
      return false;
    }
    return zombieStatus(this.child.pid!) === null;
  }

  private closeFds(): void {
    for (const fd of [this.cmdFd, this.resFd, this.logFd]) {
      if (fd == null) continue;
      try {
        closeSync(fd);
      } catch {}
    }
    this.cmdFd = this.resFd = this.logFd = null;
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`the Atari environments of ${this.envId} are closed`);
  }

  private send(op: number, payload: Uint8Array): void {
    this.check();
    const msg = Buffer.alloc(8 + payload.length);
    msg.writeInt32LE(op, 0);
    msg.writeInt32LE(payload.length, 4);
    msg.set(payload, 8);
    let off = 0;
    while (off < msg.length) {
      try {
        off += writeSync(this.cmdFd!, msg, off, msg.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') {
          sleepMs(1);
          continue;
        }
        throw this.fail(code === 'EPIPE' ? null : (e as Error));
      }
    }
  }

  /** The body of the next answer, which must be of `kind` (an error answer throws its message). */
  private receive(kind: number): Buffer {
    this.check();
    const head = this.readExact(12);
    if (head.readUInt32LE(0) !== MAGIC) throw this.fail(new Error('garbled answer (bad magic number)'));
    const got = head.readInt32LE(4);
    const body = this.readExact(head.readInt32LE(8));
    if (got === KIND.error) {
      const message = body.toString('utf8');
      this.failure = new Error(
        message.startsWith('unknown Atari game') ? message : `the Atari worker for ${this.envId} failed: ${message}`,
      );
      this.kill();
      throw this.failure;
    }
    if (got !== kind) throw this.fail(new Error(`answer of kind ${got} where ${kind} was expected`));
    return body;
  }

  private readExact(n: number): Buffer {
    const buf = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      let got: number;
      try {
        got = readSync(this.resFd!, buf, off, n - off, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') {
          sleepMs(1);
          continue;
        }
        throw this.fail(e as Error);
      }
      if (got === 0) throw this.fail(null); // EOF: the worker is gone
      off += got;
    }
    return buf;
  }

  /** Records and returns the worker's failure: how it exited (or `cause`) and the end of its log; kills what remains. */
  private fail(cause: Error | null): Error {
    let how: string;
    if (cause) {
      how = `failed (${cause.message})`;
    } else {
      // It closed its end: wait (up to 3 s) until it has exited, to say how.
      let status = zombieStatus(this.child.pid!);
      for (let waited = 0; !status && waited < 3000 && this.running(); waited += 10) {
        sleepMs(10);
        status = zombieStatus(this.child.pid!);
      }
      const code = status?.code ?? this.child.exitCode;
      const signal = status?.signal ?? this.child.signalCode;
      // The worker ends with 128 + n on signal n (SIGINT, SIGTERM), as a shell would say.
      const by = code != null && code > 128 && code < 160 ? ` (${signalName(code - 128)})` : '';
      how = signal ? `was killed by ${signal}` : code != null ? `exited with code ${code}${by}` : 'stopped answering';
    }
    const log = this.logFd == null ? '' : tail(this.logFd, 6);
    this.failure = new Error(`the Atari worker for ${this.envId} ${how}${log ? `: ${log}` : ''}`);
    this.kill();
    return this.failure;
  }
}
