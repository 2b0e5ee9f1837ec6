// The language-model domain's settings (config.json fields beside the harness's), their flags,
// and the presets of docs/METHOD.md#transformer-xl-presets and #lstm.
import { Fields, type OptionSpec, type OptionValues, type Preset, type RunConfig, UsageError } from '../../harness/index.js';
import { CORPORA, type CorpusName, type CorpusSpec } from './corpus.js';

export const LM_MODELS = ['transformer-xl', 'lstm'] as const;
export type LmModelName = (typeof LM_MODELS)[number];
export const OPTIMIZERS = ['adam', 'sgd'] as const;
/** cosine-step: cosine to 0 over all teacher steps; cosine-epoch: over epochs, stepped per epoch. */
export const LM_SCHEDULES = ['cosine-step', 'cosine-epoch', 'constant'] as const;
/** same: the teacher's; plateau: the reference's PTB-LSTM student rule (×0.25 when validation got worse). */
export const STUDENT_SCHEDULES = ['same', 'plateau'] as const;

export interface LmSettings {
  dataset: CorpusName;
  /** The file of the `text` corpus. */
  text: string | null;
  dataDir: string | null;
  download: boolean;
  /** Cap the vocabulary at this many ids (null: the corpus's rule). */
  vocabSize: number | null;
  /** Segment length (BPTT for the LSTM, tgt_len for Transformer-XL), also in evaluation. */
  segment: number;
  /** Transformer-XL memory length (0: none). */
  memLen: number;
  batchSize: number;
  evalBatchSize: number;
  layers: number;
  /** Transformer-XL width, heads, head size, feed-forward size; the LSTM's size is `dModel`. */
  dModel: number;
  heads: number;
  dHead: number;
  dInner: number;
  dropout: number;
  dropAtt: number;
  /** LSTM: tie the embedding and the decoder. */
  tied: boolean;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  studentLr: number;
  momentum: number;
  /** Gradient-norm clip per model (0: none). */
  clip: number;
  schedule: (typeof LM_SCHEDULES)[number];
  studentSchedule: (typeof STUDENT_SCHEDULES)[number];
}

export type LmRunConfig = RunConfig & LmSettings;

export const lmOptions = (): OptionSpec[] => [
  {
    name: 'dataset',
    type: 'string',
    default: 'kjv',
    choices: CORPORA,
    placeholder: 'NAME',
    help: 'corpus (kjv: the King James Bible, PTB-sized; sotu: State of the Union addresses, WikiText-2-sized; text: --text FILE)',
  },
  { name: 'text', type: 'string', placeholder: 'FILE', defaultText: 'none', help: 'the plain-text file of --dataset text' },
  {
    name: 'data-dir',
    type: 'string',
    placeholder: 'DIR',
    defaultText: '~/.cache/lot/<corpus>',
    help: 'folder holding the corpus files (ptb, wikitext-2, wikitext-103)',
  },
  {
    name: 'download',
    type: 'boolean',
    default: true,
    help: 'download a published corpus when it is not on disk (--no-download to forbid)',
  },
  { name: 'vocab-size', type: 'int', min: 2, placeholder: 'N', defaultText: "the corpus's rule", help: 'cap the vocabulary at N ids' },
  {
    name: 'segment',
    type: 'int',
    default: 35,
    min: 1,
    placeholder: 'TOKENS',
    help: 'segment length (BPTT; Transformer-XL tgt_len), also in evaluation',
  },
  { name: 'mem-len', type: 'int', default: 35, min: 0, placeholder: 'TOKENS', help: 'Transformer-XL memory length' },
  { name: 'batch-size', type: 'int', default: 20, min: 1, help: 'training columns' },
  { name: 'eval-batch-size', type: 'int', default: 10, min: 1, help: 'evaluation columns' },
  { name: 'layers', type: 'int', default: 2, min: 1, help: 'layers' },
  { name: 'd-model', type: 'int', default: 96, min: 1, help: 'Transformer-XL width; the LSTM size' },
  { name: 'heads', type: 'int', default: 4, min: 1, help: 'Transformer-XL attention heads' },
  { name: 'd-head', type: 'int', default: 24, min: 1, help: 'Transformer-XL head size' },
  { name: 'd-inner', type: 'int', default: 384, min: 1, help: 'Transformer-XL feed-forward size' },
  { name: 'dropout', type: 'number', default: 0.1, min: 0, max: 1, help: 'dropout' },
  { name: 'dropatt', type: 'number', default: 0, min: 0, max: 1, help: 'Transformer-XL attention dropout' },
  { name: 'tied', type: 'boolean', default: false, help: 'LSTM: tie the embedding and decoder weights' },
  { name: 'optimizer', type: 'string', default: 'adam', choices: OPTIMIZERS, help: 'optimizer (both models)' },
  { name: 'lr', type: 'number', default: 1e-3, min: 0, minExclusive: true, help: 'learning rate' },
  { name: 'student-lr', type: 'number', min: 0, minExclusive: true, defaultText: "the teacher's --lr", help: "students' learning rate" },
  { name: 'momentum', type: 'number', default: 0, min: 0, max: 1, help: 'SGD momentum' },
  { name: 'clip', type: 'number', default: 0.35, min: 0, help: 'gradient-norm clip per model (0: none)' },
  { name: 'schedule', type: 'string', default: 'cosine-step', choices: LM_SCHEDULES, help: 'learning-rate schedule' },
  {
    name: 'student-schedule',
    type: 'string',
    default: 'same',
    choices: STUDENT_SCHEDULES,
    help: "students' schedule: the teacher's, or the PTB-LSTM plateau rule",
  },
];

