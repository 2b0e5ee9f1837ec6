// Containers: Sequential, ModuleList, ModuleDict; and the trivial Identity and Flatten.
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Runs its modules in order, feeding each one's output to the next; names are '0', '1', ... */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module)) {
      for (const [n, m] of Object.entries(modules[0] as Record<string, Module>)) this.registerModule(n, m);
    } else {
      (modules as Module[]).forEach((m, i) => this.registerModule(String(i), m));
    }
  }
  get length(): number {
    return this.namedChildrenList().length;
  }
  private namedChildrenList(): [string, Module][] {
    return [...this.namedChildrenIter()];
  }
  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const list = this.namedChildrenList();
    const j = i < 0 ? i + list.length : i;
    if (j < 0 || j >= list.length) throw new RangeError(`Sequential index ${i} is out of range for ${list.length} modules`);
    return list[j][1];
  }
  append(m: Module): this {
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): IterableIterator<Module> {
    return this.namedChildrenList()
      .map(([, m]) => m)
      [Symbol.iterator]();
  }
  forward(input: any): any {
    let x = input;
    for (const [, m] of this.namedChildrenIter()) x = m.forward(x);
    return x;
  }
}

/** A list of modules registered as '0', '1', ...; it has no forward of its own. */
export class ModuleList extends Module {
  private readonly items: Module[] = [];
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): Module {
    const j = i < 0 ? i + this.items.length : i;
    if (j < 0 || j >= this.items.length) throw new RangeError(`ModuleList index ${i} is out of range for ${this.items.length} modules`);
    return this.items[j];
  }
  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  [Symbol.iterator](): IterableIterator<Module> {
    return this.items[Symbol.iterator]();
  }
  map<T>(fn: (m: Module, i: number) => T): T[] {
    return this.items.map(fn);
  }
  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over its modules');
  }
}

/** Modules by name, in insertion order; it has no forward of its own. */
export class ModuleDict extends Module {
  private readonly items = new Map<string, Module>();
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [n, m] of entries) this.set(n, m);
  }
  get size(): number {
    return this.items.size;
  }
  get(name: string): Module | undefined {
    return this.items.get(name);
  }
  has(name: string): boolean {
    return this.items.has(name);
  }
  set(name: string, m: Module): this {
    if (this.items.has(name)) throw new Error(`ModuleDict already holds '${name}'`);
    this.registerModule(name, m);
    this.items.set(name, m);
    return this;
  }
  keys(): IterableIterator<string> {
    return this.items.keys();
  }
  values(): IterableIterator<Module> {
    return this.items.values();
  }
  entries(): IterableIterator<[string, Module]> {
    return this.items.entries();
  }
  [Symbol.iterator](): IterableIterator<[string, Module]> {
    return this.items.entries();
  }
  forward(): never {
    throw new Error('ModuleDict has no forward(); pick a module by name');
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward<T>(x: T): T {
    return x;
  }
}

/** Flattens dimensions startDim..endDim (1..-1 by default, keeping the batch). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Reshapes one dimension into several. */
export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly sizes: number[],
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.sizes);
  }
}
