// The `lot` command's subcommands and their options (defaults: the reference recipe,
// docs/METHOD.md). Free of heavy imports so that `lot --help` and argument errors are instant.
import { cpus } from 'node:os';
import { type AnyDomain, type CommandSpec, METHODS, type OptionSpec } from '../harness/index.js';
import { LOSS_VARIANTS } from '../lot/losses.js';
import { VISION_MODELS } from '../tasks/vision/names.js';
import { visionOptions } from '../tasks/vision/settings.js';
import { DOMAINS } from './domains.js';

const defaultThreads = Math.max(1, cpus().length);

const threads = (): OptionSpec => ({ name: 'threads', type: 'int', default: defaultThreads, min: 1, help: 'libtorch intra-op threads' });
const quiet = (): OptionSpec => ({
  name: 'quiet',
  type: 'boolean',
  default: false,
  help: 'no live progress line (epoch lines and errors only)',
});
/** torchrun's flags: data-parallel ranks on this machine and across machines. */
const launchOptions = (): OptionSpec[] => [
  {
    name: 'nproc-per-node',
    type: 'int',
    default: 1,
    min: 1,
    placeholder: 'K',
    help: 'data-parallel processes on this machine (each takes --batch-size of every step; --threads defaults to the cores divided among them)',
  },
  {
    name: 'nnodes',
    type: 'int',
    default: 1,
    min: 1,
    placeholder: 'N',
    help: 'machines in a data-parallel run (start the same command on each)',
  },
  {
    name: 'node-rank',
    type: 'int',
    default: 0,
    min: 0,
    placeholder: 'R',
    help: "this machine's index among --nnodes (0 holds rank 0, which writes the run folder)",
  },
  {
    name: 'master-addr',
    type: 'string',
    placeholder: 'HOST',
    defaultText: '127.0.0.1 (this machine)',
    help: "node 0's address for the rendezvous (needed with --nnodes > 1)",
  },
  {
    name: 'master-port',
    type: 'int',
    min: 1,
    max: 65535,
    placeholder: 'PORT',
    defaultText: 'a free port on one machine, 29500 across machines',
    help: "node 0's rendezvous port",
  },
];

const runsDir = (fallback = 'runs'): OptionSpec => ({
  name: 'runs-dir',
  type: 'string',
  default: fallback,
  placeholder: 'DIR',
  help: 'where run folders are written',
});

