// `lot sweep <domain>`: expands a grid into `lot train … --run-dir` commands (harness/sweep.ts),
// checks them once here, then prints them (--print-commands) or runs them k at a time.
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type AnyDomain,
  expandSweep,
  METHODS,
  type OptionValue,
  type OptionValues,
  openSweep,
  runSweep,
  type SweepGrid,
  type SweepManifest,
  type SweepRun,
} from '../harness/index.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import { type Parsed, parseArgs } from './options.js';
import { SWEEP_OWN, trainSpec } from './specs.js';
import { resolveTrainRuns } from './train.js';

/** Options of `lot sweep` itself, never passed to `lot train`. */
const SWEEP_ONLY = ['sweep-dir', 'parallel', 'print-commands', 'preset', 'config', 'threads'];

/** A flag as `lot train` reads it back. */
function flag(name: string, value: OptionValue): string[] {
  if (typeof value === 'boolean') return [value ? `--${name}` : `--no-${name}`];
  return [`--${name}`, Array.isArray(value) ? value.join(',') : String(value)];
}

/** The flags every run shares: what the user set, less the grid's and the sweep's own. */
const sharedFlags = (v: OptionValues): string[] =>
  v.explicitEntries().flatMap(([name, value]) => (SWEEP_OWN.includes(name) || SWEEP_ONLY.includes(name) ? [] : flag(name, value)));

const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

export async function sweepCommand(domain: AnyDomain, p: Parsed, io: CliIO): Promise<number> {
  const v = p.values;
  const methods = new Set(v.choiceList('methods', METHODS));
  if (v.has('baseline')) for (const b of v.choiceList('baseline', METHODS)) methods.add(b);
  const grid: SweepGrid = {
    alpha: v.numberList('alpha'),
    n: v.intList('n'),
    tau: v.numberList('tau'),
    seeds: v.intList('seeds'),
    methods: METHODS.filter((m) => methods.has(m)),
  };
  const parallel = v.number('parallel');
  const threads = v.isExplicit('threads') ? v.number('threads') : Math.max(1, Math.floor(cpus().length / parallel));
  const shared = sharedFlags(v);
  const dir = resolve(v.optionalString('sweep-dir') ?? join(v.string('runs-dir'), `sweep-${domain.name}`));
  const runs = expandSweep(grid);
  const trainArgs = (run: SweepRun): string[] => [
    'train',
    domain.name,
    ...shared,
    ...run.args,
    '--run-dir',
    join(dir, run.id),
    '--threads',
    String(threads),
    '--quiet',
  ];
  // Every run's flags are checked now, so that a mistake is one line here and not in every log.
  for (const run of runs) await resolveTrainRuns(domain, parseArgs(trainArgs(run).slice(2), trainSpec(domain)));
  const manifest: SweepManifest = {
    format: 'lot-sweep',
    version: 1,
    domain: domain.name,
    grid,
    shared,
    ...(domain.nLabel ? { nLabel: domain.nLabel } : {}),
    runs,
  };
  openSweep(dir, manifest);
  const lot = resolve(process.argv[1]!);
  if (v.boolean('print-commands')) {
    for (const run of runs) io.out([process.execPath, lot, ...trainArgs(run)].map(shellQuote).join(' '));
    return EXIT.ok;
  }
  io.err(`lot: sweep of ${runs.length} runs in ${dir}, ${parallel} at a time, ${threads} thread${threads === 1 ? '' : 's'} each`);
  const outcomes = await runSweep(dir, runs, { parallel, command: (run) => [process.execPath, lot, ...trainArgs(run)], log: io.err });
  const count = (o: string) => [...outcomes.values()].filter((x) => x === o).length;
  const notStarted = runs.length - outcomes.size;
  io.err(
    `lot: sweep: ${count('complete')} complete, ${count('skipped')} already complete, ${count('failed')} failed, ${count('interrupted')} interrupted${notStarted ? `, ${notStarted} not started` : ''}; \`lot report ${dir}\` for the ablation table and plots`,
  );
  if (count('failed') > 0) return EXIT.failure;
  return count('interrupted') > 0 || notStarted > 0 ? EXIT.interrupted : EXIT.ok;
}
