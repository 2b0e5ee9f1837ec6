// Shared helpers for the JavaScript side of the benchmarks.
import { createInterface } from 'node:readline';
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=');
      out[k] = v ?? (argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
    }
  }
  return out;
}
export const now = () => Number(process.hrtime.bigint()) / 1e9;
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** CPU seconds of this process, all threads (libtorch's included). */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Drives a Python benchmark process that answers each request line with one JSON line: `ready`
 * resolves with its first line, `request(line)` sends one and resolves with the answer, `quit()`
 * ends it. When it exits or cannot start, pending requests reject with `<what> <why><hint>`.
 */
export function jsonLinePeer(child, what, hint = '') {
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  const fail = (why) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${what} ${why}${hint}`));
  };
  child.on('exit', (code) => fail(`exited with ${code}`));
  child.on('error', (e) => fail(`could not start: ${e.message}`));
  const next = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  return {
    ready: next(),
    request(line) {
      const p = next();
      child.stdin.write(`${line}\n`);
      return p;
    },
    quit: () => child.stdin.end('quit\n'),
  };
}
