// Running programs: one with a timeout in its own process group (so that a timeout stops its
// children too: dpkg, downloads), finding one on $PATH, and installing a Debian package with
// apt-get as root. Nothing here throws: the result says what happened.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { defaultLog } from './log.js';

export interface ProgramResult {
  /** Exit code (null when it could not start or was killed). */
  code: number | null;
  stdout: string;
  /** The end of stderr (at most 8,000 characters), or why it could not start. */
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `program args` (stdin closed, DEBIAN_FRONTEND=noninteractive) and collects its whole
 * stdout (UTF-8) and the end of its stderr. At `timeoutMs` its process group gets SIGTERM, and
 * SIGKILL 5 s later.
 */
export function runProgram(program: string, args: readonly string[], timeoutMs: number): Promise<ProgramResult> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        detached: true,
      });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: (e as Error).message, timedOut: false });
      return;
    }
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-8000);
    });
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    }, timeoutMs);
    let settled = false;
    const finish = (code: number | null, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: error ?? err, timedOut });
    };
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (code) => finish(code));
    // 'close' waits for the pipes; a child's straggler holding them open must not hold us: 1 s at most.
    child.on('exit', (code) => setTimeout(() => finish(code), 1000).unref());
  });
}

/** The path of an executable `name` on $PATH (or `name` itself when it holds a slash and is executable), else null. */
export function findProgram(name: string): string | null {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d, name));
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-1)[0] ?? '';

export interface InstallResult {
  installed: boolean;
  /** What happened, in one line. */
  message: string;
}

export interface InstallOptions {
  /** Each apt command is killed after this long (ms). Default 5 minutes. */
  timeoutMs?: number;
  /** Status lines. Default: stderr. */
  log?: (line: string) => void;
  /** The apt-get to run (default: apt-get on $PATH); for tests. */
  aptGet?: string;
  /** What else the user can do, added to every failure's advice (e.g. 'pass --data-dir'). */
  otherwise?: string;
}

/**
 * Installs Debian package `pkg` with apt-get when this process is root on Linux and apt-get
 * exists, running `apt-get update` first only when apt does not know the package. Each apt
 * command is killed after `timeoutMs`; apt waits at most 60 s for its lock. Never throws.
 */
export async function installDebianPackage(pkg: string, o: InstallOptions = {}): Promise<InstallResult> {
  const timeoutMs = o.timeoutMs ?? 300_000;
  const log = o.log ?? defaultLog;
  const aptGet = o.aptGet ?? findProgram('apt-get');
  const manual = `install it with: apt-get install -y ${pkg} (as root)${o.otherwise ? `, or ${o.otherwise}` : ''}`;
  if (process.platform !== 'linux' || !aptGet) {
    return {
      installed: false,
      message: `Debian's ${pkg} package is not installed and there is no apt-get here${o.otherwise ? `: ${o.otherwise}` : ''}`,
    };
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { installed: false, message: `Debian's ${pkg} package is not installed and installing it needs root: ${manual}` };
  }
  const aptArgs = ['-o', 'DPkg::Lock::Timeout=60', '-o', 'Acquire::Retries=1', '-o', 'Acquire::http::Timeout=30'];
  const install = (): Promise<ProgramResult> =>
    runProgram(aptGet, [...aptArgs, 'install', '-y', '--no-install-recommends', pkg], timeoutMs);
  log(`installing Debian's ${pkg} package (apt-get install, up to ${Math.round(timeoutMs / 1000)} s)...`);
  let r = await install();
  const said = (x: ProgramResult): string => `${x.stdout}\n${x.stderr}`;
  if (r.code !== 0 && !r.timedOut && /Unable to locate package|has no installation candidate/.test(said(r))) {
    log('apt does not know the package yet: running apt-get update first...');
    const u = await runProgram(aptGet, [...aptArgs, 'update'], timeoutMs);
    if (u.code !== 0)
      return { installed: false, message: `apt-get update failed${u.timedOut ? ' (timed out)' : ''}: ${lastLine(said(u))}; ${manual}` };
    r = await install();
  }
  if (r.code !== 0) {
    const why = r.timedOut
      ? `timed out after ${Math.round(timeoutMs / 1000)} s`
      : lastLine(r.stderr) || lastLine(r.stdout) || `exit code ${r.code}`;
    return { installed: false, message: `could not install ${pkg}: ${why}; ${manual}` };
  }
  log(`installed Debian's ${pkg} package`);
  return { installed: true, message: `installed ${pkg}` };
}
