// The language-model domain through the harness, on a tiny text corpus: LoT trains Transformer-XL
// and LSTM students, the students' KL falls, memories live per (model, stream) in checkpoints, a
// run stopped mid-epoch resumes exactly, the final evaluation tests each model's best
// checkpoint, and the presets and mistakes of `lot train lm`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { parseArgs } from '../src/cli/options.js';
import { trainSpec } from '../src/cli/specs.js';
import { trainRequestFrom } from '../src/cli/train.js';
import { type AnyDomain, type MetricRecord, resolveRuns, RunFolder, type StopSignal, trainRun } from '../src/harness/index.js';
import { klTau } from '../src/lot/index.js';
import { buildReport } from '../src/report/index.js';
import { lmDomain } from '../src/tasks/lm/domain.js';
import { buildLmModel } from '../src/tasks/lm/runtime.js';
import { lot, tempDir } from './cli-helpers.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();
const domain = lmDomain as unknown as AnyDomain;

/** A small corpus with structure to learn: every line repeats a pattern with noise. */
function writeCorpus(dir: string, lines = 900): string {
  const words = 'the of and to in is was for on that with as it by at from they this which be'.split(' ');
  let s = 7;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const text = Array.from({ length: lines }, (_, i) =>
    Array.from({ length: 6 + (i % 7) }, (_, j) =>
      j % 3 === 0 ? words[Math.floor(rand() * words.length)] : words[(i + 5 * j) % words.length],
    ).join(' '),
  ).join('\n');
  const path = join(dir, 'tiny.txt');
  writeFileSync(path, `${text}\n`);
  return path;
}

const TINY = [
  '--d-model',
  '32',
  '--heads',
  '2',
  '--d-head',
  '16',
  '--d-inner',
  '64',
  '--layers',
  '1',
  '--segment',
  '8',
  '--mem-len',
  '8',
  '--batch-size',
  '8',
];

function configs(args: string[]) {
  const p = parseArgs(args, trainSpec(domain));
  return resolveRuns(trainRequestFrom(domain, p), domain.settingsFrom(p.values), 1);
}

const quiet = { log: () => {} };
const withoutTime = (records: MetricRecord[]) => records.map((r) => ({ ...r, seconds: 0 }));

test('Transformer-XL with LoT on a tiny corpus: the KL falls, memories per (model, stream), final test on the best checkpoints, exact resume', async () => {
  const root = tempDir('lm');
  const text = writeCorpus(root);
  const [cfg] = configs(['--dataset', 'text', '--text', text, ...TINY, '--epochs', '2', '--n', '3', '--log-every', '1', '--threads', '1']);
  const a = RunFolder.create(root, 'a', cfg);
  const full = await trainRun(a, domain, quiet);
  assert.equal(full.status, 'complete');
  assert.equal(full.metric.key, 'validPerplexity');
  assert.ok(full.finalMetric! < 100, `valid perplexity ${full.finalMetric}`);
  assert.ok(full.test && typeof full.test.teacher.testPerplexity === 'number' && typeof full.test.students[0]!.testPerplexity === 'number');
  const records = a.readMetrics();
  assert.equal(records.filter((r) => r.type === 'final').length, 1);
  // The student imitates: its KL to the teacher is far below a fresh student's, on inputs of either's.
  const ck0 = torch.load(a.checkpointPath) as Record<string, Record<string, Record<string, Tensor>>>;
  const settings = lmDomain.parseSettings(cfg, 'config');
  const vocab = (ck0.models!.teacher!['word_emb.emb_layers.0.weight'] as Tensor).shape[0]!;
  const [teacher, student, fresh] = [0, 1, 99].map((seed) => buildLmModel('transformer-xl', settings, vocab, seed));
  teacher!.loadStateDict(ck0.models!.teacher!);
  student!.loadStateDict(ck0.models!.student0!);
  torch.dispose(ck0);
  const kl = (m: typeof teacher) =>
    torch.tidy(() =>
      torch.noGrad(() => {
        for (const x of [teacher!, m!]) x.eval();
        const input = torch.randint(0, vocab, [8, 8]);
        return klTau(teacher!.step(input, null).logits, m!.step(input, null).logits, 1.5).item();
      }),
    );
  const [trained, untrained] = [kl(student), kl(fresh)];
  assert.ok(trained < untrained / 3, `KL to the teacher: trained student ${trained}, fresh student ${untrained}`);
  const ck = torch.load(a.checkpointPath) as Record<string, Record<string, unknown>>;
  const states = (ck.extra!.trainer as { states: Record<string, Tensor[]> }).states;
  assert.deepEqual(Object.keys(states).sort(), ['student0/cursor', 'student0/main', 'teacher/cursor', 'teacher/main']);
  assert.equal(states['teacher/main']!.length, 2, 'one memory per stream of the 1-layer model: the embedding and the layer');
  assert.deepEqual(states['teacher/main']![0]!.shape, [8, 8, 32]);
  torch.dispose(ck);

  // Stopped mid-epoch 2 with memories in flight, resumed: the same run, final test included.
  const b = RunFolder.create(root, 'b', cfg);
  let reads = 0;
  const signal = {
    get stop() {
      return ++reads > full.teacherSteps / 2 + 3;
    },
    set stop(_v) {},
  } as StopSignal;
  assert.equal((await trainRun(b, domain, { ...quiet, signal })).status, 'interrupted');
  const resumed = await trainRun(b, domain, quiet);
  assert.deepEqual(resumed.final, full.final);
  assert.deepEqual(resumed.test, full.test);
  assert.deepEqual(withoutTime(b.readMetrics()), withoutTime(a.readMetrics()));
});

