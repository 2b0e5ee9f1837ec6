// Checked reads of JSON objects (config.json, checkpoints' extra values): a missing or
// mistyped field is a UsageError naming the file and the field, never a silent `undefined`.
import { UsageError } from './errors.js';

export class Fields {
  constructor(
    private readonly value: Record<string, unknown>,
    private readonly where: string,
  ) {}

  /** Wraps `raw`, which must be a JSON object. */
  static of(raw: unknown, where: string): Fields {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${where} is not a JSON object`);
    return new Fields(raw as Record<string, unknown>, where);
  }

  private fail(key: string, what: string): never {
    throw new UsageError(`${this.where}: '${key}' must be ${what}, got ${JSON.stringify(this.value[key]) ?? 'nothing'}`);
  }

  keys(): string[] {
    return Object.keys(this.value);
  }
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }
  num(key: string): number {
    const v = this.value[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(key, 'a number');
  }
  int(key: string): number {
    const v = this.num(key);
    return Number.isInteger(v) ? v : this.fail(key, 'an integer');
  }
  optNum(key: string): number | null {
    return this.has(key) ? this.num(key) : null;
  }
  optInt(key: string): number | null {
    return this.has(key) ? this.int(key) : null;
  }
  str(key: string): string {
    const v = this.value[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }
  optStr(key: string): string | null {
    return this.has(key) ? this.str(key) : null;
  }
  bool(key: string): boolean {
    const v = this.value[key];
    return typeof v === 'boolean' ? v : this.fail(key, 'true or false');
  }
  strList(key: string): string[] {
    const v = this.value[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...v] : this.fail(key, 'a list of strings');
  }
  choice<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.str(key);
    return (allowed as readonly string[]).includes(v) ? (v as T) : this.fail(key, `one of ${allowed.join(', ')}`);
  }
  /** A nested object's fields. */
  obj(key: string): Fields {
    return Fields.of(this.value[key], `${this.where}: '${key}'`);
  }
  /** The raw value (for values the caller checks itself, e.g. tensors). */
  raw(key: string): unknown {
    return this.value[key];
  }
}
