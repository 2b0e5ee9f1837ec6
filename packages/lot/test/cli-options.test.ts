// The `lot` command's option parser (commander underneath) and the typed reader of
// its values: argv syntax, conversions and checks, --config files, positionals,
// help text, one-line UsageErrors, and commander never printing or exiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../src/harness/index.js';
import { parseArgs, formatHelp } from '../src/cli/options.js';
import { IMITABILITY, RESUME, REPORT, DEMO, trainSpec } from '../src/cli/specs.js';
import { visionDomain } from '../src/tasks/vision/domain.js';

const TRAIN_VISION = trainSpec(visionDomain);
import { OptionValues, type CommandSpec, type OptionSpec, type OptionValue } from '../src/harness/options.js';
import { tempDir } from './cli-helpers.js';

/** The UsageError parseArgs throws for argv (fails the test when it throws none or another error). */
function usageError(argv: string[], spec: CommandSpec = TRAIN_VISION): string {
  try {
    parseArgs(argv, spec);
  } catch (e) {
    assert.ok(e instanceof UsageError, `${argv.join(' ')}: expected a UsageError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e.message;
  }
  assert.fail(`${argv.join(' ')}: parsed without error`);
}

test('flags in both forms, lists, ranges, negated booleans', () => {
  const v = parseArgs(
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
  ).values;
  assert.equal(v.number('alpha'), 0.25);
  assert.equal(v.number('n'), 3);
  assert.deepEqual(v.intList('seeds'), [0, 1, 2, 7]);
  assert.equal(v.boolean('augment'), false);
  assert.deepEqual(v.stringList('student'), ['preresnet56']);
  assert.deepEqual(v.stringList('baseline'), ['equal-compute']);
  assert.deepEqual(v.stringList('methods'), ['lot', 'teacher-only']);
  // untouched options keep their defaults and are not explicit
  assert.equal(v.number('epochs'), 10);
  assert.equal(v.boolean('detach'), true);
  assert.equal(v.isExplicit('alpha'), true);
  assert.equal(v.isExplicit('augment'), true);
  assert.equal(v.isExplicit('epochs'), false);
  assert.equal(v.isExplicit('detach'), false);
  // the last of a repeated flag wins; --flag after --no-flag turns it back on
  const w = parseArgs(['--epochs', '3', '--epochs=4', '--no-augment', '--augment'], TRAIN_VISION).values;
  assert.equal(w.number('epochs'), 4);
  assert.equal(w.boolean('augment'), true);
});

test('negative numbers are values, `--` ends the options, options go before or after positionals', () => {
  assert.match(usageError(['--alpha', '-1']), /--alpha must be >= 0, got -1/);
  const p = parseArgs(['runs/a', '--out', 'o', '--', '--odd-name', '-5'], REPORT);
  assert.deepEqual(p.positionals, ['runs/a', '--odd-name', '-5']);
  assert.equal(p.values.string('out'), 'o');
  const r = parseArgs(['--quiet', 'runs/x/lot-seed0', '--threads=3'], RESUME);
  assert.deepEqual(r.positionals, ['runs/x/lot-seed0']);
  assert.equal(r.values.boolean('quiet'), true);
  assert.equal(r.values.number('threads'), 3);
});

test('--config FILE supplies options and flags win', () => {
  const dir = tempDir('config');
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ alpha: 1, 'batch-size': 32, epochs: 3, seeds: [4, 5] }));
  const v = parseArgs(['--config', file, '--epochs', '7'], TRAIN_VISION).values;
  assert.equal(v.number('alpha'), 1);
  assert.equal(v.number('batch-size'), 32);
  assert.equal(v.number('epochs'), 7);
  assert.deepEqual(v.intList('seeds'), [4, 5]);
  assert.equal(v.isExplicit('alpha'), true, 'set in the config file');
  assert.equal(v.isExplicit('tau'), false);
  assert.equal(v.string('config'), file);
  writeFileSync(file, JSON.stringify({ alhpa: 1 }));
  assert.throws(() => parseArgs(['--config', file], TRAIN_VISION), /sets 'alhpa'.*did you mean alpha/);
  writeFileSync(file, JSON.stringify({ alpha: -2 }));
  assert.throws(() => parseArgs(['--config', file], TRAIN_VISION), /--alpha must be >= 0/);
});

test('--config: camelCase keys, JSON types, and clear errors for a bad file', () => {
  const dir = tempDir('config2');
  const file = join(dir, 'c.json');
  writeFileSync(
    file,
    JSON.stringify({ batchSize: 16, augment: false, methods: ['lot', 'equal-compute'], seeds: '0-2', dataset: 'cifar10' }),
  );
  const v = parseArgs(['--config', file], TRAIN_VISION).values;
  assert.equal(v.number('batch-size'), 16);
  assert.equal(v.boolean('augment'), false);
  assert.deepEqual(v.stringList('methods'), ['lot', 'equal-compute']);
  assert.deepEqual(v.intList('seeds'), [0, 1, 2]);
  assert.equal(v.choice('dataset', ['fashion-mnist', 'cifar10', 'cifar100'] as const), 'cifar10');
  writeFileSync(file, JSON.stringify({ epochs: 'many' }));
  assert.match(
    usageError(['--config', file]),
    new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: --epochs needs an integer, got 'many'`),
  );
  writeFileSync(file, '{"alpha": 0.5,');
  assert.match(usageError(['--config', file]), /the config file .* is not valid JSON .*fix it or drop --config/);
  writeFileSync(file, '[1, 2]');
  assert.match(usageError(['--config', file]), /must hold a JSON object of options/);
  assert.match(
    usageError(['--config', join(dir, 'missing.json')]),
    /cannot read the config file .*ENOENT.*check the path given to --config/,
  );
  assert.match(usageError(['--config']), /--config needs a value \(FILE\)/);
  assert.match(usageError(['--config', file], DEMO), /unknown option --config for `lot demo`/);
});