test('an LSTM teacher with an LSTM student, SGD and the plateau rule, and teacher-only; the report has their test perplexity', async () => {
  const root = tempDir('lm-lstm');
  const text = writeCorpus(root, 300);
  const runs = configs([
    '--dataset',
    'text',
    '--text',
    text,
    '--teacher',
    'lstm',
    '--d-model',
    '24',
    '--layers',
    '2',
    '--segment',
    '8',
    '--batch-size',
    '8',
    '--optimizer',
    'sgd',
    '--lr',
    '5',
    '--clip',
    '0.25',
    '--schedule',
    'cosine-epoch',
    '--student-schedule',
    'plateau',
    '--epochs',
    '2',
    '--methods',
    'lot,teacher-only',
    '--threads',
    '1',
  ]);
  const tests: number[] = [];
  for (const cfg of runs) {
    const s = await trainRun(RunFolder.create(root, cfg.method, cfg), domain, quiet);
    assert.equal(s.status, 'complete');
    assert.ok(Number.isFinite(s.finalMetric!));
    assert.equal(s.test!.students.length, cfg.method === 'lot' ? 1 : 0);
    tests.push(s.test!.teacher.testPerplexity!);
  }
  const { markdown } = await buildReport([root], join(root, 'report'), { png: false });
  assert.match(markdown, /Valid perplexity of the teacher \(lower is better\)/);
  const row = markdown.split('\n').find((l) => l.includes('| test (best checkpoint) |'));
  assert.ok(row, markdown);
  // teacher-only, equal compute (not run), LoT, LoT − teacher-only: one seed each, so no ± spread.
  const cells = row.split('|').map((c) => c.trim());
  const [lotTest, only] = tests.map((t) => `${t.toPrecision(3)} (n=1)`); // LoT runs first
  assert.deepEqual([cells[6], cells[8]], [only, lotTest], row);
});

test('lot train lm: presets, and one-line mistakes', () => {
  const preset = lot(['train', 'lm', '--preset', 'ptb-txl', '--dry-run']);
  assert.equal(preset.code, 0, preset.stderr);
  const [c] = JSON.parse(preset.stdout);
  assert.deepEqual(
    [c.dataset, c.layers, c.dModel, c.heads, c.dHead, c.dInner, c.dropout, c.segment, c.memLen, c.batchSize, c.clip],
    ['ptb', 4, 200, 8, 20, 1000, 0.25, 70, 70, 60, 0.35],
  );
  assert.deepEqual([c.alpha, c.n, c.tau, c.epochs, c.optimizer, c.lr, c.schedule], [0.5, 5, 1.5, 10, 'adam', 1e-3, 'cosine-step']);
  const lstm = JSON.parse(lot(['train', 'lm', '--preset', 'ptb-lstm', '--epochs', '3', '--dry-run']).stdout)[0];
  assert.deepEqual(
    [lstm.teacher, lstm.dModel, lstm.lr, lstm.momentum, lstm.clip, lstm.studentSchedule, lstm.epochs, lstm.alpha],
    ['lstm', 650, 30, 0.3, 0.2, 'plateau', 3, 1],
  );
  for (const [args, pattern] of [
    [['--dataset', 'text'], /--dataset text needs --text FILE/],
    [['--dataset', 'nope'], /--dataset must be one of/],
    [['--dataset', 'text', '--text', '/nonexistent.txt', '--no-download'], /nonexistent\.txt/],
    [['--preset', 'ptb'], /--preset must be one of ptb-txl, wt103-txl, ptb-lstm, wt103-lstm; got 'ptb'/],
  ] as [string[], RegExp][]) {
    const r = lot(['train', 'lm', ...args, '--threads', '1', '--quiet', '--runs-dir', tempDir('lm-bad')]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
