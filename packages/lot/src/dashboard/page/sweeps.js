// Sweep folders (`lot sweep`): the grid, where its runs stand, and the ablation as `lot report`
// draws it (its table, and its plots against α and N from the report's own Vega-Lite specs, with
// a link to the server's SVG of each), fetched again whenever a run of the sweep changes outcome
// (the sweep's `version`).
import { drawSpec } from './charts.js';

const element = (tag, text, className) => {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
};

const query = (params) => new URLSearchParams(params).toString();

function gridText(sweep) {
  const g = sweep.grid;
  return `${sweep.domain}: α ${g.alpha.join(', ')} × N ${g.n.join(', ')} × τ ${g.tau.join(', ')} × seeds ${g.seeds.join(', ')}; ${g.methods.join(', ')}`;
}

function countsText(sweep) {
  const order = ['complete', 'running', 'interrupted', 'failed', 'incomplete', 'not started'];
  const keys = Object.keys(sweep.counts).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return `${sweep.runs.length} runs: ${keys.map((k) => `${sweep.counts[k]} ${k}`).join(', ')}`;
}

function table(ablation) {
  const t = element('table');
  const head = element('tr');
  for (const h of ablation.header) head.append(element('th', h));
  t.append(element('thead'), element('tbody'));
  t.tHead.append(head);
  for (const row of ablation.rows) {
    const tr = element('tr');
    row.forEach((c, i) => tr.append(element('td', c, i >= 3 ? 'num' : undefined)));
    t.tBodies[0].append(tr);
  }
  return t;
}

export class Sweeps {
  /**
   * @param {HTMLElement} container
   * @param {HTMLElement} section shown when there is a sweep
   * @param {(ids: string[]) => void} onSelect selects a sweep's runs for the charts
   */
  constructor(container, section, onSelect) {
    this.container = container;
    this.section = section;
    this.onSelect = onSelect;
    this.cards = new Map();
  }

  clear() {
    for (const card of this.cards.values()) for (const v of card.views) v.finalize();
    this.container.replaceChildren();
    this.cards.clear();
    this.section.hidden = true;
  }

  remove(id) {
    for (const v of this.cards.get(id)?.views ?? []) v.finalize();
    this.cards.get(id)?.el.remove();
    this.cards.delete(id);
    this.section.hidden = this.cards.size === 0;
  }

  update(sweep) {
    let card = this.cards.get(sweep.id);
    if (!card) {
      const el = element('div', undefined, 'sweep');
      el.dataset.sweep = sweep.id;
      card = { el, version: null, views: [] };
      this.cards.set(sweep.id, card);
      const ids = [...this.cards.keys()].sort();
      const next = ids[ids.indexOf(sweep.id) + 1];
      this.container.insertBefore(el, next ? this.cards.get(next).el : null);
    }
    this.section.hidden = false;
    const title = element('h3', sweep.id || '(this folder)');
    const select = element('button', 'compare its runs');
    select.type = 'button';
    select.addEventListener('click', () => this.onSelect(sweep.runs.filter((r) => r.status !== null).map((r) => r.id)));
    const header = element('header');
    header.append(title, element('span', gridText(sweep), 'grid'), element('span', countsText(sweep), 'counts'), select);
    const body = card.el.querySelector('.body') ?? element('div', undefined, 'body');
    card.el.replaceChildren(header, body);
    if (card.version !== sweep.version) {
      card.version = sweep.version;
      void this.load(sweep, body);
    }
  }

  async load(sweep, body) {
    const res = await fetch(`/api/sweep?${query({ sweep: sweep.id })}`);
    if (!res.ok) return;
    const { ablation } = await res.json();
    if (this.cards.get(sweep.id)?.version !== sweep.version) return; // a newer version is on its way
    const parts = [];
    if (ablation.rows.length) {
      const t = element('div', undefined, 'ablation-table');
      t.append(table(ablation), ...ablation.notes.map((n) => element('p', n, 'hint')));
      parts.push(t);
    } else {
      parts.push(element('p', 'No LoT run of this sweep has finished yet.', 'hint'));
    }
    const plots = [];
    for (const [x, spec] of Object.entries(ablation.specs)) {
      const figure = element('figure', undefined, 'ablation-plot');
      figure.dataset.axis = x;
      const chart = element('div');
      const svg = element('a', 'SVG');
      svg.href = `/api/sweep/plot.svg?${query({ sweep: sweep.id, x, v: sweep.version })}`;
      svg.target = '_blank';
      figure.append(chart, svg);
      parts.push(figure);
      plots.push([chart, spec]);
    }
    body.replaceChildren(...parts);
    const card = this.cards.get(sweep.id);
    for (const v of card.views) v.finalize();
    card.views = await Promise.all(plots.map(([el, spec]) => drawSpec(el, spec)));
  }
}
