// @lot/core: LoT as a library (the algorithm), the run harness, the domains, imitability and reports.
export * from './lot/index.js';
export * from './harness/index.js';
export * from './tasks/vision/index.js';
export { runImitability, permutedLabels, type ImitabilityConfig, type ImitabilitySummary } from './imitability/index.js';
export { buildReport } from './report/index.js';
