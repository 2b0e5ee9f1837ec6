// Sweeps: the grid's expansion, the runner (k at a time, failures contained, complete runs
// skipped), and `lot sweep` end to end on the vision domain with tiny synthetic data: a sweep
// killed mid-run resumes and finishes, a finished one is skipped, and `lot report` draws its
// ablation.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expandSweep, MANIFEST, runSweep, type SweepRun } from '../src/harness/index.js';
import { lot, lotSpawn, tempDir, writeSyntheticFashionMnist } from './cli-helpers.js';

test('a grid expands into LoT per (τ, α, N, seed), teacher-only per seed, equal compute per (N, seed)', () => {
  const runs = expandSweep({ alpha: [0, 0.5], n: [1, 2], tau: [1.5], seeds: [0, 1], methods: ['lot', 'teacher-only', 'equal-compute'] });
  assert.equal(runs.length, 8 + 2 + 4);
  assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);
  const one = runs.find((r) => r.id === 'lot-tau1.5-alpha0.5-n2-seed1')!;
  assert.deepEqual(one.args, ['--methods', 'lot', '--seeds', '1', '--alpha', '0.5', '--n', '2', '--tau', '1.5']);
  assert.deepEqual(runs.find((r) => r.id === 'equal-compute-n2-seed0')!.args, ['--methods', 'equal-compute', '--seeds', '0', '--n', '2']);
  assert.deepEqual(runs.find((r) => r.id === 'teacher-only-seed1')!.args, ['--methods', 'teacher-only', '--seeds', '1']);
});

describe('runSweep', () => {
  /** A stand-in for `lot train`: writes summary.json in its run folder, then exits with the code its flags ask for. */
  const fake = (dir: string) => (run: SweepRun) => [
    process.execPath,
    '-e',
    `const fs=require('fs');const d=${JSON.stringify(join(dir, run.id))};fs.mkdirSync(d,{recursive:true});` +
      `const fail=${run.seed === 1};setTimeout(()=>{fs.writeFileSync(d+'/summary.json',JSON.stringify({status:fail?'failed':'complete'}));` +
      `if(fail)console.error('lot: error: seed 1 is unlucky');process.exit(fail?1:0)},200)`,
  ];
  const runs = expandSweep({ alpha: [0.5], n: [1, 2], tau: [1], seeds: [0, 1], methods: ['lot'] });

  test('runs k at a time; a failing run leaves the others going; complete runs are skipped next time', async () => {
    const dir = tempDir('sweep-fake');
    const lines: string[] = [];
    const t0 = Date.now();
    const first = await runSweep(dir, runs, { parallel: 2, command: fake(dir), log: (l) => lines.push(l) });
    const seconds = (Date.now() - t0) / 1000;
    assert.deepEqual([...first.entries()].sort(), [
      ['lot-tau1-alpha0.5-n1-seed0', 'complete'],
      ['lot-tau1-alpha0.5-n1-seed1', 'failed'],
      ['lot-tau1-alpha0.5-n2-seed0', 'complete'],
      ['lot-tau1-alpha0.5-n2-seed1', 'failed'],
    ]);
    assert.ok(lines.some((l) => /lot-tau1-alpha0\.5-n1-seed1 failed \(exit 1\): error: seed 1 is unlucky/.test(l)));
    assert.ok(existsSync(join(dir, 'logs', 'lot-tau1-alpha0.5-n1-seed1.log')));
    assert.ok(seconds < 4 * 0.2 + 3, `${seconds} s`); // two at a time, not one after another
    const second = await runSweep(dir, runs, { parallel: 2, command: fake(dir), log: () => {} });
    assert.equal([...second.values()].filter((o) => o === 'skipped').length, 2);
    assert.equal([...second.values()].filter((o) => o === 'failed').length, 2);
  });
});

describe('lot sweep (vision, synthetic data)', () => {
  const data = writeSyntheticFashionMnist(tempDir('sweep-data'), 256, 64);
  const args = (runs: string, extra: string[] = []) => [
    'sweep',
    'vision',
    '--data-dir',
    data,
    '--no-download',
    '--teacher',
    'smallcnn',
    '--no-augment',
    '--lr',
    '0.05',
    '--batch-size',
    '32',
    '--alpha',
    '0.5,1',
    '--n',
    '1',
    '--seeds',
    '0',
    '--runs-dir',
    runs,
    ...extra,
  ];

  test('--print-commands prints one `lot train` per run into the sweep folder, and writes the manifest', () => {
    const runs = tempDir('sweep-print');
    const r = lot(args(runs, ['--print-commands']));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      / train vision .*--methods lot --seeds 0 --alpha 0\.5 --n 1 --tau 1\.5 --run-dir \S+sweep-vision\/lot-tau1\.5-alpha0\.5-n1-seed0 /,
    );
    assert.match(lines[2]!, /--methods teacher-only --seeds 0 --run-dir \S+\/teacher-only-seed0 /);
    assert.ok(existsSync(join(runs, 'sweep-vision', MANIFEST)));
  });

  test('a sweep killed mid-run resumes it; a finished sweep is skipped; the report draws the ablation', async () => {
    const runs = tempDir('sweep-kill');
    const dir = join(runs, 'sweep-vision');
    const child = lotSpawn(args(runs, ['--epochs', '30']));
    const done = new Promise((r) => child.on('close', r));
    const first = join(dir, 'lot-tau1.5-alpha0.5-n1-seed0');
    const until = Date.now() + 60_000;
    while (!existsSync(join(first, 'checkpoint.pt'))) {
      if (Date.now() > until) throw new Error('no checkpoint within a minute');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL'); // the sweep itself: its run sees it go and stops with a checkpoint
    await done;
    const stopped = Date.now() + 30_000;
    while (JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8')).status === 'running') {
      if (Date.now() > stopped) throw new Error('the run went on after its sweep was killed');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8')).status, 'interrupted');

    // Same sweep, shorter: a different grid is refused; the same one resumes (epochs are part of the runs' flags).
    const other = lot(args(runs, ['--epochs', '30', '--n', '2']));
    assert.equal(other.code, 2);
    assert.match(other.stderr, /holds a different sweep/);
    const resumed = lot(args(runs, ['--epochs', '30', '--parallel', '2']), { timeoutMs: 600_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(readFileSync(join(dir, 'logs', 'lot-tau1.5-alpha0.5-n1-seed0.log'), 'utf8'), /resuming/);
    assert.match(resumed.stderr, /sweep: 3 complete, 0 already complete, 0 failed/);
    const again = lot(args(runs, ['--epochs', '30']));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /3 of 3 runs are complete already/);

    const report = lot(['report', dir]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /## Ablation: sweep-vision/);
    assert.match(report.stdout, /\| 1\.5 \| 0\.5 \| 1 \| \d+\.\d\d \(n=1\) \| [+−]\d+\.\d\d \| — \|/);
    for (const x of ['alpha', 'n']) assert.ok(existsSync(join(dir, 'report', `sweep-vision-ablation-${x}.svg`)));
    assert.deepEqual(readdirSync(dir).sort(), [
      'logs',
      'lot-tau1.5-alpha0.5-n1-seed0',
      'lot-tau1.5-alpha1-n1-seed0',
      'report',
      'sweep.json',
      'teacher-only-seed0',
    ]);
  });
});
