// A sweep's ablation as `lot report` draws it (report/ablation.ts): the table of every cell and
// the metric against α and against N, as Vega-Lite specs (the page draws them) and as SVG
// rendered on the server by the report's renderSvg. Reading the runs and rendering take a
// while, so each result is kept until one of the sweep's runs changes outcome.
import type { TopLevelSpec } from 'vega-lite';
import { type Ablation, ablationOf, ablationSpec, ablationTable } from '../report/ablation.js';
import { renderSvg } from '../report/plots.js';
import { loadRuns } from '../report/runs.js';
import type { RunsRoot } from './paths.js';
import type { SweepRow } from './sweeps.js';

export type AblationAxis = 'alpha' | 'n';
export const ABLATION_AXES: readonly AblationAxis[] = ['alpha', 'n'];

export interface AblationView {
  sweep: string;
  version: string;
  /** ablationTable's Markdown table, as cells. */
  header: string[];
  rows: string[][];
  /** The lines after the table (teacher-only's value). */
  notes: string[];
  /** The plots' Vega-Lite specs by axis (none before a LoT run of the sweep is complete). */
  specs: Partial<Record<AblationAxis, TopLevelSpec>>;
}

/** The cells of a Markdown table and the other lines of `md`. */
export function splitMarkdownTable(md: string): { header: string[]; rows: string[][]; notes: string[] } {
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  const table = md.split('\n').filter((l) => l.trim().startsWith('|') && !/^\|[-|\s:]+\|$/.test(l.trim()));
  const notes = md
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('|'))
    .map((l) => l.trim());
  const [header = [], ...rows] = table.map(cells);
  return { header, rows, notes };
}

export class AblationCache {
  private readonly root: RunsRoot;
  private readonly views = new Map<string, { version: string; ablation: Ablation | null; svg: Map<AblationAxis, string | null> }>();

  constructor(root: RunsRoot) {
    this.root = root;
  }

  /** The sweep's ablation, read again when its version moved on. */
  private entry(sweep: SweepRow) {
    const cached = this.views.get(sweep.id);
    if (cached && cached.version === sweep.version) return cached;
    // Only the runs the manifest names that have a folder (a row), and only through the gate:
    // sweep.json is data, not a path we trust.
    const dirs = sweep.runs.flatMap((r) => {
      const d = r.status === null ? null : this.root.resolve(r.id);
      return d?.ok ? [d.path] : [];
    });
    let ablation: Ablation | null = null;
    try {
      ablation = dirs.length ? ablationOf(loadRuns(dirs)) : null;
    } catch {
      // A run folder went away while we read it: no ablation until the next version.
    }
    const entry = { version: sweep.version, ablation, svg: new Map<AblationAxis, string | null>() };
    if (this.views.size > 50) this.views.clear(); // a bound, for a server left running for weeks
    this.views.set(sweep.id, entry);
    return entry;
  }

  view(sweep: SweepRow): AblationView {
    const { ablation } = this.entry(sweep);
    const table = ablation ? splitMarkdownTable(ablationTable(ablation)) : { header: [], rows: [], notes: [] };
    const specs: AblationView['specs'] = {};
    for (const x of ABLATION_AXES) {
      const spec = ablation ? ablationSpec(ablation, x, sweep.nLabel ?? undefined) : null;
      if (spec) specs[x] = spec;
    }
    return { sweep: sweep.id, version: sweep.version, ...table, specs };
  }

  /** The plot against `x` as SVG text, or null when there is nothing to draw yet. */
  async svg(sweep: SweepRow, x: AblationAxis): Promise<string | null> {
    const entry = this.entry(sweep);
    if (entry.svg.has(x)) return entry.svg.get(x) ?? null;
    const spec = entry.ablation ? ablationSpec(entry.ablation, x, sweep.nLabel ?? undefined) : null;
    const svg = spec ? await renderSvg(spec) : null;
    entry.svg.set(x, svg);
    return svg;
  }
}
