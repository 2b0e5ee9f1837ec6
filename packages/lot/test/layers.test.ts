// The product's layering, checked on its sources: imports point only down
// (cli → dashboard → report → harness; cli → imitability, report, domains → harness → lot →
// @lot/torch; domains may also use sources, the data-fetching helpers that know no domain), no
// module imports itself back through a circle, every import() names a literal path, and only the
// vision domain and the CLI name a vision model or dataset.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The layer of a source file: its folder under src (tasks/<domain> for domains), or 'index' for the package entry. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return 'index';
  return parts[0] === 'tasks' ? `tasks/${parts[1]}` : parts[0]!;
}

/** What each layer may import besides itself. Domains may not import each other; imitability is built on the vision domain. */
const ALLOWED: Record<string, (target: string) => boolean> = {
  lot: () => false,
  sources: () => false,
  harness: (t) => t === 'lot',
  report: (t) => t === 'harness' || t === 'lot',
  dashboard: (t) => t === 'report' || t === 'harness',
  imitability: (t) => t === 'harness' || t === 'lot' || t === 'tasks/vision' || t === 'sources',
  cli: () => true,
  index: () => true,
};
const allowed = (from: string, to: string): boolean =>
  from === to || (from.startsWith('tasks/') ? to === 'harness' || to === 'lot' || to === 'sources' : (ALLOWED[from]?.(to) ?? false));

// Static imports and re-exports (`from '…'`, also `import type`), and dynamic import() calls.
const STATIC = /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*([^)]*?)\s*\)/g;

interface Edge {
  from: string;
  to: string;
}

function graph(): { files: string[]; edges: Edge[]; computed: string[] } {
  const files = sources(SRC);
  const edges: Edge[] = [];
  const computed: string[] = [];
  for (const file of files) {
    const text = withoutComments(readFileSync(file, 'utf8'));
    const specifiers: string[] = [];
    for (const m of text.matchAll(STATIC)) specifiers.push(m[1]!);
    for (const m of text.matchAll(DYNAMIC)) {
      const arg = m[1]!;
      const literal = /^['"]([^'"]+)['"]$/.exec(arg);
      // `import('node:fs').Dirent` in a type position is a literal too.
      if (literal) specifiers.push(literal[1]!);
      else computed.push(`${relative(SRC, file)}: import(${arg})`);
    }
    for (const s of specifiers) {
      if (!s.startsWith('.')) continue;
      edges.push({ from: file, to: resolve(dirname(file), s.replace(/\.js$/, '.ts')) });
    }
  }
  return { files, edges, computed };
}

test('imports point only down the layers', () => {
  const { edges } = graph();
  const wrong = edges
    .filter((e) => !allowed(layerOf(e.from), layerOf(e.to)))
    .map((e) => `${relative(SRC, e.from)} (${layerOf(e.from)}) imports ${relative(SRC, e.to)} (${layerOf(e.to)})`);
  assert.deepEqual(wrong, []);
  assert.ok(edges.length > 100, `only ${edges.length} imports found: the scan is broken`);
});

test('no import circles between modules', () => {
  const { files, edges } = graph();
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      circles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const t of next.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(circles, []);
});

test('every import() names a literal path', () => {
  assert.deepEqual(graph().computed, []);
});

test('only the vision domain and the CLI name a vision model or dataset', () => {
  const names = /['"`](?:smallcnn|preresnet\d*|fashion-mnist|cifar10|cifar100)['"`]/;
  const offenders = sources(SRC)
    .filter((f) => !['tasks/vision', 'cli'].includes(layerOf(f)))
    .filter((f) => names.test(withoutComments(readFileSync(f, 'utf8'))))
    .map((f) => relative(SRC, f));
  assert.deepEqual(offenders, []);
});