const TXL_PTB = {
  teacher: 'transformer-xl',
  layers: 4,
  'd-model': 200,
  heads: 8,
  'd-head': 20,
  'd-inner': 1000,
  dropatt: 0,
  optimizer: 'adam',
  lr: 1e-3,
  schedule: 'cosine-step',
  'eval-batch-size': 10,
};
const LSTM = { teacher: 'lstm', layers: 2, 'd-model': 650, optimizer: 'sgd', momentum: 0.3, clip: 0.2, 'eval-batch-size': 10 };

/** docs/METHOD.md#transformer-xl-presets and #lstm, with the LoT setting of each. */
export const LM_PRESETS: Record<string, Preset> = {
  'ptb-txl': {
    help: 'Transformer-XL on PTB: 4×200, segment = memory = 70, batch 60, Adam 1e-3 cosine per step, clip 0.35, 10 epochs, α 0.5, N 5',
    values: {
      ...TXL_PTB,
      dataset: 'ptb',
      dropout: 0.25,
      segment: 70,
      'mem-len': 70,
      'batch-size': 60,
      clip: 0.35,
      epochs: 10,
      alpha: 0.5,
      n: 5,
      tau: 1.5,
    },
  },
  'wt103-txl': {
    help: 'Transformer-XL on WikiText-103: 4×410, 12 heads of 41, inner 2100, segment = memory = 100, batch 30, clip 0.25, 4 epochs, α 0.1, N 4',
    values: {
      ...TXL_PTB,
      dataset: 'wikitext-103',
      'd-model': 410,
      heads: 12,
      'd-head': 41,
      'd-inner': 2100,
      dropout: 0.1,
      segment: 100,
      'mem-len': 100,
      'batch-size': 30,
      clip: 0.25,
      epochs: 4,
      alpha: 0.1,
      n: 4,
      tau: 1.5,
    },
  },
  'ptb-lstm': {
    help: 'LSTM 2×650 on PTB: dropout 0.45, SGD lr 30 momentum 0.3, clip 0.2, batch 20 × 35, 60 epochs, teacher cosine per epoch, student plateau, α 1, N 5',
    values: {
      ...LSTM,
      dataset: 'ptb',
      dropout: 0.45,
      lr: 30,
      'batch-size': 20,
      segment: 35,
      'mem-len': 0,
      epochs: 60,
      schedule: 'cosine-epoch',
      'student-schedule': 'plateau',
      alpha: 1,
      n: 5,
      tau: 1.5,
    },
  },
  'wt103-lstm': {
    help: 'LSTM 2×650 on WikiText-103: dropout 0.1, SGD lr 40, batch 30 × 100, 3 epochs, cosine per step for both, α 0.1, N 4',
    values: {
      ...LSTM,
      dataset: 'wikitext-103',
      dropout: 0.1,
      lr: 40,
      'batch-size': 30,
      segment: 100,
      'mem-len': 0,
      epochs: 3,
      schedule: 'cosine-step',
      alpha: 0.1,
      n: 4,
      tau: 1.5,
    },
  },
};

