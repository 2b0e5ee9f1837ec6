// Plots: Vega-Lite specs, compiled with vega-lite, rendered headless to SVG with vega and to
// PNG with resvg (a prebuilt binary from its npm package), with a system font for the text.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { METHOD_LABEL, type Method } from '../harness/methods.js';
import { TEACHER_KINDS, type PrimaryMetric } from '../harness/records.js';
import type { EpochPoint, LoadedRun } from './runs.js';
import { stat } from './stats.js';
import { METHOD_ORDER, isFinished, pairLabel, type ComparisonRow, type Section } from './table.js';

export const METHOD_COLOR: Record<Method, string> = { 'teacher-only': '#4c78a8', 'equal-compute': '#f58518', lot: '#e45756' };
const KIND_COLOR = { sophisticated: '#2ca02c', deceptive: '#d62728' };

type Datum = Record<string, string | number | null>;

/** Whole epochs only on the x axis. */
const EPOCH_AXIS = { tickMinStep: 1, format: 'd' };

/** Mean and sample std across runs of `value` at each x (runs that lack a point at x are left out there). */
function meanCurve(
  runs: LoadedRun[],
  points: (r: LoadedRun) => { x: number; y: number | null }[],
): { x: number; mean: number; lo: number; hi: number; n: number }[] {
  const byX = new Map<number, number[]>();
  for (const r of runs) {
    for (const p of points(r)) {
      if (p.y === null) continue;
      byX.set(p.x, [...(byX.get(p.x) ?? []), p.y]);
    }
  }
  return [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([x, ys]) => {
      const s = stat(ys)!;
      const sd = Number.isNaN(s.std) ? 0 : s.std;
      return { x, mean: s.mean, lo: s.mean - sd, hi: s.mean + sd, n: s.n };
    });
}

const finishedOrAll = (runs: LoadedRun[]): LoadedRun[] => {
  const done = runs.filter(isFinished);
  return done.length ? done : runs;
};

/** Facet titles: the pair, with the data set, epochs and LoT setting only where rows differ in them. */
function rowLabeller(rows: ComparisonRow[]): (row: ComparisonRow) => string {
  const differs = (f: (r: ComparisonRow) => unknown): boolean => new Set(rows.map((r) => String(f(r)))).size > 1;
  const ds = differs((r) => r.datasetLabel);
  const ep = differs((r) => r.baseEpochs);
  const st = differs((r) => r.setting);
  return (row) =>
    [ds ? `${row.datasetLabel}:` : '', pairLabel(row), ep ? `, ${row.baseEpochs} epochs` : '', st && row.setting ? ` (${row.setting})` : '']
      .join(' ')
      .replace(/\s+/g, ' ')
      .replace(' ,', ',')
      .trim();
}

/** Wraps a layered chart in a facet when there is more than one group. */
function facetOrSingle(title: string, values: Datum[], layer: unknown[], groups: number, size = { width: 460, height: 280 }): TopLevelSpec {
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, fontSize: 15 },
    data: { values },
    config: { view: { stroke: '#ddd' } },
  };
  if (groups <= 1) return { ...base, ...size, layer } as unknown as TopLevelSpec;
  return {
    ...base,
    facet: { field: 'group', type: 'nominal', title: null, header: { labelFontSize: 12, labelLimit: 600 } },
    columns: Math.min(groups, 2),
    spec: { ...size, layer },
    resolve: { scale: { y: 'independent', x: 'independent' } },
  } as unknown as TopLevelSpec;
}

function methodColor(present: Method[]) {
  const domain = METHOD_ORDER.filter((m) => present.includes(m)).map((m) => METHOD_LABEL[m]);
  const range = METHOD_ORDER.filter((m) => present.includes(m)).map((m) => METHOD_COLOR[m]);
  return { field: 'series', type: 'nominal', title: 'method', scale: { domain, range }, sort: domain };
}

/** The metric as plotted: in percent when `metric.percent` (values are fractions). */
export const plotted = (metric: PrimaryMetric, v: number | null): number | null => (v === null ? null : metric.percent ? 100 * v : v);

/** The y axis title: "teacher test accuracy (%)", "teacher valid perplexity (lower is better)". */
export const metricAxisTitle = (metric: PrimaryMetric): string =>
  `teacher ${metric.label}${metric.percent ? ' (%)' : ''}${metric.direction === 'min' ? ' (lower is better)' : ''}`;

/**
 * The teacher's primary metric per method (or its smoothed form), mean ± std over seeds, against
 * epochs (or the metric's progress measure: agent steps) or training cost, faceted per row.
 */
