// The runs table: one row per run, kept by id and updated in place (so that a click never
// lands on a row being replaced), sorted by id. A click on a row ticks it for the charts.
import { ago, duration, progressText, setting } from './format.js';

const cell = (text, className) => {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text;
  return td;
};

export class RunsTable {
  /**
   * @param {HTMLTableSectionElement} body
   * @param {(id: string) => void} onToggle
   */
  constructor(body, onToggle) {
    this.body = body;
    this.rows = new Map();
    /** What each row shows now, to skip rewriting it unchanged. */
    this.shown = new Map();
    body.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-run]');
      if (!tr || e.target.closest('a')) return;
      if (e.target.type !== 'checkbox') e.preventDefault();
      onToggle(tr.dataset.run);
    });
  }

  /** Redraws the table from `runs` (Map id → row), `selected` (Set of ids) and their colors. */
  render(runs, selected, colors) {
    for (const [id, tr] of this.rows) {
      if (runs.has(id)) continue;
      tr.remove();
      this.rows.delete(id);
      this.shown.delete(id);
    }
    let previous = null;
    for (const id of [...runs.keys()].sort()) {
      let tr = this.rows.get(id);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.run = id;
        this.rows.set(id, tr);
      }
      const row = runs.get(id);
      const isSelected = selected.has(id);
      // Rewritten only when something shown changed (the minute: "last written … ago"), so that
      // a click does not land on a cell being replaced.
      const key = JSON.stringify([row, isSelected, isSelected ? colors.of(id) : null, Math.floor(Date.now() / 60_000)]);
      if (this.shown.get(id) !== key) {
        this.shown.set(id, key);
        this.fill(tr, row, isSelected, colors);
      }
      if (tr.previousElementSibling !== previous || tr.parentNode !== this.body) {
        if (previous) previous.after(tr);
        else this.body.prepend(tr);
      }
      previous = tr;
    }
  }

  fill(tr, row, isSelected, colors) {
    tr.classList.toggle('selected', isSelected);
    tr.dataset.status = row.status;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = isSelected;
    box.setAttribute('aria-label', `compare ${row.id}`);
    const pick = document.createElement('td');
    pick.append(box);

    const name = document.createElement('td');
    if (isSelected) {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colors.of(row.id);
      name.append(swatch);
    }
    const slash = row.id.lastIndexOf('/');
    const parent = document.createElement('span');
    parent.className = 'run-parent';
    parent.textContent = slash >= 0 ? row.id.slice(0, slash + 1) : '';
    parent.title = row.id;
    const link = document.createElement('a');
    link.href = `/files/${row.id.split('/').map(encodeURIComponent).join('/')}/config.json`;
    link.target = '_blank';
    link.title = 'config.json';
    link.textContent = slash >= 0 ? row.id.slice(slash + 1) : row.id || '.';
    name.append(parent, link);

    const status = document.createElement('td');
    const badge = document.createElement('span');
    badge.className = `status status-${row.status}`;
    badge.textContent = row.status;
    badge.title = row.error ?? (row.updatedAt ? `last written ${ago(row.updatedAt)}` : '');
    status.append(badge);

    const progress = document.createElement('td');
    const bar = document.createElement('span');
    bar.className = 'progress';
    const fill = document.createElement('span');
    fill.style.width = `${Math.round(100 * (row.progress.fraction ?? 0))}%`;
    bar.append(fill);
    progress.append(bar, progressText(row.progress));

    const eta = row.status === 'running' || row.status === 'incomplete' ? duration(row.progress.etaSeconds) : '—';
    tr.replaceChildren(
      pick,
      name,
      cell(row.kind),
      cell(row.method),
      cell(row.seed ?? '—', 'num'),
      cell(setting(row)),
      status,
      progress,
      cell(eta, 'num'),
      cell(row.finalText, 'num'),
    );
  }
}
