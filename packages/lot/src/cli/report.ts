// `lot report RUN...`: tables and plots over run folders.
import { dirname, join, relative, resolve } from 'node:path';
import { findRunFolders, RunFolder, readSweep, UsageError } from '../harness/index.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import type { Parsed } from './options.js';

/** Run folders named by the arguments: a run folder itself, or the run folders up to two levels below. */
export function expandRunArgs(args: string[]): string[] {
  const out = args.flatMap((arg) => {
    try {
      return findRunFolders(arg);
    } catch (e) {
      throw new UsageError(
        `${(e as Error).message}; give run folders (holding config.json) or folders that contain them, e.g. runs/ after \`lot train\``,
      );
    }
  });
  return [...new Set(out)];
}

export async function reportCommand(p: Parsed, io: CliIO): Promise<number> {
  const runs = expandRunArgs(p.positionals);
  const first = p.positionals[0]!;
  const outDir =
    p.values.optionalString('out') ?? (RunFolder.isRun(first) ? join(dirname(resolve(first)), 'report') : join(resolve(first), 'report'));
  const sweeps = p.positionals.flatMap((dir) => {
    const manifest = RunFolder.isRun(dir) ? null : readSweep(dir);
    return manifest ? [{ dir, ...(manifest.nLabel ? { nLabel: manifest.nLabel } : {}) }] : [];
  });
  const { buildReport } = await import('../report/index.js');
  const report = await buildReport(runs, outDir, { sweeps });
  io.out(report.markdown);
  for (const f of report.files) io.err(`lot: wrote ${relative(process.cwd(), f) || f}`);
  return EXIT.ok;
}