/** The flags every `lot train <domain>` has: models, the LoT setting, methods, seeds, budget, device, run folders. */
function trainOptions(domain: AnyDomain): OptionSpec[] {
  const d = (name: string, fallback: number): number => {
    const v = domain.defaults?.[name];
    return typeof v === 'number' ? v : fallback;
  };
  const dString = (name: string, fallback: string): string => {
    const v = domain.defaults?.[name];
    return typeof v === 'string' ? v : fallback;
  };
  return [
    { name: 'teacher', type: 'string', default: domain.defaultModel, choices: domain.models, placeholder: 'MODEL', help: 'teacher model' },
    {
      name: 'student',
      type: 'stringList',
      choices: domain.models,
      placeholder: 'MODEL[,MODEL...]',
      defaultText: "the teacher's architecture",
      help: 'student model(s); several (comma-separated) train K students with uniform weights λ',
    },
    { name: 'alpha', type: 'number', default: d('alpha', 0.5), min: 0, help: 'α, weight of the imitability regularizer' },
    { name: 'n', type: 'int', default: d('n', 2), min: 1, help: 'N, student updates per teacher update' },
    { name: 'tau', type: 'number', default: d('tau', 1.5), min: 0, minExclusive: true, help: 'τ, temperature of the KL terms' },
    { name: 'variant', type: 'string', default: dString('variant', 'kl_ce'), choices: LOSS_VARIANTS, help: 'loss variant' },
    {
      name: 'detach',
      type: 'boolean',
      default: true,
      help: "detach the other model's logits in each loss (--no-detach lets both losses reach both models)",
    },
    {
      name: 'epochs',
      type: 'int',
      default: d('epochs', 10),
      min: 1,
      help: "training epochs (equal-compute runs more: LoT's cost in teacher-only epochs)",
    },
    {
      name: 'max-steps',
      type: 'int',
      min: 1,
      placeholder: 'N',
      defaultText: 'no limit',
      help: 'stop after N teacher steps (the schedules keep the --epochs horizon)',
    },
    {
      name: 'seeds',
      type: 'intList',
      default: [0],
      min: 0,
      placeholder: 'LIST',
      help: 'seeds, e.g. 0,1,2 or 0-4; one run per seed and method',
    },
    {
      name: 'methods',
      type: 'stringList',
      default: ['lot'],
      choices: METHODS,
      placeholder: 'LIST',
      help: 'methods to run side by side, e.g. lot,teacher-only,equal-compute',
    },
    {
      name: 'baseline',
      type: 'stringList',
      choices: ['teacher-only', 'equal-compute'],
      placeholder: 'NAME',
      defaultText: 'none',
      help: 'also run this baseline (same as adding it to --methods)',
    },
    ...domain.options,
    {
      name: 'device',
      type: 'string',
      default: 'cpu',
      placeholder: 'DEVICE',
      help: 'where to train: cpu, cuda (one GPU per process) or cuda:N',
    },
    threads(),
    ...launchOptions(),
    runsDir(),
    {
      name: 'run-dir',
      type: 'string',
      placeholder: 'DIR',
      defaultText: 'a new folder under --runs-dir',
      help: 'train the one run this command makes (one method, one seed) in DIR: resumed if it is there, nothing to do if complete (what `lot sweep --print-commands` prints)',
    },
    {
      name: 'log-every',
      type: 'int',
      default: d('log-every', 50),
      min: 1,
      placeholder: 'STEPS',
      help: 'write a step record to metrics.jsonl every this many teacher steps',
    },
    {
      name: 'eval-every',
      type: 'int',
      default: d('eval-every', 0),
      min: 0,
      placeholder: 'STEPS',
      help: 'also evaluate and checkpoint every this many teacher steps inside an epoch (0: at epoch ends only)',
    },
    quiet(),
    { name: 'dry-run', type: 'boolean', default: false, help: 'print the resolved run configurations (JSON) and exit without training' },
  ];
}

export function trainSpec(domain: AnyDomain): CommandSpec {
  return {
    usage: `lot train ${domain.name} [options]`,
    summary: `Train a teacher with LoT (and its baselines): ${domain.summary}; one run folder per method and seed.`,
    configFile: true,
    ...(domain.presets ? { presets: domain.presets } : {}),
    options: trainOptions(domain),
    notes: [
      'Examples:',
      ...domain.examples.map((e) => `  ${e}`),
      '  lot report runs/',
      'Each run writes <runs-dir>/<group>/<method>-seed<k>/ with config.json, metrics.jsonl, checkpoint.pt and summary.json. Ctrl-C saves a checkpoint and stops; `lot resume <run folder>` continues.',
      ...(domain.notes ?? []),
    ],
  };
}

/** `lot train`'s options that `lot sweep` sets per run or does not pass on. */
export const SWEEP_OWN = [
  'alpha',
  'n',
  'tau',
  'seeds',
  'methods',
  'baseline',
  'run-dir',
  'dry-run',
  'quiet',
  'runs-dir',
  'nproc-per-node',
  'nnodes',
  'node-rank',
  'master-addr',
  'master-port',
];

