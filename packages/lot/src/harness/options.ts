// Options as commands and domains declare them (OptionSpec, CommandSpec), and
// OptionValues: the values a command was given, read with checked types by the
// option's kebab-case name. No parsing here: cli/options.ts turns argv and config
// files into an OptionValues.

export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'intList' | 'numberList' | 'stringList';
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

/** A named set of option values, with a line for help. */
export interface Preset {
  help: string;
  values: Readonly<Record<string, OptionValue>>;
}

export interface CommandSpec {
  /** How the command is typed: `lot train vision [options]`. */
  usage: string;
  summary: string;
  /** Positional arguments, for help and arity checks. */
  positionals?: { name: string; help: string; min: number; max: number };
  options: OptionSpec[];
  /** Extra paragraphs appended to help (lines starting with a space are shown as they are). */
  notes?: string[];
  /** When true, --config FILE is accepted. */
  configFile?: boolean;
  /**
   * Named sets of option values (`--preset NAME`): a layer under the config file and the flags,
   * which win over it. Keys are option names as declared (`batch-size`).
   */
  presets?: Readonly<Record<string, Preset>>;
}

const isNumberList = (v: OptionValue): v is number[] => Array.isArray(v) && v.every((x: unknown) => typeof x === 'number');
const isStringList = (v: OptionValue): v is string[] => Array.isArray(v) && v.every((x: unknown) => typeof x === 'string');

/** Whether `value` has the shape an option of `type` holds (undefined: no value, which fits every type). */
export function fitsType(type: OptionType, value: OptionValue): boolean {
  switch (type) {
    case 'string':
      return value === undefined || typeof value === 'string';
    case 'number':
      return value === undefined || (typeof value === 'number' && Number.isFinite(value));
    case 'int':
      return value === undefined || Number.isInteger(value);
    case 'boolean':
      return value === undefined || typeof value === 'boolean';
    case 'intList':
      return value === undefined || (isNumberList(value) && value.every((x) => Number.isInteger(x)));
    case 'numberList':
      return value === undefined || (isNumberList(value) && value.every((x) => Number.isFinite(x)));
    case 'stringList':
      return value === undefined || isStringList(value);
  }
}

/** The readers that suit each option type (for error messages). */
const READERS: Record<OptionType, string> = {
  string: 'string(), optionalString() or choice()',
  number: 'number() or optionalNumber()',
  int: 'number() or optionalNumber()',
  boolean: 'boolean()',
  intList: 'intList()',
  numberList: 'numberList()',
  stringList: 'stringList(), optionalStringList() or choiceList()',
};

/**
 * The values of a command's options: each option holds the value the user gave
 * (on the command line or in a config file) or else its declared default. Reads
 * name the option as declared (`batch-size`) and check its type: reading an
 * undeclared option, with the wrong reader, or reading a missing value through a
 * non-optional reader is a programming error and throws a plain Error.
 */
export class OptionValues {
  readonly #specs = new Map<string, OptionSpec>();
  readonly #given = new Map<string, OptionValue>();

  /**
   * @param options the declared options
   * @param given the values the user set, by kebab-case name (already converted
   *   to the option's type); every other option takes its default
   */
  constructor(options: readonly OptionSpec[], given: Iterable<readonly [string, OptionValue]> = []) {
    for (const o of options) {
      if (this.#specs.has(o.name)) throw new Error(`option --${o.name} is declared twice`);
      if (!fitsType(o.type, o.default))
        throw new Error(`option --${o.name}: its default ${JSON.stringify(o.default)} is not of its type ${o.type}`);
      this.#specs.set(o.name, o);
    }
    for (const [name, value] of given) {
      const o = this.#specs.get(name);
      if (!o) throw new Error(`a value was given for --${name}, which is not declared${this.#declared()}`);
      if (value === undefined || !fitsType(o.type, value))
        throw new Error(`option --${name}: the value ${JSON.stringify(value)} is not of its type ${o.type}`);
      this.#given.set(name, value);
    }
  }

  #declared(): string {
    return ` (declared: ${[...this.#specs.keys()].join(', ') || 'none'})`;
  }