export function metricSpec(section: Section, x: 'epoch' | 'cost', smoothed = false): TopLevelSpec | null {
  const { rows, metric } = section;
  const values: Datum[] = [];
  const present = new Set<Method>();
  const rowLabel = rowLabeller(rows);
  for (const row of rows) {
    for (const m of METHOD_ORDER) {
      const runs = finishedOrAll(row.runs[m]);
      const xOf = (e: EpochPoint): number | null => (x === 'cost' ? e.costUnits : metric.progress ? e.progress : e.epoch);
      const curve = meanCurve(runs, (r) =>
        r.epochsLog.flatMap((e) => {
          const at = xOf(e);
          return at === null ? [] : [{ x: at, y: plotted(metric, smoothed ? e.smoothed : e.teacherMetric) }];
        }),
      );
      if (!curve.length) continue;
      present.add(m);
      for (const p of curve)
        values.push({ group: rowLabel(row), series: METHOD_LABEL[m], x: p.x, mean: p.mean, lo: p.lo, hi: p.hi, n: p.n });
    }
  }
  if (!values.length) return null;
  const byEpoch = x === 'epoch' && !metric.progress;
  const xTitle = x === 'cost' ? 'training cost (forward-pass units)' : (metric.progress?.label ?? 'epoch');
  const color = methodColor([...present]);
  const xEnc = { field: 'x', type: 'quantitative', title: xTitle, axis: byEpoch ? EPOCH_AXIS : { format: '~s' } };
  // The band after the line, so that the legend takes the line's symbols.
  const band = {
    mark: { type: 'area', opacity: 0.15 },
    encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
  };
  const layer = [
    {
      mark: { type: 'line', point: { size: 30 }, strokeWidth: 2 },
      encoding: {
        x: xEnc,
        y: { field: 'mean', type: 'quantitative', title: metricAxisTitle(metric), scale: { zero: false } },
        color,
        tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'mean', format: metric.percent ? '.2f' : '.4~g' }, { field: 'n' }],
      },
    },
    band,
  ];
  return facetOrSingle(`${metricTitle(metric, x, smoothed)} (mean ± std over seeds)`, values, layer, rows.length);
}

/** "Test accuracy by epoch", "Valid perplexity by training cost", "Episodic return (smoothed) by agent steps": plot titles and alt texts. */
export function metricTitle(metric: PrimaryMetric, x: 'epoch' | 'cost', smoothed = false): string {
  const label = `${metric.label.charAt(0).toUpperCase()}${metric.label.slice(1)}${smoothed ? ' (smoothed)' : ''}`;
  return `${label} by ${x === 'cost' ? 'training cost' : (metric.progress?.label ?? 'epoch')}`;
}

/** KLτ(student ‖ teacher) on train and test batches of the LoT runs, by epoch. */
export function klSpec(rows: ComparisonRow[]): TopLevelSpec | null {
  const values: Datum[] = [];
  let groups = 0;
  const rowLabel = rowLabeller(rows);
  for (const row of rows) {
    const runs = finishedOrAll(row.runs.lot);
    let any = false;
    for (const split of ['train', 'test'] as const) {
      const curve = meanCurve(runs, (r) => r.epochsLog.map((e) => ({ x: e.epoch, y: split === 'train' ? e.klTrain : e.klTest })));
      for (const p of curve) {
        values.push({ group: rowLabel(row), series: split, x: p.x, mean: p.mean, lo: Math.max(p.lo, 0), hi: p.hi, n: p.n });
        any = true;
      }
    }
    if (any) groups++;
  }
  if (!values.length) return null;
  const color = { field: 'series', type: 'nominal', title: 'batches', scale: { domain: ['train', 'test'], range: ['#e45756', '#72b7b2'] } };
  const xEnc = { field: 'x', type: 'quantitative', title: 'epoch', axis: EPOCH_AXIS };
  // The band after the line, so that the legend takes the line's symbols.
  const band = {
    mark: { type: 'area', opacity: 0.15 },
    encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
  };
  const layer = [
    {
      mark: { type: 'line', point: { size: 30 }, strokeWidth: 2 },
      encoding: {
        x: xEnc,
        y: { field: 'mean', type: 'quantitative', title: 'KLτ(student ‖ teacher)' },
        color,
      },
    },
    band,
  ];
  return facetOrSingle('Teacher–student KL in LoT runs (mean ± std over seeds)', values, layer, groups);
}

