// The `lot` command's argument parser, built on commander. Commander reads the
// argv syntax (`--name value`, `--name=value`, `--flag` / `--no-flag`, `-h`, `--`,
// negative numbers as values) and lays out the help; this file converts the values
// to the declared types (lists `0,1,2`, ranges `0-4`), checks choices and bounds,
// reads `--config FILE` (JSON with the same option names; flags on the command line
// win) and the positionals, and turns every mistake into a UsageError whose one
// line says what to do. Commander never prints or exits by itself here: its output
// is silenced and its exits throw (exitOverride), and parsing stops at its
// parseOptions(), before the steps where it would report errors its own way.
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Help, Option } from 'commander';
import { OptionValues, type CommandSpec, type OptionSpec, type OptionValue } from '../harness/options.js';
import { UsageError } from '../harness/errors.js';
import { didYouMean } from './errors.js';

export { OptionValues, type CommandSpec, type OptionSpec, type OptionType, type OptionValue } from '../harness/options.js';

export interface Parsed {
  /** Every option's value (given, or its default), plus `config` when --config was used. */
  values: OptionValues;
  positionals: string[];
  /** -h / --help was given: print formatHelp(spec) and do nothing else (values then hold the defaults). */
  help: boolean;
}

export const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const HELP: OptionSpec = { name: 'help', short: 'h', type: 'boolean', default: false, help: 'show this help and exit' };
const CONFIG: OptionSpec = {
  name: 'config',
  type: 'string',
  placeholder: 'FILE',
  help: 'read options from a JSON file (keys as the flags: "batch-size" or "batchSize"); flags given here win',
};

/** Width the help text is wrapped to. */
const HELP_WIDTH = 100;

/** The spec's options, then --config (when accepted), then -h/--help. */
const presetOptions = new WeakMap<CommandSpec, OptionSpec | null>();

/** `--preset NAME` for a spec with presets (one object per spec: commander's options are matched by identity). */
function presetOption(spec: CommandSpec): OptionSpec | null {
  let o = presetOptions.get(spec);
  if (o === undefined) {
    const names = Object.keys(spec.presets ?? {});
    const lines = names.map((n) => `${n}: ${spec.presets![n]!.help}`).join('; ');
    o = names.length
      ? {
          name: 'preset',
          type: 'string',
          choices: names,
          placeholder: 'NAME',
          defaultText: 'none',
          help: `a named recipe (${lines}); --config and flags win over it`,
        }
      : null;
    presetOptions.set(spec, o);
  }
  return o;
}

function allOptions(spec: CommandSpec): OptionSpec[] {
  const preset = presetOption(spec);
  return [...spec.options, ...(preset ? [preset] : []), ...(spec.configFile ? [CONFIG] : []), HELP];
}

/** How the command is typed, without its arguments: `lot train vision`. */
function commandName(spec: CommandSpec): string {
  const words: string[] = [];
  for (const w of spec.usage.split(' ')) {
    if (!/^[a-z][a-z0-9-]*$/.test(w)) break;
    words.push(w);
  }
  return words.join(' ');
}

function describeType(o: OptionSpec): string {
  switch (o.type) {
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'intList':
      return 'a comma-separated list of integers';
    case 'numberList':
      return 'a comma-separated list of numbers';
    case 'stringList':
      return 'a comma-separated list';
    case 'boolean':
      return 'true or false';
    default:
      return 'a value';
  }
}

const placeholder = (o: OptionSpec): string =>
  o.placeholder ?? (o.type === 'int' || o.type === 'number' ? 'N' : o.type.endsWith('List') ? 'LIST' : 'VALUE');

function needsValue(o: OptionSpec, cmd: string): UsageError {
  return new UsageError(`--${o.name} needs ${describeType(o)}${o.placeholder ? ` (${o.placeholder})` : ''}; see \`${cmd} --help\``);
}

