// `lot report RUN...`: a Markdown comparison over seeds and plots, from run folders of any domain.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { findRunFolders } from '../harness/folder.js';
import { METHOD_LABEL } from '../harness/methods.js';
import type { PrimaryMetric } from '../harness/records.js';
import { ablationOf, ablationSpec, ablationTable } from './ablation.js';
import { imitabilitySpec, klSpec, metricSpec, metricTitle, renderPng, renderSvg } from './plots.js';
import { IMITABILITY_KIND, loadRuns, type LoadedRun } from './runs.js';
import { formatMetric, formatMetricValue } from './stats.js';
import {
  METHOD_ORDER,
  finalImitation,
  groupSections,
  imitabilityRows,
  imitabilityTable,
  isFinished,
  latestPerSeed,
  metricHeading,
  metricNoun,
  metricTable,
  progressExplanation,
  progressTable,
  pairLabel,
  type Section,
} from './table.js';

export { findRunFolders } from '../harness/folder.js';
export { IMITABILITY_KIND, loadRun, loadRuns } from './runs.js';
export type { EpochPoint, ImitabilityResults, ImitationPoint, KLPair, LoadedRun } from './runs.js';
export {
  difference,
  formatDifference,
  formatMetric,
  formatMetricDifference,
  formatMetricValue,
  formatPercent,
  formatValue,
  stat,
} from './stats.js';
export type { Stat } from './stats.js';
export { groupRows, groupSections, imitabilityRows, imitabilityTable, metricHeading, metricNoun, metricTable } from './table.js';
export type { ComparisonRow, ImitabilityRow, Section } from './table.js';
export { findFont, imitabilitySpec, klSpec, metricSpec, metricTitle, renderPng, renderSvg } from './plots.js';

export interface BuildReportOptions {
  /** Sweep folders among the runs (`lot sweep`), each reported as an ablation too; `nLabel`: what N is on its axis. */
  sweeps?: { dir: string; nLabel?: string }[];
  /** Also write PNG files next to the SVGs. Default true. */
  png?: boolean;
  /** PNG pixel scale over the SVG size. Default 2. */
  pngScale?: number;
}

/** Writes a plot (spec, SVG, PNG) and returns its Markdown image, or null without a spec. */
type Plot = (name: string, spec: TopLevelSpec | null, alt: string) => Promise<string | null>;

interface Output {
  files: string[];
  /** Notes that writing raised (a missing font). */
  notes: string[];
  write: (name: string, data: string | Uint8Array) => string;
  plot: Plot;
}