  #spec(name: string): OptionSpec {
    const o = this.#specs.get(name);
    if (!o) throw new Error(`option --${name} is not declared${this.#declared()}`);
    return o;
  }

  /** The option's value (given or default), after checking that `reader` suits its type. */
  #read(name: string, reader: string, types: readonly OptionType[]): OptionValue {
    const o = this.#spec(name);
    if (!types.includes(o.type)) throw new Error(`option --${name} is of type ${o.type}: read it with ${READERS[o.type]}, not ${reader}()`);
    return this.#given.has(name) ? this.#given.get(name) : o.default;
  }

  #missing(name: string, optionalReader: string): Error {
    return new Error(`option --${name} has no value (it has no default and was not given); use has() or ${optionalReader}()`);
  }

  #wrongValue(name: string, value: OptionValue): Error {
    return new Error(`option --${name} holds ${JSON.stringify(value)}, which does not fit its type ${this.#spec(name).type}`);
  }

  #optionalString(name: string, reader: string): string | undefined {
    const v = this.#read(name, reader, ['string']);
    if (v === undefined || typeof v === 'string') return v;
    throw this.#wrongValue(name, v);
  }

  #string(name: string, reader: string): string {
    const v = this.#optionalString(name, reader);
    if (v === undefined) throw this.#missing(name, 'optionalString');
    return v;
  }

  #optionalStringList(name: string, reader: string): string[] | undefined {
    const v = this.#read(name, reader, ['stringList']);
    if (v === undefined) return undefined;
    if (isStringList(v)) return [...v];
    throw this.#wrongValue(name, v);
  }

  #stringList(name: string, reader: string): string[] {
    const v = this.#optionalStringList(name, reader);
    if (v === undefined) throw this.#missing(name, 'optionalStringList');
    return v;
  }

  #oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === v);
    if (found === undefined) throw new Error(`option --${name} holds '${v}', which is not one of ${allowed.join(', ')}`);
    return found;
  }

  optionalString(name: string): string | undefined {
    return this.#optionalString(name, 'optionalString');
  }

  string(name: string): string {
    return this.#string(name, 'string');
  }

  /** A string option's value as one of `allowed` (the option's declared choices, or some of them). */
  choice<T extends string>(name: string, allowed: readonly T[]): T {
    return this.#oneOf(name, this.#string(name, 'choice'), allowed);
  }

  /** Number and int options. */
  optionalNumber(name: string): number | undefined {
    return this.#optionalNumber(name, 'optionalNumber');
  }

  /** Number and int options. */
  number(name: string): number {
    const v = this.#optionalNumber(name, 'number');
    if (v === undefined) throw this.#missing(name, 'optionalNumber');
    return v;
  }

  #optionalNumber(name: string, reader: string): number | undefined {
    const v = this.#read(name, reader, ['number', 'int']);
    if (v === undefined || typeof v === 'number') return v;
    throw this.#wrongValue(name, v);
  }

  boolean(name: string): boolean {
    const v = this.#read(name, 'boolean', ['boolean']);
    if (typeof v === 'boolean') return v;
    if (v === undefined) throw new Error(`option --${name} has no value (declare a default for boolean options)`);
    throw this.#wrongValue(name, v);
  }

  /** A list of numbers (`--alpha 0,0.5,1`). */
  numberList(name: string): number[] {
    const v = this.#read(name, 'numberList', ['numberList', 'intList']);
    if (v === undefined) throw new Error(`option --${name} has no value (it has no default and was not given); use has() first`);
    if (isNumberList(v)) return [...v];
    throw this.#wrongValue(name, v);
  }

  intList(name: string): number[] {
    const v = this.#read(name, 'intList', ['intList']);
    if (v === undefined) throw new Error(`option --${name} has no value (it has no default and was not given); use has() first`);
    if (isNumberList(v)) return [...v];
    throw this.#wrongValue(name, v);
  }

  optionalStringList(name: string): string[] | undefined {
    return this.#optionalStringList(name, 'optionalStringList');
  }

  stringList(name: string): string[] {
    return this.#stringList(name, 'stringList');
  }

  /** A string-list option's values, each one of `allowed`. */
  choiceList<T extends string>(name: string, allowed: readonly T[]): T[] {
    return this.#stringList(name, 'choiceList').map((v) => this.#oneOf(name, v, allowed));
  }

  /** Whether the option has a value (given, or a default). */
  has(name: string): boolean {
    const o = this.#spec(name);
    return (this.#given.has(name) ? this.#given.get(name) : o.default) !== undefined;
  }

  /** The options the user set (flags, config file, preset), by name, in declaration order. */
  explicitEntries(): [string, OptionValue][] {
    return [...this.#specs.keys()].filter((name) => this.#given.has(name)).map((name) => [name, this.#given.get(name)]);
  }

  /** Whether the user set the option (on the command line or in the config file) rather than leaving its default. */
  isExplicit(name: string): boolean {
    this.#spec(name);
    return this.#given.has(name);
  }
}