function bounds(o: OptionSpec, x: number, shown: string): void {
  if (o.min !== undefined && (o.minExclusive ? x <= o.min : x < o.min)) {
    throw new UsageError(`--${o.name} must be ${o.minExclusive ? '>' : '>='} ${o.min}, got ${shown}`);
  }
  if (o.max !== undefined && x > o.max) throw new UsageError(`--${o.name} must be <= ${o.max}, got ${shown}`);
}

function parseNumber(o: OptionSpec, text: string, integer: boolean): number {
  const t = text.trim();
  const x = t === '' ? NaN : Number(t);
  if (!Number.isFinite(x)) throw new UsageError(`--${o.name} needs ${integer ? 'an integer' : 'a number'}, got '${text}'`);
  if (integer && !Number.isInteger(x)) throw new UsageError(`--${o.name} needs an integer, got '${text}'`);
  bounds(o, x, t);
  return x;
}

function checkChoice(o: OptionSpec, v: string): string {
  if (o.choices && !o.choices.includes(v)) {
    throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')}; got '${v}'${didYouMean(v, o.choices)}`);
  }
  return v;
}

/** Converts a flag's text (or a config file's JSON value) to the option's type, checking choices and bounds. */
export function convert(o: OptionSpec, raw: unknown): OptionValue {
  switch (o.type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number')
        throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      const v = String(raw);
      if (v === '') throw new UsageError(`--${o.name} needs a value`);
      return checkChoice(o, v);
    }
    case 'number':
    case 'int': {
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw) || (o.type === 'int' && !Number.isInteger(raw)))
          throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${raw}`);
        bounds(o, raw, String(raw));
        return raw;
      }
      if (typeof raw !== 'string') throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      return parseNumber(o, raw, o.type === 'int');
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw new UsageError(`--${o.name} needs true or false, got '${String(raw)}'`);
    }
    case 'numberList':
    case 'intList': {
      const ints = o.type === 'intList';
      const items = Array.isArray(raw)
        ? raw.map(String)
        : typeof raw === 'number'
          ? [String(raw)]
          : typeof raw === 'string'
            ? raw.split(',')
            : null;
      if (!items || items.length === 0) throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      const out: number[] = [];
      for (const item of items) {
        const range = ints ? /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(item) : null;
        if (range) {
          const [a, b] = [Number(range[1]), Number(range[2])];
          if (b < a) throw new UsageError(`--${o.name}: the range '${item}' runs backwards`);
          for (let x = a; x <= b; x++) out.push(parseNumber(o, String(x), true));
        } else out.push(parseNumber(o, item, ints));
      }
      if (new Set(out).size !== out.length) throw new UsageError(`--${o.name} lists a value twice: ${items.join(',')}`);
      return out;
    }
    case 'stringList': {
      const items = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : null;
      if (!items) throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      const out = items.map((s) => s.trim()).filter((s) => s !== '');
      if (out.length === 0) throw new UsageError(`--${o.name} needs at least one value`);
      for (const v of out) checkChoice(o, v);
      if (new Set(out).size !== out.length) throw new UsageError(`--${o.name} lists a value twice: ${out.join(',')}`);
      return out;
    }
  }
}

/** The config file's options, converted, by kebab-case name. */
function readConfigFile(path: string, spec: CommandSpec, cmd: string): Map<string, OptionValue> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? ('code' in e && typeof e.code === 'string' ? e.code : e.message) : String(e);
    throw new UsageError(`cannot read the config file ${path} (${why}); check the path given to --config`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `the config file ${path} is not valid JSON (${e instanceof Error ? e.message : String(e)}); fix it or drop --config`,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`the config file ${path} must hold a JSON object of options, like {"alpha": 0.5, "epochs": 10}`);
  }
  const out = new Map<string, OptionValue>();
  const entries: [string, unknown][] = Object.entries(data);
  for (const [key, raw] of entries) {
    const o = spec.options.find((x) => x.name === key || camel(x.name) === key);
    if (!o) {
      const names = spec.options.map((x) => x.name);
      throw new UsageError(
        `the config file ${path} sets '${key}', which \`${cmd}\` does not know${didYouMean(kebab(key), names)}; see \`${cmd} --help\``,
      );
    }
    try {
      out.set(o.name, convert(o, raw));
    } catch (e) {
      throw e instanceof UsageError ? new UsageError(`${path}: ${e.message}`) : e;
    }
  }
  return out;
}

