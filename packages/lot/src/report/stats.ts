// Summary statistics over seeds, and how tables print them.
import type { PrimaryMetric } from '../harness/records.js';

export interface Stat {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN when n < 2. */
  std: number;
}

export function stat(values: readonly number[]): Stat | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: NaN };
  const ss = values.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return { n, mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Difference of means a − b with its standard error √(s_a²/n_a + s_b²/n_b) (NaN unless both n ≥ 2). */
export function difference(a: Stat, b: Stat): { mean: number; se: number } {
  return { mean: a.mean - b.mean, se: Math.sqrt((a.std * a.std) / a.n + (b.std * b.std) / b.n) };
}

/** "81.23 ± 0.45" in percent (values are fractions), or "81.23" when there is no spread. */
export function formatPercent(s: Stat | null, digits = 2, showN = true): string {
  if (!s) return '—';
  const m = (100 * s.mean).toFixed(digits);
  const body = Number.isNaN(s.std) ? m : `${m} ± ${(100 * s.std).toFixed(digits)}`;
  return showN ? `${body} (n=${s.n})` : body;
}

/** "+1.23 ± 0.40": a signed difference times `scale`, its standard error to the same decimals. */
function formatSigned(d: { mean: number; se: number }, digits: number, scale: number): string {
  const m = scale * d.mean;
  const body = `${m >= 0 ? '+' : '−'}${Math.abs(m).toFixed(digits)}`;
  return Number.isNaN(d.se) ? body : `${body} ± ${(scale * d.se).toFixed(digits)}`;
}

/** A signed difference in percentage points: "+1.23 ± 0.40". */
export function formatDifference(d: { mean: number; se: number } | null, digits = 2): string {
  return d ? formatSigned(d, digits, 100) : '—';
}

/** Decimals that show `x` to 3 significant digits (4 for 0 or non-finite x). */
const decimalsFor = (x: number): number =>
  x === 0 || !Number.isFinite(x) ? 4 : Math.min(12, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x)))));

/** A plain number to 3 significant digits, its std to the same decimals: "0.0305 ± 0.0007". */
export function formatValue(s: Stat | null, showN = true): string {
  if (!s) return '—';
  const decimals = decimalsFor(s.mean);
  const body = Number.isNaN(s.std) ? s.mean.toFixed(decimals) : `${s.mean.toFixed(decimals)} ± ${s.std.toFixed(decimals)}`;
  return showN ? `${body} (n=${s.n})` : body;
}

/** A metric over seeds: in percent ("81.23 ± 0.45") when `metric.percent`, else a plain number ("82.3 ± 1.2"). */
export function formatMetric(s: Stat | null, metric: PrimaryMetric, showN = true): string {
  return metric.percent ? formatPercent(s, 2, showN) : formatValue(s, showN);
}

/**
 * A difference of a metric's means: percentage points when `metric.percent`, else the metric's
 * units with at least 2 decimals and 3 significant digits ("−3.10 ± 0.50").
 */
export function formatMetricDifference(d: { mean: number; se: number } | null, metric: PrimaryMetric): string {
  if (!d) return '—';
  return metric.percent ? formatDifference(d) : formatSigned(d, Math.max(2, decimalsFor(d.mean)), 1);
}

/** One run's metric value: "85.00%" or "82.3"; "—" when missing. */
export function formatMetricValue(x: number | null, metric: PrimaryMetric): string {
  if (x === null) return '—';
  return metric.percent ? `${(100 * x).toFixed(2)}%` : x.toFixed(decimalsFor(x));
}
