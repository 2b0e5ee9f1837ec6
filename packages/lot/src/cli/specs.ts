// The `lot` command's subcommands and their options (defaults: LOT.md's reference recipe).
// Kept free of heavy imports so that `lot --help` and argument errors are instant.
import { cpus } from 'node:os';
import type { CommandSpec, OptionSpec } from './options.js';

export const DATASETS = ['fashion-mnist', 'cifar10', 'cifar100'] as const;
/** Models the vision task builds (checked again against the model factory at run time). */
export const VISION_MODELS = ['smallcnn', 'preresnet20', 'preresnet32', 'preresnet44', 'preresnet56', 'preresnet110'] as const;
export const METHODS = ['lot', 'teacher-only', 'equal-compute'] as const;
export type Method = (typeof METHODS)[number];
export const VARIANTS = ['kl_ce', 'kl', 'symmetric_kl', 'symmetric_kl_ce'] as const;

const defaultThreads = Math.max(1, cpus().length);

/** Options shared by every command that trains. */
const common = (): OptionSpec[] => [
  { name: 'dataset', type: 'string', default: 'fashion-mnist', choices: DATASETS, placeholder: 'NAME', help: 'dataset' },
  { name: 'data-dir', type: 'string', placeholder: 'DIR', defaultText: 'auto: Debian\'s dataset package or ~/.cache/lot/<dataset>', help: 'folder holding the dataset files' },
  { name: 'download', type: 'boolean', default: true, help: 'download the dataset when it is not on disk (--no-download to forbid)' },
  { name: 'subset', type: 'int', min: 1, placeholder: 'N', defaultText: 'all', help: 'train on the first N training images only' },
  { name: 'test-subset', type: 'int', min: 1, placeholder: 'N', defaultText: 'all', help: 'evaluate on the first N test images only' },
  { name: 'batch-size', type: 'int', default: 256, min: 1, help: 'training batch size' },
  { name: 'eval-batch-size', type: 'int', default: 1000, min: 1, help: 'evaluation batch size' },
  { name: 'lr', type: 'number', default: 1.0, min: 0, minExclusive: true, help: 'learning rate (the reference implementation uses 1.0; 0.1 is the usual choice for ResNets)' },
  { name: 'momentum', type: 'number', default: 0.9, min: 0, max: 1, help: 'SGD momentum' },
  { name: 'nesterov', type: 'boolean', default: true, help: 'Nesterov momentum (--no-nesterov for plain)' },
  { name: 'weight-decay', type: 'number', default: 1e-4, min: 0, help: 'weight decay' },
  { name: 'schedule', type: 'string', default: 'cosine', choices: ['cosine', 'constant'], help: 'learning-rate schedule over epochs' },
  { name: 'augment', type: 'boolean', default: true, help: 'random crop (padding 4) and horizontal flip (--no-augment to turn off)' },
  { name: 'threads', type: 'int', default: defaultThreads, min: 1, help: 'libtorch intra-op threads' },
  { name: 'runs-dir', type: 'string', default: 'runs', placeholder: 'DIR', help: 'where run folders are written' },
  { name: 'log-every', type: 'int', default: 50, min: 1, placeholder: 'STEPS', help: 'write a step record to metrics.jsonl every this many teacher steps' },
  { name: 'quiet', type: 'boolean', default: false, help: 'no live progress line (epoch lines and errors only)' },
];

export const TRAIN_VISION: CommandSpec = {
  usage: 'lot train vision [options]',
  summary: 'Train a teacher with LoT (and its baselines) on an image dataset; one run folder per method and seed.',
  configFile: true,
  options: [
    { name: 'teacher', type: 'string', default: 'preresnet20', choices: VISION_MODELS, placeholder: 'MODEL', help: 'teacher model' },
    { name: 'student', type: 'stringList', choices: VISION_MODELS, placeholder: 'MODEL[,MODEL...]', defaultText: 'the teacher\'s architecture', help: 'student model(s); several (comma-separated) train K students with uniform weights λ' },
    { name: 'alpha', type: 'number', default: 0.5, min: 0, help: 'α, weight of the imitability regularizer' },
    { name: 'n', type: 'int', default: 2, min: 1, help: 'N, student updates per teacher update' },
    { name: 'tau', type: 'number', default: 1.5, min: 0, minExclusive: true, help: 'τ, temperature of the KL terms' },
    { name: 'variant', type: 'string', default: 'kl_ce', choices: VARIANTS, help: 'loss variant' },
    { name: 'detach', type: 'boolean', default: true, help: 'detach the other model\'s logits in each loss (--no-detach lets both losses reach both models)' },
    { name: 'epochs', type: 'int', default: 10, min: 1, help: 'training epochs (equal-compute runs more: LoT\'s cost in teacher-only epochs)' },
    { name: 'seeds', type: 'intList', default: [0], min: 0, placeholder: 'LIST', help: 'seeds, e.g. 0,1,2 or 0-4; one run per seed and method' },
    { name: 'methods', type: 'stringList', default: ['lot'], choices: METHODS, placeholder: 'LIST', help: 'methods to run side by side, e.g. lot,teacher-only,equal-compute' },
    { name: 'baseline', type: 'stringList', choices: ['teacher-only', 'equal-compute'], placeholder: 'NAME', defaultText: 'none', help: 'also run this baseline (same as adding it to --methods)' },
    { name: 'student-lr', type: 'number', min: 0, minExclusive: true, defaultText: 'the teacher\'s --lr', help: 'students\' learning rate' },
    ...common(),
    { name: 'dry-run', type: 'boolean', default: false, help: 'print the resolved run configurations (JSON) and exit without training' },
  ],
  notes: [
    'Examples:',
    '  lot train vision --dataset fashion-mnist --epochs 10 --seeds 0,1,2 --methods lot,teacher-only,equal-compute',
    '  lot report runs/',
    'Each run writes <runs-dir>/<id>/ with config.json, metrics.jsonl, checkpoint.pt and summary.json. Ctrl-C saves a checkpoint and stops; `lot resume <run folder>` continues.',
  ],
};