/** The help row's term: `    --epochs N`, `-h, --help`. */
function optionTerm(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'boolean' ? '' : ` ${placeholder(o)}`}`;
}

/** The help row's text: help, choices, default. */
function optionDescription(o: OptionSpec): string {
  let text = o.help;
  if (o.choices) text += ` (one of: ${o.choices.join(', ')})`;
  const d = o.defaultText ?? (Array.isArray(o.default) ? o.default.join(',') : o.default === undefined ? '' : String(o.default));
  if (d !== '' && o.name !== 'help') text += ` [default: ${d}]`;
  if (o.required) text += ' [required]';
  return text;
}

/**
 * The commander Command for a spec: its options (each boolean also as a hidden
 * --no-NAME), the positionals for help, and the help layout. It never prints and
 * never exits: errors are thrown as CommanderError.
 */
function buildCommand(spec: CommandSpec): { command: Command; attribute: Map<OptionSpec, string> } {
  const command = new Command(commandName(spec))
    .description(spec.summary)
    .helpOption(false)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  const specOf = new Map<Option, OptionSpec>();
  const attribute = new Map<OptionSpec, string>();
  for (const o of allOptions(spec)) {
    const option = new Option(`${o.short ? `-${o.short}, ` : ''}--${o.name}${o.type === 'boolean' ? '' : ' <value>'}`, o.help);
    command.addOption(option);
    specOf.set(option, o);
    attribute.set(o, option.attributeName());
    if (o.type === 'boolean' && o !== HELP) command.addOption(new Option(`--no-${o.name}`).hideHelp());
  }
  const p = spec.positionals;
  if (p) {
    const name = p.name.replace(/\.\.\.$/, '');
    const [open, close] = p.min > 0 ? ['<', '>'] : ['[', ']'];
    command.addArgument(new Argument(`${open}${name}${p.max > 1 ? '...' : ''}${close}`, p.help));
  }
  command.configureHelp({
    helpWidth: HELP_WIDTH,
    commandUsage: () => spec.usage,
    optionTerm: (option) => {
      const o = specOf.get(option);
      return o ? optionTerm(o) : option.flags;
    },
    optionDescription: (option) => {
      const o = specOf.get(option);
      return o ? optionDescription(o) : option.description;
    },
    argumentTerm: (argument) => `${argument.name()}${argument.variadic ? '...' : ''}`,
    // Wraps as commander does, but never between `[default:` and the default.
    boxWrap(this: Help, text: string, width: number): string {
      return Help.prototype.boxWrap.call(this, text.replaceAll('[default: ', '[default:\u0000'), width).replaceAll('\u0000', ' ');
    },
  });
  return { command, attribute };
}

/** The error for an argv word commander did not recognize as an option. */
function unknownOption(word: string, spec: CommandSpec, cmd: string): UsageError {
  const flag = word.split('=')[0] ?? word;
  const name = flag.replace(/^--?/, '');
  const booleans = allOptions(spec).filter((o) => o.type === 'boolean');
  const flagged = booleans.find((o) => name === o.name || name === `no-${o.name}`);
  if (flagged && word.includes('=') && flag.startsWith('--')) {
    return new UsageError(`${flag} takes no value; give --${flagged.name} or --no-${flagged.name}`);
  }
  const flags = [...allOptions(spec).map((o) => `--${o.name}`), ...booleans.filter((o) => o !== HELP).map((o) => `--no-${o.name}`)];
  return new UsageError(`unknown option ${flag} for \`${cmd}\`${didYouMean(flag, flags)}; see \`${cmd} --help\``);
}

