// The `lot` command's options as the commands read them, help and error policy:
// every mistake is one line on stderr saying what to do, exit code 2, never a
// stack trace. (The parser itself: cli-options.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { parseArgs } from '../src/cli/options.js';
import { trainSpec } from '../src/cli/specs.js';
import { trainRequestFrom } from '../src/cli/train.js';
import { resolveRuns } from '../src/harness/index.js';
import { analyticCostRatio } from '../src/lot/index.js';
import { visionDomain } from '../src/tasks/vision/domain.js';
import type { Parsed } from '../src/cli/options.js';

const TRAIN_VISION = trainSpec(visionDomain);
/** What `lot train vision` resolves from the parsed flags: the harness's request and the domain's settings. */
const trainOptionsFrom = (p: Parsed) => ({ ...visionDomain.settingsFrom(p.values), ...trainRequestFrom(visionDomain, p) });
const costRatio = analyticCostRatio;
import { lot, tempDir } from './cli-helpers.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
  });
  return { code, out, err };
}

test('defaults are the reference recipe of docs/METHOD.md#vision-recipe', () => {
  const p = parseArgs([], TRAIN_VISION);
  const o = trainOptionsFrom(p);
  assert.equal(o.dataset, 'fashion-mnist');
  assert.equal(o.teacher, 'preresnet20');
  assert.deepEqual(o.students, ['preresnet20']);
  assert.equal(o.alpha, 0.5);
  assert.equal(o.n, 2);
  assert.equal(o.tau, 1.5);
  assert.equal(o.variant, 'kl_ce');
  assert.equal(o.detach, true);
  assert.equal(o.lr, 1.0);
  assert.equal(o.momentum, 0.9);
  assert.equal(o.nesterov, true);
  assert.equal(o.weightDecay, 1e-4);
  assert.equal(o.schedule, 'cosine');
  assert.equal(o.batchSize, 256);
  assert.equal(o.augment, true);
  assert.deepEqual(o.seeds, [0]);
  assert.deepEqual(o.methods, ['lot']);
  assert.equal(o.maxSteps, null);
  assert.equal(o.device, 'cpu');
});

test('flags in both forms, lists, ranges, negated booleans and --baseline', () => {
  const p = parseArgs(
    [
      '--alpha=0.25',
      '--n',
      '3',
      '--seeds',
      '0-2,7',
      '--no-augment',
      '--student',
      'preresnet56',
      '--baseline',
      'equal-compute',
      '--methods',
      'lot,teacher-only',
    ],
    TRAIN_VISION,
  );
  const o = trainOptionsFrom(p);
  assert.equal(o.alpha, 0.25);
  assert.equal(o.n, 3);
  assert.deepEqual(o.seeds, [0, 1, 2, 7]);
  assert.equal(o.augment, false);
  assert.deepEqual(o.students, ['preresnet56']);
  assert.deepEqual(new Set(o.methods), new Set(['lot', 'teacher-only', 'equal-compute']));
  const configs = resolveRuns(trainRequestFrom(visionDomain, p), visionDomain.settingsFrom(p.values), costRatio(3, [3]));
  assert.equal(configs.length, 12);
  const ec = configs.find((c) => c.method === 'equal-compute')!;
  assert.equal(ec.alpha, 0);
  assert.deepEqual(ec.students, []);
  // docs/METHOD.md#cost-model: LoT costs 3 + 3r + (N−1)(1 + 3r) per teacher step against teacher-only's 3.
  assert.equal(costRatio(2, [1]), 10 / 3);
  assert.equal(ec.epochs, Math.round(10 * costRatio(3, [3])));
  assert.equal(configs.find((c) => c.method === 'teacher-only')!.epochs, 10);
});

test('help and version print and exit 0', async () => {
  for (const argv of [
    ['--help'],
    [],
    ['train', 'vision', '--help'],
    ['resume', '-h'],
    ['imitability', '--help'],
    ['report', '--help'],
    ['demo', '--help'],
    ['help', 'report'],
  ]) {
    const r = await run(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.out, /Usage: lot/);
    assert.equal(r.err, '');
  }
  const train = await run(['train', 'vision', '--help']);
  assert.match(train.out, /--alpha N +α.*\[default: 0\.5\]/);
  assert.match(train.out, /--tau N[^\n]*\[default: 1\.5\]/);
});