test('mistakes are one-line UsageErrors saying what to do', () => {
  const cases: [string[], RegExp, CommandSpec?][] = [
    [['--alpha', '-0.5'], /--alpha must be >= 0, got -0\.5/],
    [['--momentum', '1.5'], /--momentum must be <= 1, got 1\.5/],
    [['--tau', '0'], /--tau must be > 0, got 0/],
    [['--n', '1.5'], /--n needs an integer, got '1\.5'/],
    [['--alpha', 'lots'], /--alpha needs a number, got 'lots'/],
    [
      ['--dataset', 'fashion_mnist'],
      /--dataset must be one of fashion-mnist, cifar10, cifar100; got 'fashion_mnist' \(did you mean fashion-mnist\?\)/,
    ],
    [['--methods', 'lot,distill'], /--methods must be one of lot, teacher-only, equal-compute; got 'distill'/],
    [['--seeds', '1,1'], /--seeds lists a value twice: 1,1/],
    [['--seeds', '3-1'], /--seeds: the range '3-1' runs backwards/],
    [['--seeds', '0,-1'], /--seeds must be >= 0, got -1/],
    [['--seeds', '0,x'], /--seeds needs an integer, got 'x'/],
    [['--data-dir='], /--data-dir needs a value/],
    [['--epochs'], /^--epochs needs an integer; see `lot train vision --help`$/],
    [['--epochs', '--quiet'], /^--epochs needs an integer; see `lot train vision --help`$/],
    [['--seeds', '--dry-run'], /^--seeds needs a comma-separated list of integers \(LIST\)/],
    [['--epoch', '3'], /^unknown option --epoch for `lot train vision` \(did you mean --epochs\?\); see `lot train vision --help`$/],
    [['--lerning-rate=0.1'], /^unknown option --lerning-rate for `lot train vision`; see `lot train vision --help`$/],
    [['--no-augmnet'], /unknown option --no-augmnet .*did you mean --no-augment\?/],
    [['--no-epochs'], /unknown option --no-epochs/],
    [['-x'], /unknown option -x for `lot train vision`/],
    [['--augment=false'], /^--augment takes no value; give --augment or --no-augment$/],
    [['--no-augment=1'], /^--no-augment takes no value; give --augment or --no-augment$/],
    [['extra'], /^`lot train vision` takes no argument 'extra' \(options start with --\); see `lot train vision --help`$/],
    [[], /^`lot resume` needs RUN; see `lot resume --help`$/, RESUME],
    [['a', 'b'], /^`lot resume` takes at most 1 RUN, got 2; see `lot resume --help`$/, RESUME],
    [['--out', 'o'], /^`lot report` needs RUN\.\.\.; see `lot report --help`$/, REPORT],
  ];
  for (const [argv, pattern, spec] of cases) assert.match(usageError(argv, spec), pattern, argv.join(' '));
});

test('a required option without a value is a UsageError', () => {
  const spec: CommandSpec = {
    usage: 'lot x [options]',
    summary: 'x',
    options: [{ name: 'name', type: 'string', required: true, placeholder: 'NAME', help: 'a name' }],
  };
  assert.match(usageError([], spec), /^`lot x` needs --name NAME; see `lot x --help`$/);
  assert.equal(parseArgs(['--name', 'a'], spec).values.string('name'), 'a');
  assert.match(formatHelp(spec), /--name NAME +a name \[required\]/);
});

