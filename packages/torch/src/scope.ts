// Deterministic tensor lifetime: scopes in the spirit of TF.js `tidy` and
// TorchSharp's DisposeScope. Every tensor made inside a scope is disposed when
// the scope ends, except what the scope returns or what `keep` marks.
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

interface Tracked extends Disposable {
  kept: boolean;
}

let current: Tracked[] | null = null;

/** Called by every new Tensor: adds it to the innermost open scope. */
export function track(t: Tracked): void {
  if (current) current.push(t);
}

/** Exempts tensors from every enclosing scope; they live until disposed (or collected). */
export function keep<T>(value: T): T {
  visitTensors(value, (t) => {
    t.kept = true;
  });
  return value;
}

function visitTensors(value: unknown, f: (t: Tracked) => void, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ('kept' in value && 'dispose' in value) {
    f(value as Tracked);
    return;
  }
  if (Array.isArray(value)) for (const v of value) visitTensors(v, f, seen);
  else if (value instanceof Map) for (const v of value.values()) visitTensors(v, f, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) visitTensors(v, f, seen);
}

function closeScope(created: Tracked[], survivors: Set<Tracked>, parent: Tracked[] | null): void {
  // dispose() is idempotent and cheap, so only survivors pay for an isDisposed check.
  // Newest first, like destructors: the allocator gets its most recent (cache-hot) blocks back first.
  const anySurvivors = survivors.size > 0;
  for (let i = created.length - 1; i >= 0; --i) {
    const t = created[i];
    if (t.kept) continue;
    if (anySurvivors && survivors.has(t)) {
      if (!t.isDisposed) parent?.push(t);
    } else {
      t.dispose();
    }
  }
}

/**
 * Runs `fn` and disposes every tensor it created, except the tensors in its
 * result (a tensor, or arrays/plain objects/Maps of them), which move to the
 * enclosing scope, and tensors marked with `keep`. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const parent = current;
  const created: Tracked[] = [];
  current = created;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    current = parent;
    closeScope(created, new Set(), parent);
    throw e;
  }
  current = parent;
  if (result instanceof Promise) {
    closeScope(created, new Set(), parent);
    throw new Error('tidy() needs a synchronous function: tensors cannot be tracked across await');
  }
  const survivors = new Set<Tracked>();
  visitTensors(result, (t) => survivors.add(t));
  closeScope(created, survivors, parent);
  return result;
}

/**
 * A scope for `using`: `using scope = torch.disposeScope();` disposes, when the
 * block ends, every tensor created since, except those passed to `scope.keep`.
 * Scopes must close in the reverse order they opened.
 */
export class DisposeScope {
  private readonly parent: Tracked[] | null;
  private readonly created: Tracked[] = [];
  private readonly survivors = new Set<Tracked>();
  private closed = false;

  constructor() {
    this.parent = current;
    current = this.created;
  }

  /** Keeps `value`'s tensors alive past this scope; they move to the enclosing one. */
  keep<T>(value: T): T {
    visitTensors(value, (t) => this.survivors.add(t));
    return value;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  dispose(): void {
    if (this.closed) return;
    if (current !== this.created) throw new Error('DisposeScope closed out of order: close inner scopes first');
    this.closed = true;
    current = this.parent;
    closeScope(this.created, this.survivors, this.parent);
  }
}

export function disposeScope(): DisposeScope {
  return new DisposeScope();
}

/** Disposes every tensor found in `value` (a tensor, or arrays/objects/Maps of them). */
export function dispose(value: unknown): void {
  visitTensors(value, (t) => t.dispose());
}
