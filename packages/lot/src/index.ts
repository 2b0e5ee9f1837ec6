// @lot/core: LoT as a library (the algorithm), the run harness, the domains, imitability and reports.
export * from './lot/index.js';
export * from './harness/index.js';
export * from './tasks/vision/index.js';
export { runImitability, permutedLabels, type ImitabilityConfig, type ImitabilitySummary } from './imitability/index.js';
export { buildReport } from './report/index.js';
export { lmDomain } from './tasks/lm/domain.js';
export { LstmLm, type LstmLmOptions } from './tasks/lm/lstm.js';
export { TransformerXL, type TransformerXLOptions } from './tasks/lm/transformer-xl.js';
export { evaluateSplit, type LmBatch, lmTask, type SequenceModel } from './tasks/lm/task.js';
export { type Corpus, loadCorpus } from './tasks/lm/corpus.js';
export { Vocabulary } from './tasks/lm/vocabulary.js';
export { batchify, segmentBatch, type Columns } from './tasks/lm/segments.js';
