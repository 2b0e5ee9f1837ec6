// What every training command of the CLI shares: Ctrl-C handling and the closing report.
import { relative } from 'node:path';
import type { StopSignal } from '../harness/index.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';

const rel = (p: string): string => relative(process.cwd(), p) || p;

/** Installs a Ctrl-C handler that asks the run to stop after its current step; a second Ctrl-C quits at once. */
export function installStopHandler(io: CliIO): { signal: StopSignal; remove: () => void } {
  const signal: StopSignal = { stop: false };
  const onSignal = (name: NodeJS.Signals) => {
    if (signal.stop) {
      io.err(`\nlot: ${name} again: quitting without saving the current epoch`);
      process.exit(EXIT.interrupted);
    }
    signal.stop = true;
    io.err(`\nlot: ${name} received: finishing the current step and saving a checkpoint (press Ctrl-C again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal,
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Prints the comparison table for the runs (best effort: a failure only warns). */
export async function printReport(runDirs: string[], outDir: string, io: CliIO): Promise<string[]> {
  try {
    const { buildReport } = await import('../report/index.js');
    const report = await buildReport(runDirs, outDir);
    io.out(report.markdown);
    return report.files;
  } catch (e) {
    io.err(`lot: warning: could not build the report (${(e as Error).message.split('\n')[0]}); run \`lot report ${rel(outDir)}\` later`);
    return [];
  }
}
