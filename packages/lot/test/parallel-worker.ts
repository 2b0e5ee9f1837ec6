// One process of a data-parallel test run of the `dp` domain (parallel.test.ts starts one or
// two): joins the group from torchrun's environment, trains through the CLI's runMany (rank 0
// writes the run folder), and prints the run folder on rank 0.
import { joinGroup, parallelFromEnv, resolveRuns } from '../src/harness/index.js';
import { runMany } from '../src/cli/train.js';
import { parallelDomain } from './parallel-domain.js';

const [runsDir, batch, maxSteps] = process.argv.slice(2);
const parallel = parallelFromEnv();
joinGroup(parallel, 'cpu');
const configs = resolveRuns(
  {
    kind: 'dp',
    teacher: 'mlp',
    students: ['mlp'],
    alpha: 0.5,
    n: 2,
    tau: 1.5,
    variant: 'kl_ce',
    detach: true,
    epochs: 4,
    seeds: [0],
    methods: ['lot'],
    maxSteps: Number(maxSteps),
    device: 'cpu',
    threads: 1,
    worldSize: parallel.worldSize,
    logEvery: 1,
    evalEvery: 0,
  },
  { batch: Number(batch), lr: 0.3 },
  1,
  new Date('2026-01-01T00:00:00Z'),
);
const silent = { out: () => {}, err: (line: string) => process.stderr.write(`${line}\n`) };
const result = await runMany(parallelDomain, configs, runsDir!, parallel.rank === 0 ? silent : { out: () => {}, err: () => {} }, {
  quiet: true,
  parallel,
});
if (parallel.rank === 0) process.stdout.write(`${JSON.stringify({ dir: result.runs[0]!.dir, status: result.runs[0]!.summary.status })}\n`);