test('mistakes give one line saying what to do and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['train', 'vision', '--alpha', '-0.5'], /--alpha must be >= 0, got -0\.5/],
    [['train', 'vision', '--n', '0'], /--n must be >= 1, got 0/],
    [['train', 'vision', '--n', '1.5'], /--n needs an integer, got '1\.5'/],
    [['train', 'vision', '--tau', '0'], /--tau must be > 0/],
    [['train', 'vision', '--alpha', 'lots'], /--alpha needs a number, got 'lots'/],
    [['train', 'vision', '--teacher', 'resnet9000'], /--teacher must be one of .*preresnet20/],
    [['train', 'vision', '--dataset', 'fashion_mnist'], /--dataset must be one of .*did you mean fashion-mnist/],
    [['train', 'vision', '--epochs'], /--epochs needs an integer/],
    [['train', 'vision', '--lerning-rate', '0.1'], /unknown option --lerning-rate .*lot train vision --help/],
    [['train', 'vision', '--seeds', '1,1'], /lists a value twice/],
    [['train', 'vision', '--methods', 'lot,distill'], /--methods must be one of/],
    [['train', 'vision', 'extra'], /takes no argument 'extra'/],
    [['train', 'vision', '--subset', '10', '--batch-size', '64'], /--batch-size 64 is larger than --subset 10/],
    [['train', 'text'], /unknown domain 'text'/],
    [['train', 'vision', '--device', 'gpu'], /--device gpu: expected cpu, cuda \(one GPU per process\) or cuda:N/],
    [['train', 'vision', '--max-steps', '0'], /--max-steps must be >= 1, got 0/],
    [['trian'], /unknown command 'trian' \(did you mean train\?\)/],
    [['resume'], /needs RUN/],
    [['resume', '/nonexistent/run'], /no run folder at \/nonexistent\/run/],
    [['report', '/nonexistent/runs'], /no such folder/],
    [['train', 'vision', '--config', '/nonexistent.json'], /cannot read the config file/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, `${argv.join(' ')}: expected one line, got:\n${r.err}`);
    assert.match(lines[0]!, /^lot: /);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('missing data is one line with exit code 2', async () => {
  const empty = tempDir('nodata');
  const r = await run([
    'train',
    'vision',
    '--data-dir',
    empty,
    '--no-download',
    '--teacher',
    'smallcnn',
    '--runs-dir',
    join(empty, 'runs'),
  ]);
  assert.equal(r.code, 2, r.err);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0]!, /^lot: cannot load fashion-mnist: .*(--data-dir|download)/);
});

test("--dry-run prints the resolved configs; equal compute scales by the students' relative cost", () => {
  const r = lot([
    'train',
    'vision',
    '--teacher',
    'smallcnn',
    '--student',
    'preresnet20',
    '--epochs',
    '3',
    '--seeds',
    '0,1',
    '--methods',
    'lot,equal-compute',
    '--dry-run',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const configs = JSON.parse(r.stdout);
  assert.deepEqual(
    configs.map((c: { method: string; seed: number }) => `${c.method}/${c.seed}`),
    ['lot/0', 'equal-compute/0', 'lot/1', 'equal-compute/1'],
  );
  const ec = configs[1];
  assert.ok(ec.costRatio > 10 / 3, `a bigger student costs more: ratio ${ec.costRatio}`);
  assert.equal(ec.epochs, Math.round(3 * ec.costRatio));
  assert.deepEqual(configs[0].students, ['preresnet20']);
});

test('the installed command: exit codes and no stack traces', () => {
  const help = lot(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /train vision/);
  const bad = lot(['train', 'vision', '--alpha', '-1']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, 'lot: --alpha must be >= 0, got -1\n');
  const unknown = lot(['imitability', '--teacher', 'vgg']);
  assert.equal(unknown.code, 2);
  assert.doesNotMatch(unknown.stderr, /\n\s+at /);
});
