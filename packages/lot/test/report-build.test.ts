// `lot report`: a report from synthetic run folders in the CLI's format; the table's means and
// sample stds checked by hand; SVG and PNG files valid.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Method } from '../src/harness/methods.js';
import type { TrainSummary } from '../src/harness/records.js';
import { buildReport, findRunFolders, groupRows, loadRun, loadRuns, stat } from '../src/report/index.js';

const root = mkdtempSync(join(tmpdir(), 'lot-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Final test accuracies per method and seed (the table must show their mean ± sample std). */
const FINAL: Record<Method, number[]> = {
  'teacher-only': [0.8, 0.82, 0.84],
  'equal-compute': [0.81, 0.815, 0.835],
  lot: [0.85, 0.86, 0.9],
};
const EPOCHS = 4;

function writeRun(dir: string, method: Method, seed: number, o: { status?: string; student?: string; torn?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  const epochs = method === 'equal-compute' ? 7 : EPOCHS;
  const student = o.student ?? 'preresnet20';
  const config = {
    kind: 'vision',
    command: 'train-vision',
    method,
    seed,
    dataset: 'fashion-mnist',
    subset: 2000,
    testSubset: null,
    teacher: 'preresnet20',
    students: method === 'lot' ? [student] : [],
    student,
    alpha: method === 'lot' ? 0.5 : 0,
    n: method === 'lot' ? 2 : 1,
    tau: 1.5,
    variant: 'kl_ce',
    epochs,
    baseEpochs: EPOCHS,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const final = FINAL[method][seed]!;
  const lines: string[] = [];
  let best = 0;
  for (let e = 1; e <= epochs; e++) {
    // Rises to `final`; the best epoch is the second to last, 1 point above final.
    const acc = e === epochs ? final : e === epochs - 1 ? final + 0.01 : final - 0.05 * (epochs - e);
    best = Math.max(best, acc);
    const unit = method === 'lot' ? 7 : 3;
    lines.push(JSON.stringify({ type: 'step', epoch: e, step: e * 10 - 5, costUnits: 1, seconds: 1, teacherLoss: 1 }));
    lines.push(
      JSON.stringify({
        type: 'epoch',
        epoch: e,
        step: e * 10,
        costUnits: e * 10 * unit,
        seconds: e * 2,
        teacher: { testAccuracy: acc, testLoss: 1 - acc, trainLoss: 0.5, trainAccuracy: acc + 0.02 },
        students: method === 'lot' ? [{ testAccuracy: acc - 0.01, testLoss: 0.4 }] : [],
        kl: method === 'lot' ? { train: 0.5 / e + seed * 0.01, test: 0.6 / e + seed * 0.01 } : { train: null, test: null },
      }),
    );
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n${o.torn ? '{"type":"epoch","epo' : ''}`);
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({
      method,
      seed,
      dataset: 'fashion-mnist',
      teacher: 'preresnet20',
      student,
      finalTestAccuracy: final,
      bestTestAccuracy: best,
      status: o.status ?? 'complete',
    }),
  );
}

function writeImitability(dir: string, seed: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      command: 'imitability',
      kind: 'imitability',
      dataset: 'fashion-mnist',
      teacher: 'preresnet20',
      student: 'preresnet20',
      seed,
    }),
  );
  const lines: string[] = [];
  for (let s = 100; s <= 1000; s += 100) {
    lines.push(
      JSON.stringify({
        type: 'imitation',
        teacherKind: 'sophisticated',
        step: s,
        costUnits: s * 4,
        trainKL: 1 / s + seed * 1e-4,
        testKL: 1.2 / s + seed * 1e-4,
      }),
    );
    lines.push(
      JSON.stringify({
        type: 'imitation',
        teacherKind: 'deceptive',
        step: s,
        costUnits: s * 4,
        trainKL: 30 / s + seed * 1e-3,
        testKL: 40 / s + seed * 1e-3,
      }),
    );
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({
      kind: 'imitability',
      seed,
      status: 'complete',
      teachers: {
        sophisticated: { trainAccuracy: 0.9 + seed * 0.02, testAccuracy: 0.85 },
        deceptive: { trainAccuracy: 0.7, testAccuracy: 0.1 + seed * 0.01 },
      },
      final: {
        sophisticated: { trainKL: 0.001 + seed * 1e-4, testKL: 0.0012 + seed * 1e-4 },
        deceptive: { trainKL: 0.03 + seed * 1e-3, testKL: 0.04 + seed * 1e-3 },
      },
    }),
  );
}

/** Final validation perplexities per method and seed of a made-up language domain (lower is better). */
const PERPLEXITY: Record<Method, number[]> = {
  'teacher-only': [90, 92, 94],
  'equal-compute': [91, 91.5, 93],
  lot: [87, 88, 92],
};
const PERPLEXITY_METRIC = { key: 'validPerplexity', label: 'valid perplexity', direction: 'min', percent: false } as const;

/** A run folder in the harness's format (summary with kind and metric); equal compute's summary omits bestMetric. */
function writeLmRun(dir: string, method: Method, seed: number, o: { status?: TrainSummary['status'] } = {}): void {
  mkdirSync(dir, { recursive: true });
  const epochs = method === 'equal-compute' ? 7 : EPOCHS;
  const lot = method === 'lot';
  const config = {
    kind: 'toy-lm',
    method,
    seed,
    dataset: 'tiny-text',
    teacher: 'gpt-mini',
    student: 'gpt-mini',
    students: lot ? ['gpt-mini'] : [],
    alpha: lot ? 0.5 : 0,
    n: lot ? 2 : 1,
    tau: 1,
    epochs,
    baseEpochs: EPOCHS,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const final = PERPLEXITY[method][seed]!;
  const lines: string[] = [];
  for (let e = 1; e <= epochs; e++) {
    // Falls to `final`; the best (lowest) epoch is the second to last, 1 below final.
    const ppl = e === epochs ? final : e === epochs - 1 ? final - 1 : final + 5 * (epochs - e);
    const kl = lot ? { train: 0.5 / e, test: 0.6 / e } : { train: null, test: null };
    lines.push(
      JSON.stringify({
        type: 'epoch',
        epoch: e,
        step: e * 10,
        costUnits: e * 100,
        seconds: e,
        teacher: { validPerplexity: ppl, validLoss: Math.log(ppl) },
        students: lot ? [{ validPerplexity: ppl + 2 }] : [],
        kl,
      }),
    );
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  const summary: TrainSummary = {
    kind: 'toy-lm',
    method,
    seed,
    status: o.status ?? 'complete',
    dataset: 'tiny-text',
    teacher: 'gpt-mini',
    student: 'gpt-mini',
    students: config.students,
    epochs,
    epochsDone: epochs,
    baseEpochs: EPOCHS,
    teacherSteps: epochs * 10,
    costUnits: epochs * 100,
    seconds: epochs,
    alpha: config.alpha,
    n: config.n,
    tau: 1,
    metric: PERPLEXITY_METRIC,
    finalMetric: final,
    bestMetric: final - 1,
    finalStudentMetric: lot ? [final + 2] : [],
    final: { teacher: { validPerplexity: final }, students: lot ? [{ validPerplexity: final + 2 }] : [] },
    test: null,
  };
  const { bestMetric, ...withoutBest } = summary;
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(method === 'equal-compute' ? withoutBest : summary));
}

// Layout: runs/ holds the classification runs (one torn metrics line, one interrupted extra run),
// imit/ holds one imitability run per seed.
const runsDir = join(root, 'runs');
for (const m of ['teacher-only', 'equal-compute', 'lot'] as Method[])
  for (const seed of [0, 1, 2]) writeRun(join(runsDir, `${m}-seed${seed}`), m, seed, { torn: m === 'lot' && seed === 1 });
writeRun(join(runsDir, 'lot-seed3-interrupted'), 'lot', 0, { status: 'interrupted' });
const imitDir = join(root, 'imit');
for (const seed of [0, 1]) writeImitability(join(imitDir, `imitability-seed${seed}`), seed);

const pct = (x: number) => (100 * x).toFixed(2);
function meanStd(xs: number[]): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${pct(m)} ± ${pct(sd)} (n=${xs.length})`;
}

function checkPng(path: string): void {
  const b = readFileSync(path);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path}: PNG signature`);
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  assert.ok(width >= 400 && height >= 200, `${path}: ${width}×${height}`);
  assert.ok(b.length > 10_000, `${path}: only ${b.length} bytes`);
  assert.equal(b.subarray(b.length - 8, b.length - 4).toString('latin1'), 'IEND');
}

function checkSvg(path: string): string {
  const s = readFileSync(path, 'utf8');
  assert.match(s, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(s.trimEnd().endsWith('</svg>'));
  // Well-formed: every element closes (a small XML check: tags balance).
  const stack: string[] = [];
  for (const m of s.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') assert.equal(stack.pop(), m[2], `${path}: </${m[2]}> closes another element`);
    else stack.push(m[2]!);
  }
  assert.deepEqual(stack, [], `${path}: unclosed elements`);
  assert.ok(statSync(path).size > 3000);
  return s;
}

describe('report', () => {
  test('run folders: a parent folder expands one level; torn lines are skipped', () => {
    const dirs = findRunFolders(runsDir);
    assert.equal(dirs.length, 10);
    const r = loadRun(join(runsDir, 'lot-seed1'));
    assert.equal(r.method, 'lot');
    assert.equal(r.epochsLog.length, EPOCHS);
    assert.equal(r.student, 'preresnet20');
    assert.equal(findRunFolders(root).length, 12, 'two levels down when one holds none');
    assert.throws(() => findRunFolders(join(root, 'nope')), /no such folder/);
  });

  test('rows group teacher-only and equal compute with the LoT pair', () => {
    const rows = groupRows(findRunFolders(runsDir).map(loadRun));
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.runs.lot.length, 4);
    assert.equal(row.final.lot!.n, 3, 'the interrupted run is left out');
    assert.equal(row.runs['teacher-only'].length, 3);
    assert.equal(row.runs['equal-compute'].length, 3);
    const s = stat(FINAL.lot)!;
    assert.ok(Math.abs(row.final.lot!.mean - s.mean) < 1e-12);
    assert.ok(Math.abs(row.final.lot!.std - 0.026457513110645928) < 1e-12, 'sample std (n − 1)');
  });

  test('buildReport: table numbers, plots as SVG and PNG', async () => {
    const out = join(root, 'out');
    const { markdown, files } = await buildReport([runsDir, imitDir], out);
    // The accuracy table, final and best rows.
    const finalRow = markdown.split('\n').find((l) => l.includes('| final |'))!;
    assert.ok(finalRow, markdown);
    assert.ok(finalRow.includes('fashion-mnist (train 2000)'));
    assert.ok(finalRow.includes('preresnet20 → preresnet20'));
    assert.ok(finalRow.includes('α 0.5, N 2, τ 1.5, kl_ce'));
    assert.ok(finalRow.includes(meanStd(FINAL['teacher-only'])), finalRow);
    assert.ok(finalRow.includes(meanStd(FINAL['equal-compute'])), finalRow);
    assert.ok(finalRow.includes(meanStd(FINAL.lot)), finalRow);
    assert.ok(finalRow.includes('82.00 ± 2.00 (n=3)'), finalRow); // teacher-only, by hand
    assert.ok(finalRow.includes('87.00 ± 2.65 (n=3)'), finalRow); // LoT, by hand
    // LoT − teacher-only: 5.00 pp ± √(2.6458²/3 + 2²/3) = 1.91
    assert.ok(finalRow.includes('+5.00 ± 1.91'), finalRow);
    const bestRow = markdown.split('\n').find((l) => l.includes('| best |'))!;
    assert.ok(bestRow.includes(meanStd(FINAL.lot.map((x) => x + 0.01))), bestRow);
    assert.ok(bestRow.includes('+5.00 ± 1.91'), bestRow);
    assert.match(markdown, /LoT student final test accuracy 86\.00 ± 2\.65 \(n=3\)/);
    assert.match(markdown, /1 run is not complete and left out of the accuracy table \(status: interrupted\)/);
    // Imitability: final KLs over two seeds.
    const soph = markdown.split('\n').find((l) => l.includes('| sophisticated |'))!;
    assert.ok(soph.includes('0.00105 ± 0.00007 (n=2)') && soph.includes('0.00125 ± 0.00007 (n=2)'), soph);
    assert.ok(soph.includes('| 91.00 ± 1.41 | 85.00 ± 0.00 |'), soph); // teacher accuracies
    // Mean over the curve (no meanOverTraining in the summary): mean of 1/s over s = 100..1000, + seed·1e-4.
    const meanInv = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].reduce((a, s) => a + 1 / s, 0) / 10;
    assert.ok(soph.includes(`${(meanInv + 0.5e-4).toFixed(5)} ± 0.00007 (n=2)`), soph);
    const dec = markdown.split('\n').find((l) => l.includes('| deceptive |'))!;
    assert.ok(dec.includes('| 70.00 ± 0.00 | 10.50 ± 0.71 |'), dec);
    assert.ok(dec.includes('0.0305 ± 0.0007 (n=2)') && dec.includes('0.0405 ± 0.0007 (n=2)'), dec);
    // Files.
    for (const name of ['accuracy-epoch', 'accuracy-cost', 'kl', 'imitability']) {
      assert.ok(files.includes(join(out, `${name}.svg`)), name);
      assert.ok(files.includes(join(out, `${name}.png`)), name);
      assert.ok(files.includes(join(out, `${name}.vl.json`)), name);
      const svg = checkSvg(join(out, `${name}.svg`));
      checkPng(join(out, `${name}.png`));
      assert.match(markdown, new RegExp(`\\]\\(${name}\\.png\\)`));
      if (name.startsWith('accuracy'))
        for (const label of ['teacher-only', 'equal compute', 'LoT']) assert.ok(svg.includes(`>${label}<`), `${name}: legend ${label}`);
      if (name === 'imitability')
        for (const label of ['sophisticated', 'deceptive']) assert.ok(svg.includes(`>${label}<`), `${name}: legend ${label}`);
    }
    assert.ok(files.includes(join(out, 'report.md')));
    assert.equal(readFileSync(join(out, 'report.md'), 'utf8'), markdown);
  });

  test('two teacher/student pairs: two rows, faceted plots', async () => {
    const dir = join(root, 'pairs');
    for (const seed of [0, 1]) {
      writeRun(join(dir, `t${seed}`), 'teacher-only', seed, { student: 'preresnet20' });
      writeRun(join(dir, `t56-${seed}`), 'teacher-only', seed, { student: 'preresnet56' });
      writeRun(join(dir, `l20-${seed}`), 'lot', seed, { student: 'preresnet20' });
      writeRun(join(dir, `l56-${seed}`), 'lot', seed, { student: 'preresnet56' });
    }
    const out = join(root, 'pairs-out');
    const { markdown } = await buildReport([dir], out);
    const finals = markdown.split('\n').filter((l) => l.includes(' | final | '));
    assert.equal(finals.length, 2, markdown);
    assert.ok(finals[0]!.includes('preresnet20 → preresnet20') && finals[1]!.includes('preresnet20 → preresnet56'));
    for (const f of finals)
      assert.ok(f.includes('81.00 ± 1.41 (n=2)') && f.includes('85.50 ± 0.71 (n=2)') && f.includes('+4.50 ± 1.12'), f);
    const svg = checkSvg(join(out, 'accuracy-epoch.svg'));
    assert.ok(svg.includes('preresnet20 → preresnet56'), 'facet header');
    checkPng(join(out, 'accuracy-epoch.png'));
  });

  test('a report of baselines only, and errors', async () => {
    const dir = join(root, 'only');
    writeRun(join(dir, 'a'), 'teacher-only', 0);
    writeRun(join(dir, 'b'), 'teacher-only', 1);
    const { markdown, files } = await buildReport([dir], join(root, 'only-out'), { png: false });
    assert.ok(markdown.includes('81.00 ± 1.41 (n=2)'), markdown);
    assert.ok(!files.some((f) => f.endsWith('.png')));
    assert.ok(!files.some((f) => f.endsWith('kl.svg')), 'no KL plot without LoT runs');
    await assert.rejects(buildReport([], join(root, 'x')), /no run folders given/);
    // A rerun of seed 1 (a later folder name): only the latest counts.
    writeRun(join(dir, 'c-rerun'), 'teacher-only', 2);
    writeFileSync(
      join(dir, 'c-rerun', 'summary.json'),
      readFileSync(join(dir, 'c-rerun', 'summary.json'), 'utf8').replace('"seed":2', '"seed":1'),
    );
    const again = await buildReport([dir], join(root, 'only-out2'), { png: false });
    assert.ok(again.markdown.includes('82.00 ± 2.83 (n=2)'), again.markdown);
    assert.match(again.markdown, /1 finished run repeats a method and seed of another; only the latest of each seed counts/);
    mkdirSync(join(root, 'emptydir'));
    await assert.rejects(buildReport([join(root, 'emptydir')], join(root, 'x')), /neither a run folder/);
  });
  test('a domain with a lower-is-better metric: perplexity table, plots and notes', async () => {
    const dir = join(root, 'lm');
    for (const m of ['teacher-only', 'equal-compute', 'lot'] as Method[])
      for (const seed of [0, 1, 2]) writeLmRun(join(dir, `${m}-seed${seed}`), m, seed);
    writeLmRun(join(dir, 'lot-seed9-running'), 'lot', 0, { status: 'running' });
    // A run that failed before writing its summary: it takes its domain's metric from the others.
    writeLmRun(join(dir, 'lot-seed8-nosummary'), 'lot', 1);
    rmSync(join(dir, 'lot-seed8-nosummary', 'summary.json'));
    const bare = loadRuns([join(dir, 'lot-seed0'), join(dir, 'lot-seed8-nosummary')])[1]!;
    assert.equal(bare.status, 'incomplete');
    assert.deepEqual(bare.metric, PERPLEXITY_METRIC);
    assert.equal(bare.finalMetric, 88, 'from the last epoch record');
    const run = loadRun(join(dir, 'equal-compute-seed0'));
    assert.equal(run.kind, 'toy-lm');
    assert.deepEqual(run.metric, PERPLEXITY_METRIC);
    assert.equal(run.finalMetric, 91);
    assert.equal(run.bestMetric, 90, 'without bestMetric in the summary: the lowest over epochs');
    assert.equal(run.epochsLog.at(-1)!.teacherMetric, 91);
    const out = join(root, 'lm-out');
    const { markdown, files } = await buildReport([dir], out, { png: false });
    assert.match(markdown, /^## Valid perplexity of the teacher \(lower is better\)$/m);
    assert.match(markdown, /\| LoT − teacher-only \|$/m, 'no percentage points');
    const finalRow = markdown.split('\n').find((l) => l.includes('| final |'))!;
    assert.ok(finalRow.includes('tiny-text | gpt-mini → gpt-mini | 4 | α 0.5, N 2, τ 1 |'), finalRow);
    // Plain numbers to 3 significant digits: 92 ± 2, 91.83 ± 1.04, 89 ± √7; 89 − 92 = −3 ± √(7/3 + 4/3) = 1.91.
    assert.ok(finalRow.includes('| 92.0 ± 2.0 (n=3) | 91.8 ± 1.0 (n=3) | 89.0 ± 2.6 (n=3) | −3.00 ± 1.91 |'), finalRow);
    const bestRow = markdown.split('\n').find((l) => l.includes('| best |'))!;
    assert.ok(bestRow.includes('| 91.0 ± 2.0 (n=3) | 90.8 ± 1.0 (n=3) | 88.0 ± 2.6 (n=3) | −3.00 ± 1.91 |'), bestRow);
    assert.match(markdown, /\*best\*: the lowest valid perplexity over epochs/);
    assert.match(markdown, /LoT student final valid perplexity 91\.0 ± 2\.6 \(n=3\)/);
    assert.match(markdown, /2 runs are not complete and left out of the perplexity table \(status: incomplete, running\)/);
    assert.match(markdown, /\| final perplexity \| best perplexity \|/);
    for (const name of ['perplexity-epoch', 'perplexity-cost', 'kl']) {
      for (const ext of ['svg', 'vl.json']) assert.ok(files.includes(join(out, `${name}.${ext}`)), `${name}.${ext}`);
      checkSvg(join(out, `${name}.svg`));
    }
    assert.ok(!files.some((f) => f.includes('accuracy')), 'no accuracy plots');
    // Plotted as is (not ×100), on an axis named after the metric.
    const spec = readFileSync(join(out, 'perplexity-epoch.vl.json'), 'utf8');
    assert.ok(spec.includes('"title": "teacher valid perplexity (lower is better)"'), 'y title');
    const values = (JSON.parse(spec) as { data: { values: { series: string; x: number; mean: number }[] } }).data.values;
    assert.equal(values.find((v) => v.series === 'teacher-only' && v.x === EPOCHS)!.mean, 92);

    // With vision runs: a section per domain, files prefixed by the domain.
    const both = await buildReport([runsDir, dir], join(root, 'both-out'), { png: false });
    assert.match(both.markdown, /^## vision: Test accuracy of the teacher \(%\)$/m);
    assert.match(both.markdown, /^## toy-lm: Valid perplexity of the teacher \(lower is better\)$/m);
    assert.match(both.markdown, /21 runs \(11 toy-lm, 10 vision\)/);
    for (const name of ['vision-accuracy-epoch', 'vision-kl', 'toy-lm-perplexity-cost', 'toy-lm-kl'])
      assert.ok(both.files.includes(join(root, 'both-out', `${name}.svg`)), name);
    assert.match(both.markdown, /left out of the vision accuracy table \(status: interrupted\)/);
    assert.match(both.markdown, /left out of the toy-lm perplexity table \(status: incomplete, running\)/);
  });
});