test('-h / --help wins over everything else on the line, even mistakes', () => {
  for (const argv of [['--help'], ['-h'], ['--alpha', 'lots', '--help'], ['extra', '-h'], ['--help', '--bogus']]) {
    const p = parseArgs(argv, TRAIN_VISION);
    assert.equal(p.help, true, argv.join(' '));
    assert.equal(p.values.number('alpha'), 0.5, 'values hold the defaults');
  }
  assert.equal(parseArgs([], TRAIN_VISION).help, false);
});

test('commander never prints or exits', () => {
  const writes: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array): boolean => {
    writes.push(String(chunk));
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    for (const argv of [['--help'], ['--bogus'], ['--epochs'], ['--alpha', 'x'], ['extra'], ['--augment=1']]) {
      try {
        parseArgs(argv, TRAIN_VISION);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
      }
    }
    formatHelp(TRAIN_VISION);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  assert.deepEqual(writes, []);
});

test('every help lists every option with its default', () => {
  for (const spec of [TRAIN_VISION, IMITABILITY, RESUME, REPORT, DEMO]) {
    const help = formatHelp(spec);
    for (const o of spec.options) {
      assert.ok(help.includes(`--${o.name}`), `${spec.usage}: --${o.name} missing from help`);
      if (o.default !== undefined || o.defaultText !== undefined) {
        const start = help.search(new RegExp(`^ {2}(?:-\\w, | {4})--${o.name}(?= |$)`, 'm'));
        assert.ok(start >= 0, `${spec.usage}: no row for --${o.name}`);
        const line = help.slice(start).split(/\n {2}(?:-\w, | {4})--/)[0]!;
        assert.match(line.replace(/\s+/g, ' '), /\[default: [^\]]+\]/, `${spec.usage}: --${o.name} shows no default`);
      }
    }
  }
});

