// How the page writes numbers and times. Plain browser module; rows come from the server's
// RunRow (src/dashboard/run-watch.ts).

/** "42 s", "3 min 20 s", "2 h 05 min". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "α 0.5 · N 2 · τ 1.5" for LoT runs, "N 2" for equal compute, "—" for teacher-only. */
export function setting(row) {
  if (row.method === 'teacher-only') return '—';
  if (row.method === 'equal-compute') return row.n === null ? '—' : `N ${row.n}`;
  return [`α ${row.alpha ?? '?'}`, `N ${row.n ?? '?'}`, `τ ${row.tau ?? '?'}`].join(' · ');
}

/** "step 40 / 80 (50%)", "epoch 2 / 10", or "—". */
export function progressText(p) {
  const percent = p.fraction === null ? '' : ` (${Math.round(100 * p.fraction)}%)`;
  if (p.step !== null && p.totalSteps !== null) return `step ${p.step} / ${p.totalSteps}${percent}`;
  if (p.epoch !== null && p.epochs !== null) return `epoch ${p.epoch} / ${p.epochs}${percent}`;
  if (p.step !== null) return `step ${p.step}`;
  return '—';
}

/** The value as drawn: percentages for percent metrics (the report's `plotted`). */
export const plotted = (metric, v) => (v === null || v === undefined ? null : metric.percent ? 100 * v : v);

/** The y axis title, as the report's metricAxisTitle. */
export const metricTitle = (metric) =>
  `teacher ${metric.label}${metric.percent ? ' (%)' : ''}${metric.direction === 'min' ? ' (lower is better)' : ''}`;

/** "2 min ago" for a time in ms since the epoch. */
export function ago(ms) {
  if (!ms) return '';
  return `${duration(Math.max(0, (Date.now() - ms) / 1000))} ago`;
}
