// Language modelling as a harness domain: `lot train lm`. Light (no libtorch): the runtime with
// the corpus, models and runs is loaded when a run starts.
import type { Domain } from '../../harness/index.js';
import type { Corpus } from './corpus.js';
import { LM_MODELS, LM_PRESETS, type LmSettings, lmDataLabel, lmOptions, lmSettingsFrom, parseLmSettings } from './settings.js';

export const lmDomain: Domain<LmSettings, Corpus> = {
  name: 'lm',
  summary: 'word-level language models (Transformer-XL, LSTM) on kjv, sotu, ptb, wikitext-2/103 or a text file',
  models: LM_MODELS,
  defaultModel: 'transformer-xl',
  metric: {
    key: 'validPerplexity',
    label: 'valid perplexity',
    direction: 'min',
    percent: false,
    finalKey: 'testPerplexity',
    finalLabel: 'test (best checkpoint)',
  },
  options: lmOptions(),
  presets: LM_PRESETS,
  // One LoT run in about 8 minutes on 2 cores (README), with a valid-perplexity curve inside the epoch.
  defaults: { epochs: 1, 'eval-every': 300 },
  examples: [
    'lot train lm --dataset kjv --seeds 0,1,2 --methods lot,teacher-only,equal-compute',
    'lot train lm --preset ptb-txl --data-dir ~/data/ptb',
    'lot train lm --dataset text --text notes.txt --teacher lstm --d-model 200 --optimizer sgd --lr 20',
  ],
  settingsFrom: lmSettingsFrom,
  parseSettings: parseLmSettings,
  dataLabel: lmDataLabel,
  runtime: async () => (await import('./runtime.js')).lmRuntime,
};
