// The curves of the selected runs, drawn with Vega-Lite (compiled here, rendered to SVG by
// Vega; both loaded as globals from /vendor). A chart is rebuilt when the selection changes and
// grows in place (a Vega changeset) when records arrive, so a live run's curve gains its points
// without redrawing the others. `data-points` on the chart's element counts the points drawn.
import { metricTitle, plotted } from './format.js';

/** A palette that stays with a run while the page lives (Tableau 10, as Vega's default). */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

export class LiveChart {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    this.view = null;
    this.count = 0;
    this.queue = Promise.resolve();
  }

  /** Work on the view one step at a time: Vega's runs must not overlap. */
  enqueue(job) {
    this.queue = this.queue.then(job).catch((e) => console.error(e));
    return this.queue;
  }

  /** Draws `spec` (Vega-Lite, data named 'points') with `points`; null clears the chart. */
  rebuild(spec, points) {
    return this.enqueue(async () => {
      this.view?.finalize();
      this.view = null;
      this.el.replaceChildren();
      this.count = 0;
      if (spec) {
        const vg = globalThis.vegaLite.compile(spec).spec;
        this.view = new globalThis.vega.View(globalThis.vega.parse(vg), { renderer: 'svg', container: this.el, hover: true });
        this.view.insert('points', points);
        this.count = points.length;
        await this.view.runAsync();
      }
      this.el.dataset.points = String(this.count);
    });
  }

  /** Adds points to the drawn curves. */
  append(points) {
    if (!points.length) return this.queue;
    return this.enqueue(async () => {
      if (!this.view) return;
      this.view.insert('points', points);
      this.count += points.length;
      await this.view.runAsync();
      this.el.dataset.points = String(this.count);
    });
  }
}

/** Draws a fixed Vega-Lite spec (data inline) into `el`; returns the view, to finalize when it goes. */
export async function drawSpec(el, spec) {
  const vg = globalThis.vegaLite.compile(spec).spec;
  const view = new globalThis.vega.View(globalThis.vega.parse(vg), { renderer: 'svg', container: el, hover: true });
  await view.runAsync();
  return view;
}

/** Colors by run: each run keeps the first color it was given. */
export class Colors {
  constructor() {
    this.byRun = new Map();
  }
  of(id) {
    if (!this.byRun.has(id)) this.byRun.set(id, PALETTE[this.byRun.size % PALETTE.length]);
    return this.byRun.get(id);
  }
}

/** The x value of an evaluation: the metric's progress measure (RL: agent steps) when it has one, else the epoch. */
const evalX = (metric, r) => (metric.progress ? (r.teacher[metric.progress.key] ?? null) : r.epoch);

/** Points of the primary-metric chart from a run's records: the teacher's and its first student's. */
export function metricPoints(row, label, records) {
  const out = [];
  for (const r of records) {
    if (r.type !== 'epoch' && r.type !== 'eval') continue;
    const x = evalX(row.metric, r);
    if (x === null) continue;
    const teacher = plotted(row.metric, r.teacher[row.metric.key] ?? null);
    const student = plotted(row.metric, r.students[0]?.[row.metric.key] ?? null);
    if (teacher !== null) out.push({ run: label, model: 'teacher', x, y: teacher });
    if (student !== null) out.push({ run: label, model: 'student', x, y: student });
  }
  return out;
}

/** Points of the training-loss chart: the teacher's task loss at each step record. */
export function lossPoints(label, records) {
  const out = [];
  for (const r of records) {
    if (r.type === 'step' && Number.isFinite(r.teacherTaskLoss)) out.push({ run: label, x: r.step, y: r.teacherTaskLoss });
  }
  return out;
}

const colorEncoding = (labels, colors) => ({
  field: 'run',
  type: 'nominal',
  title: null,
  scale: { domain: labels.map((l) => l.label), range: labels.map((l) => colors.of(l.id)) },
  legend: { orient: 'bottom', direction: 'vertical', labelLimit: 480 },
});

/** What both charts share: a titled, full-width chart over the live 'points' data set. */
const chartFrame = (title) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: { text: title, anchor: 'start', fontSize: 13 },
  width: 'container',
  height: 240,
  autosize: { type: 'fit-x', contains: 'padding' },
  data: { name: 'points' },
});

/** The primary metric against epochs (or agent steps) for the selected runs. */
export function metricSpec(rows, labels, colors) {
  const metrics = [...new Set(rows.map((r) => metricTitle(r.metric)))];
  const progress = rows.every((r) => r.metric.progress) ? rows[0].metric.progress.label : null;
  return {
    ...chartFrame('Primary metric (dashed: the first student)'),
    mark: { type: 'line', point: { size: 30 }, strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: progress ?? 'epoch' },
      y: { field: 'y', type: 'quantitative', title: metrics.join(' / '), scale: { zero: false } },
      color: colorEncoding(labels, colors),
      strokeDash: {
        field: 'model',
        type: 'nominal',
        scale: {
          domain: ['teacher', 'student'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
        legend: null,
      },
      detail: { field: 'model' },
      tooltip: [
        { field: 'run' },
        { field: 'model' },
        { field: 'x', title: progress ?? 'epoch', format: '.3~f' },
        { field: 'y', title: metrics.join(' / '), format: '.4~f' },
      ],
    },
  };
}

/** The teacher's training (task) loss against steps. */
export function lossSpec(labels, colors) {
  return {
    ...chartFrame("Teacher's training loss (task term)"),
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'teacher step' },
      y: { field: 'y', type: 'quantitative', title: 'loss', scale: { zero: false } },
      color: colorEncoding(labels, colors),
      tooltip: [{ field: 'run' }, { field: 'x', title: 'step' }, { field: 'y', title: 'loss', format: '.4~f' }],
    },
  };
}