/** The imitability experiment: students' train and test KL to a sophisticated vs a deceptive teacher. */
export function imitabilitySpec(groups: { label: string; runs: LoadedRun[] }[]): TopLevelSpec | null {
  const values: Datum[] = [];
  let positive = Infinity;
  let largest = 0;
  for (const g of groups) {
    const runs = finishedOrAll(g.runs);
    for (const kind of TEACHER_KINDS) {
      for (const split of ['train', 'test'] as const) {
        const curve = meanCurve(runs, (r) =>
          r.imitation.filter((p) => p.teacherKind === kind).map((p) => ({ x: p.step, y: split === 'train' ? p.trainKL : p.testKL })),
        );
        for (const p of curve) {
          values.push({ group: g.label, teacher: kind, split, series: `${kind}, ${split}`, x: p.x, mean: p.mean, n: p.n });
          if (p.mean > 0) positive = Math.min(positive, p.mean);
          largest = Math.max(largest, p.mean);
        }
      }
    }
  }
  if (!values.length) return null;
  // A log scale when the curves span more than two decades and all are positive.
  const log = Number.isFinite(positive) && values.every((v) => typeof v.mean === 'number' && v.mean > 0) && largest / positive > 100;
  const layer = [
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'student steps' },
        y: { field: 'mean', type: 'quantitative', title: 'KL(teacher ‖ student)', scale: log ? { type: 'log' } : { zero: true } },
        color: {
          field: 'teacher',
          type: 'nominal',
          title: 'teacher',
          scale: { domain: ['sophisticated', 'deceptive'], range: [KIND_COLOR.sophisticated, KIND_COLOR.deceptive] },
        },
        strokeDash: {
          field: 'split',
          type: 'nominal',
          title: 'inputs',
          scale: {
            domain: ['train', 'test'],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
          legend: { symbolStrokeColor: '#555', symbolStrokeWidth: 2, symbolSize: 500 },
        },
        detail: { field: 'series' },
      },
    },
  ];
  return facetOrSingle('Imitability: students imitating each teacher (mean over seeds)', values, layer, groups.length);
}

/** Compiles a Vega-Lite spec and renders it headless to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  join(homedir(), '.fonts'),
  join(homedir(), '.local/share/fonts'),
  '/System/Library/Fonts',
  '/Library/Fonts',
  'C:\\Windows\\Fonts',
];
const PREFERRED_FONTS: [file: string, family: string][] = [
  ['DejaVuSans.ttf', 'DejaVu Sans'],
  ['LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['Arial.ttf', 'Arial'],
  ['arial.ttf', 'Arial'],
  ['Helvetica.ttc', 'Helvetica'],
  ['NotoSans-Regular.ttf', 'Noto Sans'],
  ['FreeSans.ttf', 'FreeSans'],
];

function findFiles(dir: string, names: Set<string>, out: Map<string, string>, depth = 0): void {
  if (depth > 4 || !existsSync(dir)) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) findFiles(p, names, out, depth + 1);
    else if (names.has(e.name) && !out.has(e.name)) out.set(e.name, p);
  }
}

let fontCache: { files: string[]; family: string | null } | undefined;

/** A sans-serif font for PNG text: $LOT_FONT (a .ttf/.otf file), else a common system font. */
export function findFont(): { files: string[]; family: string | null } {
  if (fontCache) return fontCache;
  const env = process.env.LOT_FONT;
  if (env && existsSync(env)) return (fontCache = { files: [env], family: null });
  const found = new Map<string, string>();
  for (const d of FONT_DIRS) findFiles(d, new Set(PREFERRED_FONTS.map(([f]) => f)), found);
  for (const [file, family] of PREFERRED_FONTS) {
    const p = found.get(file);
    if (p) {
      const bold = p.replace(/\.ttf$/, '-Bold.ttf').replace('Regular-Bold', 'Bold');
      return (fontCache = { files: existsSync(bold) && bold !== p ? [p, bold] : [p], family });
    }
  }
  return (fontCache = { files: [], family: null });
}

/** Renders SVG text to PNG bytes at `scale`× (white background). `textRendered` is false when no font was found. */
export function renderPng(svg: string, scale = 2): { png: Uint8Array; textRendered: boolean } {
  const font = findFont();
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: true,
      fontFiles: font.files,
      ...(font.family ? { defaultFontFamily: font.family, sansSerifFamily: font.family } : {}),
    },
  });
  const png = resvg.render().asPng();
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), textRendered: font.files.length > 0 };
}
