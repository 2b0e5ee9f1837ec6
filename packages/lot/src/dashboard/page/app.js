// The dashboard page: follows the server's live feed (/api/events, server-sent events) and keeps
// the runs table, the charts of the selected runs and the sweeps up to date. The feed starts with
// everything (`hello`, then every run and its records, every sweep, `ready`) and then sends only
// what changed: appended records, changed rows, resets of rewritten files, runs that are gone.
import { Colors, LiveChart, lossPoints, lossSpec, metricPoints, metricSpec } from './charts.js';
import { RunsTable } from './runs-table.js';
import { Sweeps } from './sweeps.js';

const $ = (id) => document.getElementById(id);

/** id → RunRow (src/dashboard/run-watch.ts) and id → its records so far. */
const runs = new Map();
const records = new Map();
const selected = new Set();
/** Until the user picks runs, the page picks the running ones (or the newest group). */
let userPicked = false;
let ready = false;
const colors = new Colors();
const metricChart = new LiveChart($('metric-chart'));
const lossChart = new LiveChart($('loss-chart'));
/** The chart labels of the runs drawn now; the charts are rebuilt when they go stale. */
let labels = new Map();
let chartsStale = true;
let pendingMetric = [];
let pendingLoss = [];
let timer = null;

const table = new RunsTable($('runs').tBodies[0], (id) => {
  userPicked = true;
  if (selected.has(id)) selected.delete(id);
  else selected.add(id);
  chartsStale = true;
  schedule();
});
const sweeps = new Sweeps($('sweeps'), $('sweeps-section'), (ids) => {
  userPicked = true;
  selected.clear();
  for (const id of ids) if (runs.has(id)) selected.add(id);
  chartsStale = true;
  schedule();
});

/** Bursts of events (the first snapshot) are drawn once. */
function schedule() {
  if (timer === null) timer = setTimeout(flush, 30);
}

/** Short names in the legend: the fewest trailing parts of each id that tell the drawn runs apart. */
function chartLabels(ids) {
  const parts = ids.map((id) => id.split('/'));
  for (let n = 1; ; n++) {
    const labels = parts.map((p) => p.slice(-n).join('/'));
    if (new Set(labels).size === labels.length || parts.every((p) => p.length <= n)) {
      return new Map(ids.map((id, i) => [id, labels[i] || id]));
    }
  }
}

function redrawCharts() {
  const ids = [...selected].filter((id) => runs.has(id)).sort();
  labels = chartLabels(ids);
  $('no-selection').hidden = ids.length > 0;
  if (!ids.length) {
    metricChart.rebuild(null, []);
    lossChart.rebuild(null, []);
    return;
  }
  const legend = ids.map((id) => ({ id, label: labels.get(id) }));
  const rows = ids.map((id) => runs.get(id));
  metricChart.rebuild(
    metricSpec(rows, legend, colors),
    ids.flatMap((id) => metricPoints(runs.get(id), labels.get(id), records.get(id) ?? [])),
  );
  lossChart.rebuild(
    lossSpec(legend, colors),
    ids.flatMap((id) => lossPoints(labels.get(id), records.get(id) ?? [])),
  );
}

function flush() {
  timer = null;
  table.render(runs, selected, colors);
  const running = [...runs.values()].filter((r) => r.status === 'running').length;
  $('run-count').textContent = `${runs.size} run${runs.size === 1 ? '' : 's'}${running ? `, ${running} running` : ''}`;
  $('no-runs').hidden = !ready || runs.size > 0;
  if (chartsStale) {
    chartsStale = false;
    pendingMetric = [];
    pendingLoss = [];
    redrawCharts();
  } else {
    metricChart.append(pendingMetric);
    lossChart.append(pendingLoss);
    pendingMetric = [];
    pendingLoss = [];
  }
}

/** The runs drawn first: those running, else the newest run's group. */
function defaultSelection() {
  const all = [...runs.values()];
  let pick = all.filter((r) => r.status === 'running');
  if (!pick.length && all.length) {
    const newest = all.reduce((a, b) => ((b.createdAt ?? '') > (a.createdAt ?? '') ? b : a));
    const parent = newest.id.slice(0, newest.id.lastIndexOf('/') + 1);
    pick = all.filter((r) => r.id.startsWith(parent) && !r.id.slice(parent.length).includes('/'));
  }
  for (const r of pick.slice(0, 10)) selected.add(r.id);
}

const handlers = {
  hello(data) {
    // A (re)connection: the feed sends everything again.
    runs.clear();
    records.clear();
    sweeps.clear();
    ready = false;
    $('root').textContent = data.root;
    chartsStale = true;
  },
  ready() {
    ready = true;
    if (!userPicked && selected.size === 0) defaultSelection();
    chartsStale = true;
    document.body.dataset.ready = 'true';
  },
  run(row) {
    const before = runs.get(row.id);
    runs.set(row.id, row);
    if (!records.has(row.id)) records.set(row.id, []);
    if (!before && ready && !userPicked && row.status === 'running') selected.add(row.id);
    // A new run in the selection, or a new metric for a drawn one, needs new scales and legends.
    const drawn = selected.has(row.id);
    if (drawn && (!before || !labels.has(row.id) || JSON.stringify(before.metric) !== JSON.stringify(row.metric))) chartsStale = true;
  },
  records({ id, records: added }) {
    const row = runs.get(id);
    if (!row) return;
    records.get(id).push(...added);
    if (!selected.has(id) || !labels.has(id)) return;
    pendingMetric.push(...metricPoints(row, labels.get(id), added));
    pendingLoss.push(...lossPoints(labels.get(id), added));
  },
  reset({ id }) {
    records.set(id, []);
    if (selected.has(id)) chartsStale = true;
  },
  gone({ id }) {
    runs.delete(id);
    records.delete(id);
    if (selected.delete(id)) chartsStale = true;
  },
  sweep(data) {
    sweeps.update(data);
  },
  'sweep-gone'({ id }) {
    sweeps.remove(id);
  },
};

const source = new EventSource('/api/events');
const connection = $('connection');
source.onopen = () => {
  connection.dataset.state = 'live';
  connection.textContent = 'live';
};
source.onerror = () => {
  const lost = source.readyState === EventSource.CLOSED;
  connection.dataset.state = lost ? 'lost' : 'connecting';
  connection.textContent = lost ? 'disconnected (reload the page)' : 'reconnecting…';
};
for (const [name, handle] of Object.entries(handlers)) {
  source.addEventListener(name, (e) => {
    handle(JSON.parse(e.data));
    schedule();
  });
}
// "last written … ago" in the status tooltips.
setInterval(schedule, 30_000);