export function sweepSpec(domain: AnyDomain): CommandSpec {
  const train = trainSpec(domain);
  const kept = train.options.filter((o) => !SWEEP_OWN.includes(o.name) || ['seeds', 'methods', 'baseline', 'runs-dir'].includes(o.name));
  const grid = (name: string, type: 'numberList' | 'intList', help: string): OptionSpec => {
    const o = train.options.find((x) => x.name === name)!;
    return { ...o, type, default: [o.default as number], placeholder: 'LIST', help };
  };
  return {
    usage: `lot sweep ${domain.name} [options]`,
    summary: `Run a grid of LoT settings (α × N × τ × seeds) with its baselines: ${domain.summary}; one run folder per cell and seed in a sweep folder.`,
    configFile: true,
    ...(train.presets ? { presets: train.presets } : {}),
    options: [
      grid('alpha', 'numberList', 'α values, e.g. 0,0.1,0.5,1'),
      grid('n', 'intList', 'N values (student updates per teacher update), e.g. 1,2,5'),
      grid('tau', 'numberList', 'τ values, e.g. 1,1.5'),
      ...kept.map((o) => (o.name === 'methods' ? { ...o, default: ['lot', 'teacher-only'] } : o)),
      {
        name: 'sweep-dir',
        type: 'string',
        placeholder: 'DIR',
        defaultText: `<runs-dir>/sweep-${domain.name}`,
        help: 'the sweep folder (sweep.json, one folder per run, logs/); running the same sweep again resumes it',
      },
      {
        name: 'parallel',
        type: 'int',
        default: 1,
        min: 1,
        placeholder: 'K',
        help: 'runs at a time (the cores are divided among them unless --threads is given)',
      },
      {
        name: 'print-commands',
        type: 'boolean',
        default: false,
        help: "print one `lot train` command per run (for a cluster scheduler's job array) and exit",
      },
    ],
    notes: [
      'Examples:',
      `  lot sweep ${domain.name} --alpha 0,0.1,0.5,1 --n 1,2,5 --seeds 0-2 --parallel 2`,
      `  lot sweep ${domain.name} --alpha 0.5,1 --n 2 --print-commands > jobs.txt`,
      `  lot report runs/sweep-${domain.name}`,
      'LoT runs once per (τ, α, N, seed), teacher-only once per seed, equal compute once per (N, seed). A run that fails leaves the others going; the same command again skips complete runs and resumes the others from their checkpoints.',
    ],
  };
}

export const TRAIN_HELP = `Usage: lot train <domain> [options]

Domains:
${DOMAINS.map((d) => `  ${d.name.padEnd(10)} ${d.summary}`).join('\n')}

Run \`lot train <domain> --help\` for its options.`;

export const RESUME: CommandSpec = {
  usage: 'lot resume RUN [options]',
  summary: 'Continue an interrupted run from its last checkpoint (same result as an uninterrupted run).',
  positionals: { name: 'RUN', help: 'the run folder (holding config.json and checkpoint.pt)', min: 1, max: 1 },
  options: [
    { name: 'threads', type: 'int', min: 1, defaultText: "the run's setting", help: 'libtorch intra-op threads' },
    { name: 'quiet', type: 'boolean', default: false, help: 'no live progress line' },
    ...launchOptions(),
  ],
  notes: ['A data-parallel run resumes on the same number of processes it started with (--nproc-per-node × --nnodes).'],
};

export const REPORT: CommandSpec = {
  usage: 'lot report RUN... [options]',
  summary: 'Tables (mean ± std over seeds) and plots for run folders; a folder of runs counts as all of them.',
  positionals: { name: 'RUN...', help: 'run folders, or folders holding run folders', min: 1, max: Number.POSITIVE_INFINITY },
  options: [
    {
      name: 'out',
      type: 'string',
      placeholder: 'DIR',
      defaultText: "<first run's parent>/report",
      help: 'where report.md and the plots are written',
    },
  ],
};

export const DASHBOARD: CommandSpec = {
  usage: 'lot dashboard [RUNS-DIR] [options]',
  summary:
    'A web page over a runs folder, in your browser: the runs with their progress, their curves drawn live, runs compared, sweeps with their ablation plots.',
  positionals: { name: 'RUNS-DIR', help: 'the folder holding the runs (default: runs)', min: 0, max: 1 },
  options: [
    { name: 'port', type: 'int', default: 8765, min: 0, max: 65535, placeholder: 'PORT', help: 'the port to listen on (0: any free one)' },
    {
      name: 'host',
      type: 'string',
      default: '127.0.0.1',
      placeholder: 'HOST',
      help: 'the address to listen on (0.0.0.0 serves other machines too: anyone who reaches it can read the runs)',
    },
  ],
  notes: [
    'It serves only what is under RUNS-DIR, needs no network (its scripts come from installed packages), and keeps up while runs are written, resumed or deleted. Ctrl-C stops it.',
  ],
};

