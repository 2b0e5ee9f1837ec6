// `lot dashboard`: a local web page over a runs folder (see server.ts for its routes).
export { type AblationView, splitMarkdownTable } from './ablation.js';
export { RunsRoot } from './paths.js';
export { freshLive, type Live, observe, type Progress, progressOf } from './progress.js';
export type { RunRow } from './run-watch.js';
export { scanRunsFolder } from './scan.js';
export { createDashboard, type DashboardOptions, PAGE_DIR } from './server.js';
export { type Dashboard, DEFAULT_HOST, type StartOptions, startDashboard } from './start.js';
export type { SweepRow } from './sweeps.js';
export { LineTail } from './tail.js';
export { type DashboardEvent, FolderWatch } from './watch.js';
