#!/usr/bin/env node
// Benchmarks of issue 2: our engine against Python PyTorch, side by side in one run.
//   node bench/run.mjs [--reps 5] [--threads 2] [--n 200000] [--steps 10] [--only add|resnet]
// Each repetition runs our side and PyTorch's side in fresh processes, one after
// the other (alternating which goes first), so machine noise hits both alike;
// the table shows medians over repetitions and the ratios of those medians.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, median } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = parseArgs(process.argv.slice(2));
const reps = Number(args.reps ?? 5);
const threads = Number(args.threads ?? Math.min(cpus().length, 2));
const n = Number(args.n ?? 200000);
const steps = Number(args.steps ?? 10);
const only = args.only;
const python = process.env.PYTHON ?? 'python3';

function ensureBuilt() {
  if (
    !existsSync(join(root, 'packages/torch/dist/src/index.js')) ||
    !existsSync(join(root, 'packages/torch/build/Release/lot_torch.node'))
  ) {
    console.error('bench: build first: `npm install` (native addon) and `npx tsc -b` (TypeScript), from the repository root.');
    process.exit(1);
  }
}

function pythonTorchVersion() {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function ensurePythonTorch() {
  let version = pythonTorchVersion();
  if (version) return version;
  console.log(
    `bench: Python's torch is missing; trying \`${python} -m pip install torch\` (pip's configured index or find-links folder)...`,
  );
  spawnSync(python, ['-m', 'pip', 'install', 'torch'], { stdio: 'inherit' });
  version = pythonTorchVersion();
  if (version) return version;
  console.error(
    `bench: the PyTorch side needs Python's torch. Install it with \`${python} -m pip install torch\` ` +
      '(offline: `pip install --no-index --find-links <folder with the torch wheel> torch`), or set PYTHON to an interpreter that has it.',
  );
  process.exit(1);
}

function runJson(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    console.error(`bench: ${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    process.exit(1);
  }
  const line = r.stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

function alternate(label, ours, theirs) {
  const results = { ours: [], theirs: [] };
  for (let i = 0; i < reps; ++i) {
    const order = i % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    for (const side of order) results[side].push(side === 'ours' ? ours(i) : theirs(i));
    process.stderr.write(`  ${label}: repetition ${i + 1}/${reps} done\n`);
  }
  return results;
}

ensureBuilt();
const torchVersion = ensurePythonTorch();
console.log(
  `bench: ${reps} repetitions, ${threads} intra-op thread(s) on both sides, Node ${process.version}, Python torch ${torchVersion}`,
);

const rows = [];
const fmt = (v, d = 2) => v.toFixed(d);

if (!only || only === 'add') {
  const r = alternate(
    'add',
    (i) =>
      runJson(process.execPath, [
        join(here, 'add_ours.mjs'),
        '--n',
        String(n),
        '--threads',
        String(threads),
        '--order',
        i % 2 ? 'dispose-first' : 'tidy-first',
      ]),
    () => runJson(python, [join(here, 'add_torch.py'), '--n', String(n), '--threads', String(threads)]),
  );
  // Ratios use process CPU time (steady on a busy machine); wall-clock medians are shown alongside.
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const torchCpu = m(r.theirs, 'addCpu');
  const torchWall = m(r.theirs, 'add');
  for (const [kind, label] of [
    ['tidy', 'tidy per 1000 ops'],
    ['dispose', 'explicit dispose'],
  ]) {
    const cpu = m(r.ours, `${kind}Cpu`);
    const wall = m(r.ours, kind);
    rows.push({
      bench: kind === 'tidy' ? `add 1-elem f32, ${n} ops: µs/op CPU (wall), ${label}` : `  same, ${label}`,
      ours: `${fmt(cpu)} (${fmt(wall)})`,
      torch: `${fmt(torchCpu)} (${fmt(torchWall)})`,
      ratio: `${fmt(cpu / torchCpu)} (${fmt(wall / torchWall)})`,
      goal: 'ours/torch <= 1.00',
      ok: cpu / torchCpu <= 1,
    });
  }
}

if (!only || only === 'resnet') {
  const common = ['--threads', String(threads), '--steps', String(steps)];
  const r = alternate(
    'resnet20',
    () => runJson(process.execPath, [join(here, 'resnet_ours.mjs'), ...common]),
    () => runJson(python, [join(here, 'resnet_torch.py'), ...common, '--style', 'functional']),
  );
  const ours = median(r.ours.map((x) => x.imagesPerSecond));
  const theirs = median(r.theirs.map((x) => x.imagesPerSecond));
  rows.push({
    bench: 'ResNet-20 train step, batch 128: images/s (PyTorch functional)',
    ours: fmt(ours, 1),
    torch: fmt(theirs, 1),
    ratio: fmt(ours / theirs),
    goal: 'ours/torch >= 0.95',
    ok: ours / theirs >= 0.95,
  });
  if (args.module !== 'false') {
    const m = alternate(
      'resnet20 (nn.Module)',
      () => runJson(process.execPath, [join(here, 'resnet_ours.mjs'), ...common]),
      () => runJson(python, [join(here, 'resnet_torch.py'), ...common, '--style', 'module']),
    );
    const o2 = median(m.ours.map((x) => x.imagesPerSecond));
    const t2 = median(m.theirs.map((x) => x.imagesPerSecond));
    rows.push({
      bench: '  same, PyTorch as nn.Module + optim.SGD',
      ours: fmt(o2, 1),
      torch: fmt(t2, 1),
      ratio: fmt(o2 / t2),
      goal: 'ours/torch >= 0.95',
      ok: o2 / t2 >= 0.95,
    });
  }
}

const headers = ['benchmark', 'ours', 'PyTorch', 'ratio', 'goal', 'met'];
const table = rows.map((r) => [r.bench, r.ours, r.torch, r.ratio, r.goal, r.ok ? 'yes' : 'NO']);
const widths = headers.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log();
console.log(line(headers));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
console.log(`\nmedians of ${reps} repetitions; ${threads} thread(s) each side`);
