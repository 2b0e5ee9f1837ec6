// The vision domain's settings (config.json fields beside the harness's) and their flags,
// shared by `lot train vision` and `lot imitability`.
import { Fields, type OptionSpec, type OptionValues, type RunConfig, UsageError } from '../../harness/index.js';
import { VISION_DATASETS, type VisionDatasetName } from './datasets/index.js';

export const SCHEDULES = ['cosine', 'constant'] as const;

export interface VisionSettings {
  dataset: VisionDatasetName;
  /** Folder with the dataset files; null: the dataset loader's defaults. */
  dataDir: string | null;
  download: boolean;
  /** First N training / test images; null: all. */
  subset: number | null;
  testSubset: number | null;
  augment: boolean;
  lr: number;
  studentLr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Cosine over epochs (PyTorch's CosineAnnealingLR, T_max = epochs) or constant. */
  schedule: (typeof SCHEDULES)[number];
  batchSize: number;
  evalBatchSize: number;
}

/** A vision run's config.json: the harness's fields and the vision settings. */
export type VisionRunConfig = RunConfig & VisionSettings;

/** The data and optimizer flags (defaults: the reference recipe, docs/METHOD.md#vision-recipe). */
export const visionOptions = (): OptionSpec[] => [
  { name: 'dataset', type: 'string', default: 'fashion-mnist', choices: VISION_DATASETS, placeholder: 'NAME', help: 'dataset' },
  {
    name: 'data-dir',
    type: 'string',
    placeholder: 'DIR',
    defaultText: "auto: Debian's dataset package or ~/.cache/lot/<dataset>",
    help: 'folder holding the dataset files',
  },
  { name: 'download', type: 'boolean', default: true, help: 'download the dataset when it is not on disk (--no-download to forbid)' },
  { name: 'subset', type: 'int', min: 1, placeholder: 'N', defaultText: 'all', help: 'train on the first N training images only' },
  { name: 'test-subset', type: 'int', min: 1, placeholder: 'N', defaultText: 'all', help: 'evaluate on the first N test images only' },
  { name: 'batch-size', type: 'int', default: 256, min: 1, help: 'training batch size' },
  { name: 'eval-batch-size', type: 'int', default: 1000, min: 1, help: 'evaluation batch size' },
  {
    name: 'lr',
    type: 'number',
    default: 1.0,
    min: 0,
    minExclusive: true,
    help: 'learning rate (the reference implementation uses 1.0; 0.1 is the usual choice for ResNets)',
  },
  { name: 'student-lr', type: 'number', min: 0, minExclusive: true, defaultText: "the teacher's --lr", help: "students' learning rate" },
  { name: 'momentum', type: 'number', default: 0.9, min: 0, max: 1, help: 'SGD momentum' },
  { name: 'nesterov', type: 'boolean', default: true, help: 'Nesterov momentum (--no-nesterov for plain)' },
  { name: 'weight-decay', type: 'number', default: 1e-4, min: 0, help: 'weight decay' },
  { name: 'schedule', type: 'string', default: 'cosine', choices: SCHEDULES, help: 'learning-rate schedule over epochs' },
  { name: 'augment', type: 'boolean', default: true, help: 'random crop (padding 4) and horizontal flip (--no-augment to turn off)' },
];

export function visionSettingsFrom(v: OptionValues): VisionSettings {
  const subset = v.optionalNumber('subset') ?? null;
  const batchSize = v.number('batch-size');
  if (subset !== null && batchSize > subset)
    throw new UsageError(`--batch-size ${batchSize} is larger than --subset ${subset}; lower --batch-size or raise --subset`);
  const lr = v.number('lr');
  return {
    dataset: v.choice('dataset', VISION_DATASETS),
    dataDir: v.optionalString('data-dir') ?? null,
    download: v.boolean('download'),
    subset,
    testSubset: v.optionalNumber('test-subset') ?? null,
    augment: v.boolean('augment'),
    lr,
    studentLr: v.optionalNumber('student-lr') ?? lr,
    momentum: v.number('momentum'),
    nesterov: v.boolean('nesterov'),
    weightDecay: v.number('weight-decay'),
    schedule: v.choice('schedule', SCHEDULES),
    batchSize,
    evalBatchSize: v.number('eval-batch-size'),
  };
}

export function parseVisionSettings(raw: unknown, where: string): VisionSettings {
  const f = Fields.of(raw, where);
  return {
    dataset: f.choice('dataset', VISION_DATASETS),
    dataDir: f.optStr('dataDir'),
    download: f.bool('download'),
    subset: f.optInt('subset'),
    testSubset: f.optInt('testSubset'),
    augment: f.bool('augment'),
    lr: f.num('lr'),
    studentLr: f.num('studentLr'),
    momentum: f.num('momentum'),
    nesterov: f.bool('nesterov'),
    weightDecay: f.num('weightDecay'),
    schedule: f.choice('schedule', SCHEDULES),
    batchSize: f.int('batchSize'),
    evalBatchSize: f.int('evalBatchSize'),
  };
}

/** The data set's name (reports add the subset sizes from config.json). */
export const visionDataLabel = (s: Pick<VisionSettings, 'dataset'>): string => s.dataset;