test('help: usage, summary, arguments, placeholders, choices, defaults, notes; wrapped to 100 columns', () => {
  const help = formatHelp(TRAIN_VISION);
  const lines = help.split('\n');
  assert.equal(lines[0], 'Usage: lot train vision [options]');
  assert.match(help, /\nTrain a teacher with LoT/);
  assert.match(help, /\nOptions:\n/);
  assert.match(help, /^ {6}--alpha N +α, weight of the imitability regularizer \[default: 0\.5\]$/m);
  assert.match(help, /^ {6}--seeds LIST +seeds, e\.g\. 0,1,2 or 0-4; one run per seed and method \[default: 0\]$/m);
  assert.match(help, /^ {6}--student MODEL\[,MODEL\.\.\.\] +student model/m);
  assert.match(help.replace(/\s+/g, ' '), /--dataset NAME dataset \(one of: fashion-mnist, cifar10, cifar100\) \[default: fashion-mnist\]/);
  assert.match(help, /^ {6}--config FILE +read options from a JSON file/m);
  assert.match(help, /^ {2}-h, --help +show this help and exit$/m);
  assert.doesNotMatch(help, /^ +--no-/m, 'the --no- forms are not rows of their own');
  assert.doesNotMatch(help, /\[default:$/m, '`[default:` is never separated from its value');
  assert.match(help, /\nExamples:\n {2}lot train vision --dataset fashion-mnist /);
  assert.match(help, /\n\nEach run writes <runs-dir>\/<group>\/<method>-seed<k>\//);
  for (const line of lines) {
    if (!line.startsWith('  lot ')) assert.ok(line.length <= 100, `too long: ${line}`);
  }
  const resume = formatHelp(RESUME);
  assert.match(resume, /^Usage: lot resume RUN \[options\]$/m);
  assert.match(resume, /\nArguments:\n {2}RUN +the run folder/);
  assert.match(formatHelp(REPORT), /\nArguments:\n {2}RUN\.\.\. +run folders/);
  assert.doesNotMatch(formatHelp(DEMO), /--config/);
});

// OptionValues: the typed reader.

const SPECS: OptionSpec[] = [
  { name: 'name', type: 'string', default: 'a', choices: ['a', 'b'], help: '' },
  { name: 'dir', type: 'string', help: '' },
  { name: 'rate', type: 'number', default: 0.5, help: '' },
  { name: 'count', type: 'int', help: '' },
  { name: 'on', type: 'boolean', default: true, help: '' },
  { name: 'seeds', type: 'intList', default: [0], help: '' },
  { name: 'tags', type: 'stringList', help: '' },
];

test('OptionValues: typed reads of given values and defaults', () => {
  const v = new OptionValues(
    SPECS,
    new Map<string, OptionValue>([
      ['rate', 2],
      ['tags', ['x', 'y']],
      ['on', false],
    ]),
  );
  assert.equal(v.string('name'), 'a');
  assert.equal(v.choice('name', ['a', 'b'] as const), 'a');
  assert.equal(v.optionalString('dir'), undefined);
  assert.equal(v.number('rate'), 2);
  assert.equal(v.optionalNumber('count'), undefined);
  assert.equal(v.boolean('on'), false);
  assert.deepEqual(v.intList('seeds'), [0]);
  assert.deepEqual(v.stringList('tags'), ['x', 'y']);
  assert.deepEqual(v.optionalStringList('tags'), ['x', 'y']);
  assert.deepEqual(v.choiceList('tags', ['x', 'y', 'z'] as const), ['x', 'y']);
  assert.equal(v.has('rate'), true);
  assert.equal(v.has('dir'), false);
  assert.equal(v.isExplicit('rate'), true);
  assert.equal(v.isExplicit('name'), false);
  // reads are copies: changing one does not change the values
  v.intList('seeds').push(9);
  assert.deepEqual(v.intList('seeds'), [0]);
  // plain entries work as well as a Map
  assert.equal(new OptionValues(SPECS, Object.entries({ count: 3 })).number('count'), 3);
});

test('OptionValues: a wrong read is a programming error (plain Error naming the option)', () => {
  const v = new OptionValues(SPECS);
  const programming = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof Error && !(e instanceof UsageError) && pattern.test(e.message));
  programming(
    () => v.number('name'),
    /--name is of type string: read it with string\(\), optionalString\(\) or choice\(\), not number\(\)/,
  );
  programming(() => v.string('rate'), /--rate is of type number/);
  programming(() => v.boolean('seeds'), /--seeds is of type intList/);
  programming(() => v.intList('tags'), /--tags is of type stringList/);
  programming(() => v.stringList('seeds'), /--seeds is of type intList/);
  programming(() => v.string('dir'), /--dir has no value .*optionalString\(\)/);
  programming(() => v.number('count'), /--count has no value .*optionalNumber\(\)/);
  programming(() => v.stringList('tags'), /--tags has no value/);
  programming(() => v.string('nmae'), /--nmae is not declared \(declared: name, dir, rate/);
  programming(() => v.has('nmae'), /--nmae is not declared/);
  programming(() => v.isExplicit('nmae'), /--nmae is not declared/);
  programming(() => v.choice('name', ['b'] as const), /--name holds 'a', which is not one of b/);
  programming(() => new OptionValues(SPECS, [['bogus', 1]]), /--bogus, which is not declared/);
  programming(() => new OptionValues(SPECS, [['count', 1.5]]), /--count: the value 1\.5 is not of its type int/);
  programming(() => new OptionValues(SPECS, [['tags', [1]]]), /--tags: the value \[1\] is not of its type stringList/);
  programming(() => new OptionValues(SPECS, [['rate', undefined]]), /--rate: the value undefined/);
  programming(() => new OptionValues([...SPECS, { name: 'rate', type: 'number', help: '' }]), /--rate is declared twice/);
  programming(() => new OptionValues([{ name: 'n', type: 'int', default: '3', help: '' }]), /--n: its default "3" is not of its type int/);
});

test('--preset: a named set of values under --config and the flags', () => {
  const spec: CommandSpec = {
    usage: 'lot x [options]',
    summary: 'x',
    configFile: true,
    presets: { small: { help: 'a small recipe', values: { epochs: 3, lr: 0.5 } }, big: { help: 'a big one', values: { epochs: 90 } } },
    options: [
      { name: 'epochs', type: 'int', default: 10, help: 'epochs' },
      { name: 'lr', type: 'number', default: 1, help: 'learning rate' },
    ],
  };
  const v = parseArgs(['--preset', 'small'], spec).values;
  assert.equal(v.number('epochs'), 3);
  assert.equal(v.number('lr'), 0.5);
  assert.equal(parseArgs(['--preset', 'small', '--epochs', '4'], spec).values.number('epochs'), 4, 'flags win');
  assert.equal(parseArgs([], spec).values.number('epochs'), 10);
  const file = join(tempDir('preset'), 'c.json');
  writeFileSync(file, JSON.stringify({ lr: 0.25 }));
  assert.equal(parseArgs(['--preset', 'small', '--config', file], spec).values.number('lr'), 0.25, 'the config file wins');
  assert.match(usageError(['--preset', 'smal'], spec), /--preset must be one of small, big.*did you mean small/);
  assert.match(formatHelp(spec), /--preset NAME +a named recipe \(small: a small recipe; big: a big one\)/);
});
