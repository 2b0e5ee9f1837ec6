// A small typed argv parser for the `lot` command: `--name value`, `--name=value`,
// `--flag` / `--no-flag` for booleans, `--config FILE` (JSON with the same option
// names; flags on the command line win), and help text listing every option with
// its default. Every mistake becomes a UsageError with one line saying what to do.
import { readFileSync } from 'node:fs';
import { UsageError, didYouMean } from './errors.js';

export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'intList' | 'stringList';
export type OptionValue = string | number | boolean | number[] | string[] | undefined;

export interface OptionSpec {
  /** The flag without dashes, kebab-case: `batch-size`. */
  name: string;
  type: OptionType;
  /** The default (undefined: none; the option is optional unless `required`). */
  default?: OptionValue;
  /** How the default is shown in help when it is not the literal value. */
  defaultText?: string;
  help: string;
  /** Allowed values (for string and stringList options). */
  choices?: readonly string[];
  /** Bounds for numbers (and each element of number lists). */
  min?: number;
  max?: number;
  /** When true the bound excludes min (value must be > min). */
  minExclusive?: boolean;
  required?: boolean;
  /** Shown after the flag in help: `--epochs N`. */
  placeholder?: string;
  /** A one-letter alias: `-h`. */
  short?: string;
}

export interface CommandSpec {
  /** How the command is typed: `lot train vision`. */
  usage: string;
  summary: string;
  /** Positional arguments, for help and arity checks. */
  positionals?: { name: string; help: string; min: number; max: number };
  options: OptionSpec[];
  /** Extra paragraphs appended to help. */
  notes?: string[];
  /** When true, --config FILE is accepted. */
  configFile?: boolean;
}

export interface Parsed {
  values: Record<string, OptionValue>;
  /** Options the user set explicitly (flags or config file), by camelCase key. */
  explicit: Set<string>;
  positionals: string[];
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

function allOptions(spec: CommandSpec): OptionSpec[] {
  return [...spec.options, ...(spec.configFile ? [CONFIG] : []), HELP];
}

function describeType(o: OptionSpec): string {
  switch (o.type) {
    case 'int': return 'an integer';
    case 'number': return 'a number';
    case 'intList': return 'a comma-separated list of integers';
    case 'stringList': return 'a comma-separated list';
    case 'boolean': return 'true or false';
    default: return 'a value';
  }
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

/** Converts a flag's text (or a config file's JSON value) to the option's type. */
export function convert(o: OptionSpec, raw: unknown): OptionValue {
  switch (o.type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      const v = String(raw);
      if (v === '') throw new UsageError(`--${o.name} needs a value`);
      return checkChoice(o, v);
    }
    case 'number':
    case 'int': {
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw) || (o.type === 'int' && !Number.isInteger(raw))) throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${raw}`);
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
    case 'intList': {
      const items = Array.isArray(raw) ? raw.map(String) : typeof raw === 'number' ? [String(raw)] : typeof raw === 'string' ? raw.split(',') : null;
      if (!items || items.length === 0) throw new UsageError(`--${o.name} needs ${describeType(o)}, got ${JSON.stringify(raw)}`);
      const out: number[] = [];
      for (const item of items) {
        const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(item);
        if (range) {
          const [a, b] = [Number(range[1]), Number(range[2])];
          if (b < a) throw new UsageError(`--${o.name}: the range '${item}' runs backwards`);
          for (let x = a; x <= b; x++) out.push(parseNumber(o, String(x), true));
        } else out.push(parseNumber(o, item, true));
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

function readConfigFile(path: string, spec: CommandSpec, cmd: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the config file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path given to --config`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`the config file ${path} is not valid JSON (${(e as Error).message}); fix it or drop --config`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`the config file ${path} must hold a JSON object of options, like {"alpha": 0.5, "epochs": 10}`);
  }
  const byKey = new Map(spec.options.map((o) => [camel(o.name), o] as const));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const key = camel(k);
    if (!byKey.has(key)) {
      const names = spec.options.map((o) => o.name);
      throw new UsageError(`the config file ${path} sets '${k}', which \`${cmd}\` does not know${didYouMean(kebab(key), names)}; see \`${cmd} --help\``);
    }
    out[key] = v;
  }
  return out;
}

