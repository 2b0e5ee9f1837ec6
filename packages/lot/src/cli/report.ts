// `lot report RUN...`: the report engineer's tables and plots over run folders.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { EXIT, UsageError } from './errors.js';
import type { CliIO } from './main.js';
import type { Parsed } from './options.js';
import { RunFolder } from '../runs/folder.js';
import { loadReport } from './report-api.js';

/** Run folders named by the arguments: a run folder itself, or any run folders up to two levels below. */
export function expandRunArgs(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!existsSync(arg)) throw new UsageError(`no such folder: ${arg}; give run folders (holding config.json) or folders that contain them`);
    if (RunFolder.isRun(arg)) {
      out.push(resolve(arg));
      continue;
    }
    if (!statSync(arg).isDirectory()) throw new UsageError(`${arg} is not a folder; give run folders (holding config.json) or folders that contain them`);
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (!statSync(p).isDirectory()) continue;
        if (RunFolder.isRun(p)) found.push(resolve(p));
        else if (depth > 1) walk(p, depth - 1);
      }
    };
    walk(arg, 2);
    if (found.length === 0) throw new UsageError(`no run folders in ${arg} (a run folder holds config.json); train first with \`lot train vision\``);
    out.push(...found);
  }
  return [...new Set(out)];
}

export async function reportCommand(p: Parsed, io: CliIO): Promise<number> {
  const runs = expandRunArgs(p.positionals);
  const first = p.positionals[0]!;
  const outDir = (p.values.out as string | undefined) ?? (RunFolder.isRun(first) ? join(dirname(resolve(first)), 'report') : join(resolve(first), 'report'));
  const { buildReport } = await loadReport();
  const report = await buildReport(runs, outDir);
  io.out(report.markdown);
  for (const f of report.files) io.err(`lot: wrote ${relative(process.cwd(), f) || f}`);
  return EXIT.ok;
}
