// `lot report RUN...`: a Markdown comparison over seeds and plots, from run folders.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { accuracySpec, imitabilitySpec, klSpec, renderPng, renderSvg } from './plots.js';
import { expandRunDirs, loadRun, type LoadedRun } from './runs.js';
import { formatPercent } from './stats.js';
import { METHOD_LABEL, accuracyTable, finalImitation, groupRows, imitabilityRows, imitabilityTable, isFinished, latestPerSeed, pairLabel } from './table.js';

export { expandRunDirs, loadRun } from './runs.js';
export type { EpochPoint, ImitationPoint, LoadedRun, Method } from './runs.js';
export { difference, formatDifference, formatPercent, stat } from './stats.js';
export type { Stat } from './stats.js';
export { accuracyTable, groupRows, imitabilityRows, imitabilityTable } from './table.js';
export type { ComparisonRow, ImitabilityRow } from './table.js';
export { accuracySpec, findFont, imitabilitySpec, klSpec, renderPng, renderSvg } from './plots.js';

export interface BuildReportOptions {
  /** Also write PNG files next to the SVGs. Default true. */
  png?: boolean;
  /** PNG pixel scale over the SVG size. Default 2. */
  pngScale?: number;
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(2)}%`);

/**
 * Builds the report of the runs in `runDirs` (run folders, or folders holding run folders) into
 * `outDir`: report.md, and per plot an SVG, a PNG and its Vega-Lite spec (.vl.json).
 * Returns the Markdown and the files written.
 */
export async function buildReport(runDirs: string[], outDir: string, o: BuildReportOptions = {}): Promise<{ markdown: string; files: string[] }> {
  if (runDirs.length === 0) throw new Error('no run folders given');
  const dirs = [...new Set(runDirs.flatMap(expandRunDirs))];
  const runs: LoadedRun[] = dirs.map(loadRun);
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    const p = join(out, name);
    writeFileSync(p, data);
    files.push(p);
    return name;
  };
  const notes: string[] = [];
  let warnedFont = false;
  const plot = async (name: string, spec: TopLevelSpec | null, alt: string): Promise<string | null> => {
    if (!spec) return null;
    write(`${name}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
    const svg = await renderSvg(spec);
    const svgName = write(`${name}.svg`, svg);
    if (o.png === false) return `![${alt}](${svgName})`;
    const { png, textRendered } = renderPng(svg, o.pngScale ?? 2);
    if (!textRendered && !warnedFont) {
      warnedFont = true;
      notes.push('No system font was found, so the PNG plots have no text; the SVGs do (install fonts-dejavu-core, or set LOT_FONT to a .ttf file).');
    }
    const pngName = write(`${name}.png`, png);
    return `![${alt}](${pngName}) ([SVG](${svgName}))`;
  };

  const classification = runs.filter((r) => r.kind === 'classification');
  const imitability = runs.filter((r) => r.kind === 'imitability');
  const md: string[] = ['# LoT report', ''];
  md.push(`${runs.length} run${runs.length === 1 ? '' : 's'} (${classification.length} image classification, ${imitability.length} imitability), generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`, '');

  if (classification.length) {
    const rows = groupRows(classification);
    md.push('## Test accuracy of the teacher (%)', '');
    md.push(accuracyTable(rows), '');
    md.push(
      'Mean ± sample standard deviation (n − 1) over seeds; n = finished runs. *final*: after the last epoch; ' +
        '*best*: the highest test accuracy over epochs. *Equal compute*: teacher-only trained for as many cost units as LoT ' +
        '(more epochs). *LoT − teacher-only*: difference of the means ± its standard error √(s²₁/n₁ + s²₂/n₂), in percentage points.',
      '',
    );
    const studentLines = rows.filter((r) => r.studentFinal).map((r) => `- ${r.datasetLabel}, ${pairLabel(r)}: LoT student final test accuracy ${formatPercent(r.studentFinal)}`);
    if (studentLines.length) md.push(...studentLines, '');
    const a1 = await plot('accuracy-epoch', accuracySpec(rows, 'epoch'), 'Test accuracy by epoch');
    const a2 = await plot('accuracy-cost', accuracySpec(rows, 'cost'), 'Test accuracy by training cost');
    if (a1 || a2) md.push(...[a1, a2].filter((x): x is string => x !== null).flatMap((x) => [x, '']));
    const kl = await plot('kl', klSpec(rows), 'Teacher–student KL');
    if (kl) md.push('## Teacher–student KL', '', kl, '');
  }

  if (imitability.length) {
    const groups = imitabilityRows(imitability);
    md.push('## Imitability: sophisticated vs deceptive teacher', '');
    md.push(imitabilityTable(groups), '');
    md.push(
      'KL between each teacher and the fresh student imitating it with equal compute (KL only), on training and test inputs: ' +
        'at the end, and averaged over the student\'s training (lower: imitated faster); mean ± sample std over seeds. ' +
        'The deceptive teacher fits randomly permuted labels, so its test accuracy should sit near chance.',
      '',
    );
    const im = await plot('imitability', imitabilitySpec(groups), 'Imitability KL curves');
    if (im) md.push(im, '');
  }

  md.push('## Runs', '');
  md.push('| run | what | method | seed | status | final acc. | best acc. |', '|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const rel = relative(out, r.dir) || '.';
    if (r.kind === 'imitability') {
      const s = finalImitation(r, 'sophisticated');
      const d = finalImitation(r, 'deceptive');
      const f = s && d ? `test KL ${s.testKL.toPrecision(3)} / ${d.testKL.toPrecision(3)}` : '—';
      md.push(`| ${rel} | imitability | — | ${r.seed ?? '?'} | ${r.status} | ${f} | — |`);
    } else {
      md.push(`| ${rel} | ${r.dataset} ${pairLabel(r)} | ${METHOD_LABEL[r.method]} | ${r.seed ?? '?'} | ${r.status} | ${pct(r.finalTestAccuracy)} | ${pct(r.bestTestAccuracy)} |`);
    }
  }
  md.push('');
  const unfinished = classification.filter((r) => !isFinished(r));
  if (classification.length) {
    let repeated = 0;
    for (const row of groupRows(classification)) for (const m of ['lot', 'teacher-only', 'equal-compute'] as const) {
      const done = row.runs[m].filter(isFinished);
      repeated += done.length - latestPerSeed(done).length;
    }
    if (repeated) notes.push(`${repeated} finished run${repeated === 1 ? ' repeats' : 's repeat'} a method and seed of another; only the latest of each seed counts in the table.`);
  }
  if (unfinished.length) notes.push(`${unfinished.length} run${unfinished.length === 1 ? ' is' : 's are'} not complete and left out of the accuracy table (status: ${[...new Set(unfinished.map((r) => r.status))].join(', ')}); \`lot resume RUN\` finishes them.`);
  if (notes.length) md.push(...notes.map((n) => `> ${n}`), '');
  const markdown = md.join('\n');
  write('report.md', markdown);
  return { markdown, files };
}