/** Parses argv (the words after the command) against the spec. */
export function parseArgs(argv: readonly string[], spec: CommandSpec): Parsed {
  const cmd = commandName(spec);
  const declared = allOptions(spec).filter((o) => o !== HELP);
  const { command, attribute } = buildCommand(spec);
  const attr = (o: OptionSpec): string => {
    const a = attribute.get(o);
    if (a === undefined) throw new Error(`option --${o.name} was not given to commander`);
    return a;
  };
  let operands: string[];
  let unknown: string[];
  try {
    ({ operands, unknown } = command.parseOptions([...argv]));
  } catch (e) {
    // Commander reads the next word as the value of any option that takes one, so it
    // runs out only when that option is the last word.
    if (e instanceof CommanderError && e.code === 'commander.optionMissingArgument') {
      const last = argv.at(-1);
      const o = declared.find((x) => last === `--${x.name}` || (x.short !== undefined && last === `-${x.short}`));
      throw o ? needsValue(o, cmd) : new UsageError(`${e.message.replace(/^error: /, '')}; see \`${cmd} --help\``);
    }
    throw e;
  }
  if (command.getOptionValue(attr(HELP)) === true) return { values: new OptionValues(declared), positionals: operands, help: true };
  const [firstUnknown] = unknown;
  if (firstUnknown !== undefined) throw unknownOption(firstUnknown, spec, cmd);

  /** The option's value as typed on the command line, when it was. */
  const fromCommandLine = (o: OptionSpec): OptionValue => {
    if (command.getOptionValueSource(attr(o)) !== 'cli') return undefined;
    const raw: unknown = command.getOptionValue(attr(o));
    // `--epochs --quiet`: commander takes any next word as the value; a flag there means the value is missing.
    if (typeof raw === 'string' && /^--./.test(raw)) throw needsValue(o, cmd);
    return convert(o, raw);
  };

  const given = new Map<string, OptionValue>();
  const preset = presetOption(spec);
  if (preset) {
    const name = fromCommandLine(preset);
    if (typeof name === 'string') {
      given.set(preset.name, name);
      for (const [key, value] of Object.entries(spec.presets?.[name]?.values ?? {})) {
        if (!spec.options.some((o) => o.name === key)) throw new Error(`preset ${name}: no option --${key} in \`${cmd}\``);
        given.set(key, value);
      }
    }
  }
  if (spec.configFile) {
    const path = fromCommandLine(CONFIG);
    if (typeof path === 'string') {
      given.set(CONFIG.name, path);
      for (const [name, value] of readConfigFile(path, spec, cmd)) given.set(name, value);
    }
  }
  for (const o of spec.options) {
    const v = fromCommandLine(o);
    if (v !== undefined) given.set(o.name, v);
  }
  const values = new OptionValues(declared, given);
  for (const o of spec.options) {
    if (o.required && !values.has(o.name))
      throw new UsageError(`\`${cmd}\` needs --${o.name}${o.placeholder ? ` ${o.placeholder}` : ''}; see \`${cmd} --help\``);
  }

  const p = spec.positionals ?? { name: 'ARGUMENT', help: '', min: 0, max: 0 };
  if (operands.length < p.min) throw new UsageError(`\`${cmd}\` needs ${p.name}; see \`${cmd} --help\``);
  if (operands.length > p.max) {
    throw new UsageError(
      p.max === 0
        ? `\`${cmd}\` takes no argument '${operands[0]}' (options start with --); see \`${cmd} --help\``
        : `\`${cmd}\` takes at most ${p.max} ${p.name}, got ${operands.length}; see \`${cmd} --help\``,
    );
  }
  return { values, positionals: operands, help: false };
}

/** The help text: usage, summary, arguments, every option with its choices and default, then the notes. */
export function formatHelp(spec: CommandSpec): string {
  const { command } = buildCommand(spec);
  const lines = [command.helpInformation().trimEnd()];
  const wrapper = command.createHelp();
  for (const note of spec.notes ?? []) {
    if (note.startsWith(' ')) lines.push(note);
    else lines.push('', wrapper.boxWrap(note, HELP_WIDTH));
  }
  return lines.join('\n');
}