function openOutput(outDir: string, o: BuildReportOptions): Output {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const notes: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    const p = join(out, name);
    writeFileSync(p, data);
    files.push(p);
    return name;
  };
  let warnedFont = false;
  const plot: Plot = async (name, spec, alt) => {
    if (!spec) return null;
    write(`${name}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
    const svg = await renderSvg(spec);
    const svgName = write(`${name}.svg`, svg);
    if (o.png === false) return `![${alt}](${svgName})`;
    const { png, textRendered } = renderPng(svg, o.pngScale ?? 2);
    if (!textRendered && !warnedFont) {
      warnedFont = true;
      notes.push(
        'No system font was found, so the PNG plots have no text; the SVGs do (install fonts-dejavu-core, or set LOT_FONT to a .ttf file).',
      );
    }
    const pngName = write(`${name}.png`, png);
    return `![${alt}](${pngName}) ([SVG](${svgName}))`;
  };
  return { files, notes, write, plot };
}

/** How a section is told apart when a report has several: its domain, and its metric when the domain has several. */
function sectionTags(sections: Section[]): Map<Section, string> {
  const tags = new Map<Section, string>();
  if (sections.length < 2) return tags;
  for (const s of sections) {
    const shared = sections.filter((t) => t.kind === s.kind).length > 1;
    tags.set(s, shared ? `${s.kind} ${s.metric.key}` : s.kind);
  }
  return tags;
}

const fileSlug = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '-');

function metricExplanation(metric: PrimaryMetric): string {
  const best = `${metric.direction === 'min' ? 'lowest' : 'highest'} ${metric.label}`;
  const units = metric.percent ? 'in percentage points' : "in the metric's units";
  const sign = metric.direction === 'min' ? ' (lower is better: a negative difference favours LoT)' : '';
  return (
    `Mean ± sample standard deviation (n − 1) over seeds; n = finished runs. *final*: after the last epoch; *best*: the ${best} over epochs. ` +
    '*Equal compute*: teacher-only trained for as many cost units as LoT (more epochs). ' +
    `*LoT − teacher-only*: difference of the means ± its standard error √(s²₁/n₁ + s²₂/n₂), ${units}${sign}.`
  );
}

/** A section's Markdown: its table, LoT's students, the metric and KL plots (file names prefixed by `tag` when set). */
async function sectionMarkdown(section: Section, tag: string | undefined, plot: Plot): Promise<string[]> {
  const { metric, rows } = section;
  const heading = (t: string): string => (tag ? `## ${tag}: ${t}` : `## ${t}`);
  const file = (name: string): string => (tag ? `${fileSlug(tag)}-${name}` : name);
  const md = [heading(metricHeading(metric)), '', metricTable(section), '', metricExplanation(metric), ''];
  const studentLines = rows
    .filter((r) => r.studentFinal)
    .map((r) => `- ${r.datasetLabel}, ${pairLabel(r)}: LoT student final ${metric.label} ${formatMetric(r.studentFinal, metric)}`);
  if (studentLines.length) md.push(...studentLines, '');
  const noun = metricNoun(metric);
  if (metric.progress) md.push(progressTable(section), '', progressExplanation(metric), '');
  for (const smoothed of metric.smoothedKey ? [false, true] : [false]) {
    for (const x of ['epoch', 'cost'] as const) {
      const name = `${noun}${smoothed ? '-smoothed' : ''}-${x === 'epoch' && metric.progress ? 'progress' : x}`;
      const image = await plot(file(name), metricSpec(section, x, smoothed), metricTitle(metric, x, smoothed));
      if (image) md.push(image, '');
    }
  }
  const kl = await plot(file('kl'), klSpec(rows), 'Teacher–student KL');
  if (kl) md.push(heading('Teacher–student KL'), '', kl, '');
  return md;
}

async function imitabilityMarkdown(runs: LoadedRun[], plot: Plot): Promise<string[]> {
  const groups = imitabilityRows(runs);
  const md = ['## Imitability: sophisticated vs deceptive teacher', '', imitabilityTable(groups), ''];
  md.push(
    'KL between each teacher and the fresh student imitating it with equal compute (KL only), on training and test inputs: ' +
      "at the end, and averaged over the student's training (lower: imitated faster); mean ± sample std over seeds. " +
      'The deceptive teacher fits randomly permuted labels, so its test accuracy should sit near chance.',
    '',
  );
  const im = await plot('imitability', imitabilitySpec(groups), 'Imitability KL curves');
  if (im) md.push(im, '');
  return md;
}

/** "12 runs (10 vision, 2 imitability)". */
function countLine(runs: LoadedRun[]): string {
  const counts = new Map<string, number>();
  const kinds = [...new Set(runs.map((r) => r.kind))].sort(
    (a, b) => Number(a === IMITABILITY_KIND) - Number(b === IMITABILITY_KIND) || a.localeCompare(b),
  );
  for (const r of runs) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return `${runs.length} run${runs.length === 1 ? '' : 's'} (${kinds.map((k) => `${counts.get(k)} ${k}`).join(', ')})`;
}

/** The list of all runs, with each training run's final and best primary metric. */
function runsList(runs: LoadedRun[], sections: Section[], outDir: string): string[] {
  const [first, ...others] = new Set(sections.map((s) => metricNoun(s.metric)));
  const noun = first !== undefined && others.length === 0 ? first : 'metric';
  const severalKinds = new Set(sections.map((s) => s.kind)).size > 1;
  const md = [`| run | what | method | seed | status | final ${noun} | best ${noun} |`, '|---|---|---|---|---|---|---|'];
  for (const r of runs) {
    const rel = relative(outDir, r.dir) || '.';
    if (r.kind === IMITABILITY_KIND) {
      const s = finalImitation(r, 'sophisticated');
      const d = finalImitation(r, 'deceptive');
      const f = s && d ? `test KL ${s.testKL.toPrecision(3)} / ${d.testKL.toPrecision(3)}` : '—';
      md.push(`| ${rel} | imitability | — | ${r.seed ?? '?'} | ${r.status} | ${f} | — |`);
    } else {
      const what = `${severalKinds ? `${r.kind} ` : ''}${r.dataset} ${pairLabel(r)}`;
      md.push(
        `| ${rel} | ${what} | ${METHOD_LABEL[r.method]} | ${r.seed ?? '?'} | ${r.status} | ${formatMetricValue(r.finalMetric, r.metric)} | ${formatMetricValue(r.bestMetric, r.metric)} |`,
      );
    }
  }
  return [...md, ''];
}

/** The training runs of a section, each once (a baseline may join several rows). */
const sectionRuns = (s: Section): LoadedRun[] => [...new Set(s.rows.flatMap((row) => METHOD_ORDER.flatMap((m) => row.runs[m])))];

/** Notes on runs the tables leave out: seeds run twice, runs not complete. */
function leftOutNotes(sections: Section[], tags: Map<Section, string>): string[] {
  const notes: string[] = [];
  let repeated = 0;
  for (const row of sections.flatMap((s) => s.rows)) {
    for (const m of METHOD_ORDER) {
      const done = row.runs[m].filter(isFinished);
      repeated += done.length - latestPerSeed(done).length;
    }
  }
  if (repeated)
    notes.push(
      `${repeated} finished run${repeated === 1 ? ' repeats' : 's repeat'} a method and seed of another; only the latest of each seed counts in the table.`,
    );
  for (const s of sections) {
    const unfinished = sectionRuns(s).filter((r) => !isFinished(r));
    if (!unfinished.length) continue;
    const table = `${tags.has(s) ? `${tags.get(s)} ` : ''}${metricNoun(s.metric)} table`;
    const statuses = [...new Set(unfinished.map((r) => r.status))].join(', ');
    notes.push(
      `${unfinished.length} run${unfinished.length === 1 ? ' is' : 's are'} not complete and left out of the ${table} (status: ${statuses}); \`lot resume RUN\` finishes them.`,
    );
  }
  return notes;
}

/** A sweep's ablation: the table of every cell and the metric against α and against N. */
async function ablationMarkdown(sweep: { dir: string; nLabel?: string }, runs: LoadedRun[], plot: Plot): Promise<string[]> {
  const root = resolve(sweep.dir);
  const a = ablationOf(runs.filter((r) => resolve(r.dir).startsWith(`${root}/`)));
  if (!a) return [];
  const name = basename(root);
  const md = [`## Ablation: ${name}`, '', ablationTable(a), ''];
  for (const x of ['alpha', 'n'] as const) {
    const image = await plot(
      `${fileSlug(name)}-ablation-${x}`,
      ablationSpec(a, x, sweep.nLabel),
      `${a.metric.label} against ${x === 'alpha' ? 'α' : 'N'}`,
    );
    if (image) md.push(image, '');
  }
  return md;
}

/**
 * Builds the report of the runs in `runDirs` (run folders, or folders holding run folders) into
 * `outDir`: report.md, and per plot an SVG, a PNG and its Vega-Lite spec (.vl.json).
 * Returns the Markdown and the files written.
 */
export async function buildReport(
  runDirs: string[],
  outDir: string,
  o: BuildReportOptions = {},
): Promise<{ markdown: string; files: string[] }> {
  if (runDirs.length === 0) throw new Error('no run folders given');
  const runs = loadRuns([...new Set(runDirs.flatMap((d) => findRunFolders(d)))]);
  const output = openOutput(outDir, o);
  const training = runs.filter((r) => r.kind !== IMITABILITY_KIND);
  const imitability = runs.filter((r) => r.kind === IMITABILITY_KIND);
  const sections = groupSections(training);
  const tags = sectionTags(sections);
  const md: string[] = [
    '# LoT report',
    '',
    `${countLine(runs)}, generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
  ];
  for (const sweep of o.sweeps ?? []) md.push(...(await ablationMarkdown(sweep, training, output.plot)));
  for (const section of sections) md.push(...(await sectionMarkdown(section, tags.get(section), output.plot)));
  if (imitability.length) md.push(...(await imitabilityMarkdown(imitability, output.plot)));
  md.push('## Runs', '', ...runsList(runs, sections, resolve(outDir)));
  const notes = [...output.notes, ...leftOutNotes(sections, tags)];
  if (notes.length) md.push(...notes.map((n) => `> ${n}`), '');
  const markdown = md.join('\n');
  output.write('report.md', markdown);
  return { markdown, files: output.files };
}