export const RESUME: CommandSpec = {
  usage: 'lot resume RUN [options]',
  summary: 'Continue an interrupted run from its last checkpoint (same result as an uninterrupted run).',
  positionals: { name: 'RUN', help: 'the run folder (holding config.json and checkpoint.pt)', min: 1, max: 1 },
  options: [
    { name: 'threads', type: 'int', min: 1, defaultText: 'the run\'s setting', help: 'libtorch intra-op threads' },
    { name: 'quiet', type: 'boolean', default: false, help: 'no live progress line' },
  ],
};

export const REPORT: CommandSpec = {
  usage: 'lot report RUN... [options]',
  summary: 'Tables (mean ± std over seeds) and plots for run folders; a folder of runs counts as all of them.',
  positionals: { name: 'RUN...', help: 'run folders, or folders holding run folders', min: 1, max: Infinity },
  options: [
    { name: 'out', type: 'string', placeholder: 'DIR', defaultText: '<first run\'s parent>/report', help: 'where report.md and the plots are written' },
  ],
};

export const IMITABILITY: CommandSpec = {
  usage: 'lot imitability [options]',
  summary: 'The paper\'s first question: students imitating a sophisticated teacher (true labels) vs a deceptive one (permuted labels), with equal compute; train and test KL curves.',
  configFile: true,
  options: [
    { name: 'teacher', type: 'string', default: 'preresnet20', choices: VISION_MODELS, placeholder: 'MODEL', help: 'teacher model (both teachers)' },
    { name: 'student', type: 'string', choices: VISION_MODELS, placeholder: 'MODEL', defaultText: 'the teacher\'s architecture', help: 'student model' },
    { name: 'teacher-epochs', type: 'int', default: 10, min: 1, help: 'epochs each teacher trains (the deceptive one fits permuted labels)' },
    { name: 'deceptive-epochs', type: 'int', min: 1, defaultText: '4 × --teacher-epochs', help: 'epochs the deceptive teacher trains to memorize its permuted labels (it needs more than the sophisticated one)' },
    { name: 'student-epochs', type: 'int', default: 5, min: 1, help: 'epochs each student imitates its teacher (KL only)' },
    { name: 'tau', type: 'number', default: 1.5, min: 0, minExclusive: true, help: 'τ of the students\' KL' },
    { name: 'seed', type: 'int', default: 0, min: 0, help: 'seed (models, data order, and the label permutation)' },
    { name: 'eval-every', type: 'int', default: 20, min: 1, placeholder: 'STEPS', help: 'student steps between KL measurements' },
    ...common()
      .map((o) => (o.name === 'lr' ? { ...o, default: 0.01, help: 'learning rate (teachers and students)' } : o))
      .map((o) => (o.name === 'weight-decay' ? { ...o, default: 0, help: 'weight decay (0 by default: it keeps the deceptive teacher from memorizing)' } : o))
      .map((o) => (o.name === 'augment' ? { ...o, default: false, help: 'random crop (padding 4) and flip for teachers and students (off by default: the deceptive teacher must memorize its labels)' } : o))
      .filter((o) => o.name !== 'log-every'),
  ],
};

export const DEMO: CommandSpec = {
  usage: 'lot demo [options]',
  summary: 'The README\'s demo: LoT against teacher-only and equal compute on a Fashion-MNIST subset, then the comparison table and plot.',
  options: [
    { name: 'runs-dir', type: 'string', default: 'runs/demo', placeholder: 'DIR', help: 'where the demo\'s run folders and report go' },
    { name: 'data-dir', type: 'string', placeholder: 'DIR', defaultText: 'auto', help: 'folder holding the Fashion-MNIST files' },
    { name: 'threads', type: 'int', default: defaultThreads, min: 1, help: 'libtorch intra-op threads' },
    { name: 'quick', type: 'boolean', default: false, help: 'a much smaller demo (about a minute), for a smoke test' },
  ],
};

export const TOP_HELP = `Usage: lot <command> [options]

Learning from Teaching (LoT) regularization: train, compare, report.

Commands:
  train vision     train with LoT and its baselines on images (fashion-mnist, cifar10, cifar100)
  resume RUN       continue an interrupted run from its last checkpoint
  imitability      sophisticated vs deceptive teacher: how easily students imitate each
  report RUN...    tables (mean ± std over seeds) and plots from run folders
  demo             the README's demo (LoT vs teacher-only vs equal compute, Fashion-MNIST subset)

Run \`lot <command> --help\` for a command's options and their defaults.
Options:
  -h, --help       show this help
  --version        print the version`;