export function lmSettingsFrom(v: OptionValues): LmSettings {
  const dataset = v.choice('dataset', CORPORA);
  const text = v.optionalString('text') ?? null;
  if (dataset === 'text' && !text)
    throw new UsageError('--dataset text needs --text FILE (a plain-text file, one sentence or paragraph a line)');
  if (dataset !== 'text' && text) throw new UsageError(`--text is for --dataset text, not ${dataset}; drop --text or use --dataset text`);
  const lr = v.number('lr');
  return {
    dataset,
    text,
    dataDir: v.optionalString('data-dir') ?? null,
    download: v.boolean('download'),
    vocabSize: v.optionalNumber('vocab-size') ?? null,
    segment: v.number('segment'),
    memLen: v.number('mem-len'),
    batchSize: v.number('batch-size'),
    evalBatchSize: v.number('eval-batch-size'),
    layers: v.number('layers'),
    dModel: v.number('d-model'),
    heads: v.number('heads'),
    dHead: v.number('d-head'),
    dInner: v.number('d-inner'),
    dropout: v.number('dropout'),
    dropAtt: v.number('dropatt'),
    tied: v.boolean('tied'),
    optimizer: v.choice('optimizer', OPTIMIZERS),
    lr,
    studentLr: v.optionalNumber('student-lr') ?? lr,
    momentum: v.number('momentum'),
    clip: v.number('clip'),
    schedule: v.choice('schedule', LM_SCHEDULES),
    studentSchedule: v.choice('student-schedule', STUDENT_SCHEDULES),
  };
}

export function parseLmSettings(raw: unknown, where: string): LmSettings {
  const f = Fields.of(raw, where);
  return {
    dataset: f.choice('dataset', CORPORA),
    text: f.optStr('text'),
    dataDir: f.optStr('dataDir'),
    download: f.bool('download'),
    vocabSize: f.optInt('vocabSize'),
    segment: f.int('segment'),
    memLen: f.int('memLen'),
    batchSize: f.int('batchSize'),
    evalBatchSize: f.int('evalBatchSize'),
    layers: f.int('layers'),
    dModel: f.int('dModel'),
    heads: f.int('heads'),
    dHead: f.int('dHead'),
    dInner: f.int('dInner'),
    dropout: f.num('dropout'),
    dropAtt: f.num('dropAtt'),
    tied: f.bool('tied'),
    optimizer: f.choice('optimizer', OPTIMIZERS),
    lr: f.num('lr'),
    studentLr: f.num('studentLr'),
    momentum: f.num('momentum'),
    clip: f.num('clip'),
    schedule: f.choice('schedule', LM_SCHEDULES),
    studentSchedule: f.choice('studentSchedule', STUDENT_SCHEDULES),
  };
}

export const corpusSpecOf = (s: Pick<LmSettings, 'dataset' | 'text'>): CorpusSpec =>
  s.dataset === 'text' ? { name: 'text', path: s.text ?? '' } : { name: s.dataset };

export const lmDataLabel = (s: Pick<LmSettings, 'dataset' | 'text'>): string => (s.dataset === 'text' ? `text:${s.text}` : s.dataset);
