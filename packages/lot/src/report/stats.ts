// Summary statistics over seeds.

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

/** A signed difference in percentage points: "+1.23 ± 0.40". */
export function formatDifference(d: { mean: number; se: number } | null, digits = 2): string {
  if (!d) return '—';
  const m = 100 * d.mean;
  const sign = m >= 0 ? '+' : '−';
  const body = `${sign}${Math.abs(m).toFixed(digits)}`;
  return Number.isNaN(d.se) ? body : `${body} ± ${(100 * d.se).toFixed(digits)}`;
}

/** A plain number to 3 significant digits, its std to the same decimals: "0.0305 ± 0.0007". */
export function formatValue(s: Stat | null, showN = true): string {
  if (!s) return '—';
  const decimals = s.mean === 0 || !Number.isFinite(s.mean) ? 4 : Math.min(12, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(s.mean)))));
  const body = Number.isNaN(s.std) ? s.mean.toFixed(decimals) : `${s.mean.toFixed(decimals)} ± ${s.std.toFixed(decimals)}`;
  return showN ? `${body} (n=${s.n})` : body;
}