/** The imitability study's defaults: teachers that fit their labels (see the README's numbers). */
export const IMITABILITY: CommandSpec = {
  usage: 'lot imitability [options]',
  summary:
    "The paper's first question: students imitating a sophisticated teacher (true labels) vs a deceptive one (permuted labels), with equal compute; train and test KL curves. One run folder per seed.",
  configFile: true,
  options: [
    {
      name: 'teacher',
      type: 'string',
      default: 'preresnet20',
      choices: VISION_MODELS,
      placeholder: 'MODEL',
      help: 'teacher model (both teachers)',
    },
    {
      name: 'student',
      type: 'string',
      choices: VISION_MODELS,
      placeholder: 'MODEL',
      defaultText: "the teacher's architecture",
      help: 'student model',
    },
    { name: 'teacher-epochs', type: 'int', default: 10, min: 1, help: 'epochs the sophisticated teacher trains' },
    {
      name: 'deceptive-epochs',
      type: 'int',
      min: 1,
      defaultText: '4 × --teacher-epochs',
      help: 'epochs the deceptive teacher trains to memorize its permuted labels (it needs more than the sophisticated one)',
    },
    { name: 'student-epochs', type: 'int', default: 5, min: 1, help: 'epochs each student imitates its teacher (KL only)' },
    { name: 'tau', type: 'number', default: 1.5, min: 0, minExclusive: true, help: "τ of the students' KL" },
    {
      name: 'seeds',
      type: 'intList',
      default: [0],
      min: 0,
      placeholder: 'LIST',
      help: 'seeds (models, data order, label permutation), e.g. 0,1,2; one run per seed',
    },
    { name: 'eval-every', type: 'int', default: 20, min: 1, placeholder: 'STEPS', help: 'student steps between KL measurements' },
    ...visionOptions()
      .map((o) => (o.name === 'lr' ? { ...o, default: 0.01, help: 'learning rate (teachers and students)' } : o))
      .map((o) =>
        o.name === 'batch-size'
          ? {
              ...o,
              default: 32,
              help: 'training batch size (32 by default: on a --subset of a few hundred images, 256 leaves the deceptive teacher 2 steps an epoch, too few to memorize its labels)',
            }
          : o,
      )
      .map((o) =>
        o.name === 'eval-batch-size'
          ? {
              ...o,
              default: 100,
              help: 'evaluation batch size (the teachers are tested every epoch and the students every --eval-every steps)',
            }
          : o,
      )
      .map((o) =>
        o.name === 'weight-decay'
          ? { ...o, default: 0, help: 'weight decay (0 by default: it keeps the deceptive teacher from memorizing)' }
          : o,
      )
      .map((o) =>
        o.name === 'augment'
          ? {
              ...o,
              default: false,
              help: 'random crop (padding 4) and flip for teachers and students (off by default: the deceptive teacher must memorize its labels)',
            }
          : o,
      ),
    threads(),
    runsDir(),
    quiet(),
  ],
};

export const DEMO: CommandSpec = {
  usage: 'lot demo [options]',
  summary: "The README's demo: LoT against teacher-only and equal compute on a Fashion-MNIST subset, then the comparison table and plot.",
  options: [
    runsDir('runs/demo'),
    { name: 'data-dir', type: 'string', placeholder: 'DIR', defaultText: 'auto', help: 'folder holding the Fashion-MNIST files' },
    threads(),
    { name: 'quick', type: 'boolean', default: false, help: 'a much smaller demo (about a minute), for a smoke test' },
  ],
};

export const TOP_HELP = `Usage: lot <command> [options]

Learning from Teaching (LoT) regularization: train, compare, report.

Commands:
${DOMAINS.map((d) => `  train ${d.name.padEnd(10)} ${d.summary}`).join('\n')}
  sweep DOMAIN     a grid of α, N, τ and seeds with baselines, k runs at a time
  resume RUN       continue an interrupted run from its last checkpoint
  imitability      sophisticated vs deceptive teacher: how easily students imitate each
  report RUN...    tables (mean ± std over seeds) and plots from run folders
  dashboard [DIR]  a web page of the runs in DIR: progress, live curves, comparisons, sweeps
  demo             the README's demo (LoT vs teacher-only vs equal compute, Fashion-MNIST subset)

Run \`lot <command> --help\` for a command's options and their defaults.
Options:
  -h, --help       show this help
  --version        print the version`;