/** Parses argv (the words after the command) against the spec. */
export function parseArgs(argv: readonly string[], spec: CommandSpec): Parsed {
  const cmd = spec.usage.split(' [')[0]!.split(' <')[0]!.split(' RUN')[0]!;
  const options = allOptions(spec);
  const byName = new Map<string, OptionSpec>();
  for (const o of options) {
    byName.set(o.name, o);
    if (o.short) byName.set(o.short, o);
  }
  const fromFlags = new Map<string, unknown>();
  const positionals: string[] = [];
  let help = false;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    let negated = false;
    if (!byName.has(name) && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const o = byName.get(name);
    if (!o || (word.startsWith('--') ? false : name.length !== 1)) {
      const names = options.map((x) => x.name);
      throw new UsageError(`unknown option ${word.split('=')[0]} for \`${cmd}\`${didYouMean(name, names)}; see \`${cmd} --help\``);
    }
    if (o.name === 'help') {
      help = true;
      continue;
    }
    let raw: unknown;
    if (o.type === 'boolean') {
      if (negated && inline !== undefined) throw new UsageError(`--no-${o.name} takes no value`);
      raw = negated ? false : inline ?? true;
    } else {
      if (inline === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new UsageError(`--${o.name} needs ${describeType(o)}${o.placeholder ? ` (${o.placeholder})` : ''}; see \`${cmd} --help\``);
        }
        inline = next;
        i++;
      }
      raw = inline;
    }
    if (o.name === 'config') configPath = String(raw);
    else fromFlags.set(camel(o.name), raw);
  }
  if (help) return { values: {}, explicit: new Set(), positionals, help };

  const values: Record<string, OptionValue> = {};
  const explicit = new Set<string>();
  for (const o of spec.options) values[camel(o.name)] = o.default;
  if (configPath !== undefined) {
    values.config = configPath;
    const fileValues = readConfigFile(configPath, spec, cmd);
    for (const [key, raw] of Object.entries(fileValues)) {
      const o = spec.options.find((x) => camel(x.name) === key)!;
      try {
        values[key] = convert(o, raw);
      } catch (e) {
        throw new UsageError(`${configPath}: ${(e as Error).message}`);
      }
      explicit.add(key);
    }
  }
  for (const [key, raw] of fromFlags) {
    const o = spec.options.find((x) => camel(x.name) === key)!;
    values[key] = convert(o, raw);
    explicit.add(key);
  }
  for (const o of spec.options) {
    if (o.required && values[camel(o.name)] === undefined) throw new UsageError(`\`${cmd}\` needs --${o.name}${o.placeholder ? ` ${o.placeholder}` : ''}; see \`${cmd} --help\``);
  }
  const p = spec.positionals;
  const min = p?.min ?? 0;
  const max = p?.max ?? 0;
  if (positionals.length < min) throw new UsageError(`\`${cmd}\` needs ${p!.name}; see \`${cmd} --help\``);
  if (positionals.length > max) {
    throw new UsageError(max === 0
      ? `\`${cmd}\` takes no argument '${positionals[0]}' (options start with --); see \`${cmd} --help\``
      : `\`${cmd}\` takes at most ${max} ${p!.name}, got ${positionals.length}; see \`${cmd} --help\``);
  }
  return { values, explicit, positionals, help };
}

function showDefault(o: OptionSpec): string {
  if (o.defaultText !== undefined) return o.defaultText;
  const d = o.default;
  if (d === undefined) return '';
  if (Array.isArray(d)) return d.join(',');
  return String(d);
}

/** The help text: usage, summary, every option with its default. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, ''];
  if (spec.positionals) lines.push('Arguments:', `  ${spec.positionals.name.padEnd(26)}${spec.positionals.help}`, '');
  lines.push('Options:');
  const rows = allOptions(spec).map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'boolean' ? '' : ` ${o.placeholder ?? (o.type === 'int' || o.type === 'number' ? 'N' : o.type.endsWith('List') ? 'LIST' : 'VALUE')}`}`;
    let text = o.help;
    if (o.choices) text += ` (${o.choices.join(' | ')})`;
    const d = showDefault(o);
    if (d !== '' && o.name !== 'help') text += ` [default: ${d}]`;
    if (o.required) text += ' [required]';
    return [flag, text] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([f]) => f.length)) + 2);
  const wrap = (text: string, indent: number): string[] => {
    const limit = Math.max(40, 100 - indent);
    const words = text.split(' ');
    const out: string[] = [];
    let line = '';
    for (const w of words) {
      if (line && line.length + 1 + w.length > limit) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) out.push(line);
    return out;
  };
  for (const [flag, text] of rows) {
    const body = wrap(text, width + 2);
    if (flag.length + 2 > width) {
      lines.push(`  ${flag}`);
      for (const b of body) lines.push(`${' '.repeat(width + 2)}${b}`);
    } else {
      lines.push(`  ${flag.padEnd(width)}${body[0] ?? ''}`);
      for (const b of body.slice(1)) lines.push(`${' '.repeat(width + 2)}${b}`);
    }
  }
  spec.notes?.forEach((note, i) => {
    if (note.startsWith(' ')) lines.push(note);
    else lines.push(...(i === 0 || !spec.notes![i - 1]!.startsWith(' ') || true ? [''] : []), ...wrap(note, 0));
  });
  return lines.join('\n');
}
