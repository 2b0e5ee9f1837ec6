// torch.nn.Module: parameters, buffers and submodules registered by name, with
// PyTorch's dotted names, train/eval, dtype/device moves and state dicts.
//
// Registered tensors and modules are reachable as properties (`this.weight`,
// `this.fc1`). In a subclass declare them with `declare weight: Tensor;` (or
// `weight!: Tensor;`) and register them in the constructor; assigning a tensor
// to a registered name later replaces the registered one.
import { noGrad } from '../autograd.js';
import { isSameDevice } from '../cuda.js';
import { type DType, isFloatingDType } from '../dtype.js';
import { keep } from '../scope.js';
import { Tensor } from '../tensor.js';
import '../tensor-methods.js';

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const NAME = /^[A-Za-z_$][\w$]*$/;

export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module>();

  abstract forward(...args: any[]): any;

  // ---------------------------------------------------------------- registration

  private checkName(name: string, kind: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new Error(`${this.constructor.name}: ${kind} name must be a non-empty string without '.', got '${String(name)}'`);
    }
    const taken = [
      ['parameter', this._parameters],
      ['buffer', this._buffers],
      ['module', this._modules],
    ] as const;
    for (const [k, map] of taken) {
      if (k !== kind && map.has(name)) throw new Error(`${this.constructor.name}: '${name}' is already registered as a ${k}`);
    }
  }

  private defineAccessor(name: string, get: () => unknown, set: (v: any) => void): void {
    Object.defineProperty(this, name, { get, set, enumerable: true, configurable: true });
  }

  /** Registers a parameter: a leaf tensor that requires grad and that no scope disposes. */
  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    this.checkName(name, 'parameter');
    const p = asParameter(t);
    this._parameters.set(name, p);
    if (NAME.test(name)) {
      this.defineAccessor(
        name,
        () => this._parameters.get(name) ?? null,
        (v: Tensor | null) => {
          this._parameters.set(name, asParameter(v));
        },
      );
    }
    return p;
  }

  /** Registers a buffer: state that is not trained (running means); persistent ones go in the state dict. */
  protected registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    this.checkName(name, 'buffer');
    if (t) keep(t);
    this._buffers.set(name, t);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    if (NAME.test(name)) {
      this.defineAccessor(
        name,
        () => this._buffers.get(name) ?? null,
        (v: Tensor | null) => {
          if (v) keep(v);
          this._buffers.set(name, v);
        },
      );
    }
    return t;
  }

  /** Registers a submodule; its parameters appear as `name.<param>`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name, 'module');
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.registerModule('${name}'): expected a Module`);
    this._modules.set(name, m);
    if (NAME.test(name)) {
      this.defineAccessor(
        name,
        () => this._modules.get(name),
        (v: Module) => {
          if (!(v instanceof Module)) throw new Error(`${this.constructor.name}.${name} must stay a Module`);
          this._modules.set(name, v);
        },
      );
    }
    return m;
  }

  /** The parameter, buffer or submodule registered under `name` (own, not dotted), or undefined. */
  protected getRegistered(name: string): Tensor | Module | null | undefined {
    if (this._parameters.has(name)) return this._parameters.get(name);
    if (this._buffers.has(name)) return this._buffers.get(name);
    return this._modules.get(name);
  }

  // ---------------------------------------------------------------- traversal

  *namedChildrenIter(): IterableIterator<[string, Module]> {
    yield* this._modules.entries();
  }
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [n, m] of this._modules) {
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([n, m]);
    }
    return out;
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every submodule, depth first, with dotted names ('' for this one). */
  namedModules(prefix = '', memo: Set<Module> = new Set()): [string, Module][] {
    const out: [string, Module][] = [];
    if (memo.has(this)) return out;
    memo.add(this);
    out.push([prefix, this]);
    for (const [n, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n, memo));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedMembers(kind: '_parameters' | '_buffers', prefix: string, recurse: boolean, persistentOnly = false): [string, Tensor][] {
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [mp, m] of mods) {
      for (const [n, t] of m[kind]) {
        if (!t || seen.has(t)) continue;
        if (persistentOnly && m._nonPersistent.has(n)) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${n}` : n, t]);
      }
    }
    return out;
  }

  /** Parameters with PyTorch's dotted names ('layer1.0.conv1.weight'); shared ones once. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    return this.namedMembers('_parameters', prefix, recurse);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, t]) => t);
  }
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.namedMembers('_buffers', prefix, recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, t]) => t);
  }

  /** Calls fn on every submodule (children first) and then on this module. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  // ---------------------------------------------------------------- modes and moves

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * Converts floating-point parameters and buffers to a dtype, or every one to a
   * device ('cpu', 'cuda', 'cuda:1'). Converted parameters are new tensors: build
   * optimizers after moving the model.
   */
  to(target: DType | string): this {
    const isDevice = /^(cpu|cuda|mps|meta)(:\d+)?$/.test(target);
    const convert = (t: Tensor): Tensor | null => {
      if (isDevice) {
        if (isSameDevice(target, t.device)) return null;
      } else {
        if (!isFloatingDType(t.dtype) || t.dtype === target) return null;
      }
      return noGrad(() => t.to(target));
    };
    const moved = new Map<Tensor, Tensor>(); // shared tensors move once
    for (const m of this.modules()) {
      for (const [n, p] of m._parameters) {
        if (!p) continue;
        const done = moved.get(p);
        if (done) {
          m._parameters.set(n, done);
          continue;
        }
        const c = convert(p);
        if (!c) continue;
        const g = p.grad;
        const np = asParameter(c, p.requiresGrad)!;
        if (g) {
          const cg = convert(g);
          np.grad = cg ?? g;
          cg?.dispose();
          g.dispose();
        }
        m._parameters.set(n, np);
        moved.set(p, np);
      }
      for (const [n, b] of m._buffers) {
        if (!b) continue;
        const done = moved.get(b);
        if (done) {
          m._buffers.set(n, done);
          continue;
        }
        const c = convert(b);
        if (!c) continue;
        m._buffers.set(n, keep(c));
        moved.set(b, c);
      }
    }
    for (const old of moved.keys()) old.dispose();
    return this;
  }
  float(): this {
    return this.to('float32');
  }
  double(): this {
    return this.to('float64');
  }
  half(): this {
    return this.to('float16');
  }

  /** Clears the parameters' gradients (to null by default, as PyTorch 2; or to zeros). */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) {
        p.grad = null;
        continue;
      }
      const g = p.grad;
      if (!g) continue;
      if (g.gradFn) g.detach_();
      else g.requiresGrad_(false);
      g.zero_();
      g.dispose();
    }
  }

  /** The number of parameter elements (only the trainable ones if asked). */
  numParameters(onlyTrainable = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.numel();
    return n;
  }

  /** Turns gradient recording on or off for every parameter (freezing). */
  requiresGrad_(value = true): this {
    for (const p of this.parameters()) p.requiresGrad = value;
    return this;
  }

  /**
   * Frees the native memory of every parameter (and its gradient) and buffer now,
   * instead of when they are garbage collected; the module is unusable afterwards.
   */
  dispose(): void {
    for (const p of this.parameters()) {
      if (p.isDisposed) continue;
      p.grad = null;
      p.dispose();
    }
    for (const b of this.buffers()) if (!b.isDisposed) b.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---------------------------------------------------------------- state dicts

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each
   * module's parameters, then its buffers, then its children). The tensors are
   * detached views sharing memory with the module's (the module's own tensors
   * with keepVars).
   */
  stateDict(options: { prefix?: string; keepVars?: boolean } = {}): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const visit = (m: Module, prefix: string): void => {
      for (const [n, p] of m._parameters) if (p) out[prefix + n] = options.keepVars ? p : p.detach();
      for (const [n, b] of m._buffers) if (b && !m._nonPersistent.has(n)) out[prefix + n] = options.keepVars ? b : b.detach();
      for (const [n, c] of m._modules) visit(c, `${prefix}${n}.`);
    };
    visit(this, options.prefix ?? '');
    return out;
  }

  /** Hook for modules whose state dict format changed (BatchNorm without num_batches_tracked). */
  protected upgradeStateDict(_sd: Record<string, Tensor>, _prefix: string): void {}

  /**
   * Copies tensors in place into the parameters and buffers (identity is kept).
   * Strict (the default) refuses missing or unexpected keys; a shape mismatch is
   * always an error. The error lists every problem.
   */
  loadStateDict(sd: Record<string, Tensor>, strict = true): LoadResult {
    if (sd === null || typeof sd !== 'object') throw new Error('loadStateDict: expected an object of tensors by name');
    const own = this.stateDict({ keepVars: true });
    const source: Record<string, Tensor> = { ...sd };
    for (const [prefix, m] of this.namedModules()) m.upgradeStateDict(source, prefix ? `${prefix}.` : '');
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const mismatches: string[] = [];
    const pairs: [Tensor, Tensor][] = [];
    for (const [k, t] of Object.entries(own)) {
      if (!(k in source)) {
        missingKeys.push(k);
        continue;
      }
      const s = source[k];
      if (!(s instanceof Tensor)) {
        mismatches.push(`${k}: expected a tensor, got ${s === null ? 'null' : typeof s}`);
        continue;
      }
      if (s.isDisposed) {
        mismatches.push(`${k}: the given tensor is disposed`);
        continue;
      }
      const a = t.shape,
        b = s.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        mismatches.push(`${k}: shape [${b.join(', ')}] in the state dict, [${a.join(', ')}] in the model`);
        continue;
      }
      pairs.push([t, s]);
    }
    for (const k of Object.keys(source)) if (!(k in own)) unexpectedKeys.push(k);
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    if (mismatches.length) problems.push(`size mismatches: ${mismatches.join('; ')}`);
    if (problems.length) {
      throw new Error(`Error(s) in loading state dict for ${this.constructor.name}:\n  ${problems.join('\n  ')}`);
    }
    noGrad(() => {
      for (const [t, s] of pairs) if (t !== s) t.copy_(s);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---------------------------------------------------------------- printing

  /** Extra text inside this module's parentheses, e.g. 'in_features=4, out_features=2, bias=true'. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const lines: string[] = [];
    for (const [n, m] of this._modules) {
      const s = m.toString().split('\n').join('\n  ');
      lines.push(`(${n}): ${s}`);
    }
    const extra = this.extraRepr();
    if (!lines.length) return `${this.constructor.name}(${extra})`;
    return `${this.constructor.name}(${extra ? `${extra}\n  ` : '\n  '}${lines.join('\n  ')}\n)`;
  }
}

/** Makes `t` a parameter: a kept leaf that requires grad (floating tensors only). */
function asParameter(t: Tensor | null, requiresGrad = true): Tensor | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new Error(`a parameter must be a Tensor or null, got ${typeof t}`);
  let p = t;
  if (!p.isLeaf) p = p.detach();
  if (requiresGrad && isFloatingDType(p.dtype)) p.requiresGrad = true;
  return keep(p);
}
