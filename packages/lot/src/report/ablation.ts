// Ablation reports of a sweep (harness/sweep.ts): the teacher's final metric per (τ, α, N) cell,
// mean ± std over seeds, against α (one line per N) and against N (one line per α), one panel per
// τ, with teacher-only's mean as a reference line; and the table of every cell.
import type { TopLevelSpec } from 'vega-lite';
import type { PrimaryMetric } from '../harness/records.js';
import { METHOD_COLOR, metricAxisTitle, plotted } from './plots.js';
import type { LoadedRun } from './runs.js';
import { difference, formatMetric, formatMetricDifference, type Stat, stat } from './stats.js';
import { isFinished } from './table.js';

/** What N is called on the axis when the domain does not say: the vision and language-model meaning. */
export const DEFAULT_N_LABEL = 'N (student updates per teacher update)';

export interface AblationCell {
  tau: number;
  alpha: number;
  n: number;
  lot: Stat | null;
}

export interface Ablation {
  metric: PrimaryMetric;
  cells: AblationCell[];
  teacherOnly: Stat | null;
  /** Equal compute by N (its budget is LoT's cost at that N). */
  equalCompute: Map<number, Stat | null>;
}

const finalsOf = (runs: LoadedRun[]): number[] => runs.filter(isFinished).flatMap((r) => (r.finalMetric === null ? [] : [r.finalMetric]));
const sorted = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The cells of a sweep's runs (all of one domain and metric). */
export function ablationOf(runs: LoadedRun[]): Ablation | null {
  const lot = runs.filter((r) => r.method === 'lot' && r.alpha !== null && r.n !== null && r.tau !== null);
  if (!lot.length) return null;
  const metric = lot[0]!.metric;
  const cells: AblationCell[] = [];
  for (const tau of sorted(lot.map((r) => r.tau!))) {
    for (const alpha of sorted(lot.map((r) => r.alpha!))) {
      for (const n of sorted(lot.map((r) => r.n!))) {
        const here = lot.filter((r) => r.tau === tau && r.alpha === alpha && r.n === n);
        if (here.length) cells.push({ tau, alpha, n, lot: stat(finalsOf(here)) });
      }
    }
  }
  const equalCompute = new Map<number, Stat | null>();
  for (const n of sorted(lot.map((r) => r.n!))) {
    const runsAtN = runs.filter((r) => r.method === 'equal-compute' && r.n === n);
    if (runsAtN.length) equalCompute.set(n, stat(finalsOf(runsAtN)));
  }
  return { metric, cells, teacherOnly: stat(finalsOf(runs.filter((r) => r.method === 'teacher-only'))), equalCompute };
}

/** Every cell: τ, α, N, LoT, LoT − teacher-only, and equal compute at that N. */
export function ablationTable(a: Ablation): string {
  const m = a.metric;
  const lines = [
    `| τ | α | N | LoT | LoT − teacher-only | equal compute at N |`,
    '|---|---|---|---|---|---|',
    ...a.cells.map((c) => {
      const diff = c.lot && a.teacherOnly ? formatMetricDifference(difference(c.lot, a.teacherOnly), m) : '—';
      const ec = a.equalCompute.has(c.n) ? formatMetric(a.equalCompute.get(c.n) ?? null, m) : '—';
      return `| ${c.tau} | ${c.alpha} | ${c.n} | ${formatMetric(c.lot, m)} | ${diff} | ${ec} |`;
    }),
  ];
  lines.push('', `Teacher-only: ${formatMetric(a.teacherOnly, m)}.`);
  return lines.join('\n');
}

/**
 * The metric against α (`x` 'alpha', a line per N) or against N (`x` 'n', a line per α), a panel
 * per τ, error bars ± std over seeds, teacher-only's mean as a dashed rule.
 */
export function ablationSpec(a: Ablation, x: 'alpha' | 'n', nLabel = DEFAULT_N_LABEL): TopLevelSpec | null {
  const m = a.metric;
  const values = a.cells.flatMap((c) => {
    if (!c.lot) return [];
    const mean = plotted(m, c.lot.mean)!;
    const sd = Number.isNaN(c.lot.std) ? 0 : plotted(m, c.lot.std)!;
    return [
      {
        tau: `τ = ${c.tau}`,
        alpha: c.alpha,
        n: c.n,
        line: x === 'alpha' ? `N = ${c.n}` : `α = ${c.alpha}`,
        mean,
        lo: mean - sd,
        hi: mean + sd,
        seeds: c.lot.n,
      },
    ];
  });
  if (!values.length) return null;
  const xEnc = { field: x, type: 'quantitative', title: x === 'alpha' ? 'α (weight of the imitability term)' : nLabel };
  const y = { field: 'mean', type: 'quantitative', title: metricAxisTitle(m), scale: { zero: false } };
  const color = { field: 'line', type: 'nominal', title: x === 'alpha' ? 'N' : 'α' };
  const layer: unknown[] = [
    {
      mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 },
      encoding: { x: xEnc, y, color, tooltip: [{ field: 'line' }, { field: x }, { field: 'mean', format: '.4~g' }, { field: 'seeds' }] },
    },
    {
      mark: { type: 'errorbar', ticks: true },
      encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative', title: metricAxisTitle(m) }, y2: { field: 'hi' }, color },
    },
  ];
  if (a.teacherOnly) {
    layer.push({
      mark: { type: 'rule', strokeDash: [6, 4], color: METHOD_COLOR['teacher-only'] },
      encoding: { y: { datum: plotted(m, a.teacherOnly.mean) } },
    });
  }
  const title = `${m.label[0]!.toUpperCase()}${m.label.slice(1)} against ${x === 'alpha' ? 'α' : 'N'} (mean ± std over seeds; dashed: teacher-only)`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, fontSize: 15 },
    data: { values },
    facet: { column: { field: 'tau', type: 'nominal', title: null } },
    spec: { width: 340, height: 260, layer },
    resolve: { scale: { y: 'shared' } },
    config: { view: { stroke: '#ddd' } },
  } as unknown as TopLevelSpec;
}
