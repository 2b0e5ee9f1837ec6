// The Optimizer base, as torch.optim.Optimizer: parameter groups with their own
// options, per-parameter state, zeroGrad, and state dicts in PyTorch's layout
// ({state: {<index>: {...}}, param_groups: [{...options, params: [indices]}]},
// snake_case keys) so that a checkpoint's optimizer part reads like Python's.
//
// Updates run in place under noGrad, one parameter at a time in its own tidy
// scope: temporaries are freed as each parameter is done, and only the state
// tensors (kept, owned by the optimizer until dispose()) live on.
import { enableGrad, noGrad } from '../autograd.js';
import { scalarTensor } from '../ops/creation.js';
import { dispose, keep, tidy } from '../scope.js';
import type { Saveable } from '../serialize.js';
import { Tensor } from '../tensor.js';

/** Options every optimizer has; each parameter group carries its own copy. */
export interface BaseOptions {
  lr: number;
}

/** A parameter group: its parameters and its options (lr, weightDecay, ...). */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  params: Tensor[];
  /** Set by the first LR scheduler attached to the optimizer (PyTorch's initial_lr). */
  initialLr?: number;
};

/** A group as the user gives it: parameters plus any options that differ from the optimizer's defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What an optimizer accepts: parameters, a module-like object, or parameter groups. */
export type Params<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | { parameters(): Tensor[] } | ParamGroupInput<O>[];

/** One parameter's state: tensors (momentum buffers, moments) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/** PyTorch's optimizer state-dict layout. */
export interface OptimizerStateDict {
  state: { [index: string]: { [key: string]: Saveable } };
  param_groups: { [key: string]: Saveable }[];
}

export const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function isParamGroupList<O extends BaseOptions>(params: Params<O>): params is ParamGroupInput<O>[] {
  return (
    Array.isArray(params) &&
    params.length > 0 &&
    !(params[0] instanceof Tensor) &&
    typeof params[0] === 'object' &&
    params[0] !== null &&
    'params' in params[0]
  );
}

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, keyed by the parameter tensors the groups hold. */
  readonly state = new Map<Tensor, ParamState>();
  /** The optimizer's name in messages. */
  protected abstract readonly name: string;

  protected constructor(params: Params<O>, defaults: O) {
    this.defaults = defaults;
    let groups: ParamGroupInput<O>[];
    if (isParamGroupList(params)) groups = params;
    else if (!Array.isArray(params) && typeof (params as { parameters?: unknown }).parameters === 'function') {
      groups = [{ params: (params as { parameters(): Tensor[] }).parameters() } as unknown as ParamGroupInput<O>];
    } else groups = [{ params: params as Iterable<Tensor> } as unknown as ParamGroupInput<O>];
    if (groups.length === 0) throw new Error('optimizer got an empty parameter list');
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group of parameters with its own options (missing ones come from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group.params instanceof Tensor) throw new TypeError('params must be an array of tensors, not a single Tensor: pass [tensor]');
    const params = [...group.params];
    if (params.length === 0) throw new Error('optimizer got an empty parameter list');
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`an optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor (detach it and set requiresGrad)");
      if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
      seen.add(p);
    }
    const full = { ...this.defaults } as ParamGroup<O>;
    for (const [k, v] of Object.entries(group)) if (k !== 'params' && v !== undefined) (full as unknown as Record<string, unknown>)[k] = v;
    full.params = params;
    this.validateGroup(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's options; subclasses throw RangeError for invalid ones. */
  protected validateGroup(group: ParamGroup<O>): void {
    if (!(group.lr >= 0)) throw new RangeError(`Invalid learning rate: ${group.lr}`);
  }

  /**
   * Updates one parameter in place from its gradient; runs under noGrad in a
   * tidy scope of its own (temporaries are freed parameter by parameter, which
   * keeps large models fast: V8 sees the native memory of live handles).
   */
  protected abstract updateParam(p: Tensor, grad: Tensor, group: ParamGroup<O>): void;

  /**
   * One optimization step over every parameter that has a gradient. With a
   * closure (which recomputes the loss, with gradients on) returns its result.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          tidy(() => {
            const grad = p.grad;
            if (grad) this.updateParam(p, grad, group);
          });
        }
      }
    });
    return loss;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** Marks a new state tensor so no scope disposes it; the optimizer owns it. */
  protected own(t: Tensor): Tensor {
    return keep(t);
  }

  /** Clears gradients: sets them to null (default, as PyTorch) or zeroes them in place. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (setToNone) {
          p.grad = null;
          continue;
        }
        const g = p.grad;
        if (!g) continue;
        try {
          if (g.gradFn !== null) g.detach_();
          else g.requiresGrad_(false);
          g.zero_();
        } finally {
          g.dispose();
        }
      }
    }
  }

  /**
   * The state in PyTorch's layout. Tensors in `state` are the optimizer's own
   * (do not dispose them), except 'step' counts, which are new float32 scalars.
   * The state's keys are strings ('0', '1', ...: JavaScript object keys); to
   * load a saved one into a Python optimizer, convert them first:
   * `sd['state'] = {int(k): v for k, v in sd['state'].items()}`.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups: { [key: string]: Saveable }[] = [];
    for (const group of this.paramGroups) {
      const packed: { [key: string]: Saveable } = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params' || v === undefined) continue;
        packed[toSnake(k)] = Array.isArray(v) ? [...(v as Saveable[])] : (v as Saveable);
      }
      packed.params = group.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      paramGroups.push(packed);
    }
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: { [key: string]: Saveable } = {};
      for (const [k, v] of Object.entries(s))
        entry[toSnake(k)] = typeof v === 'number' && k === 'step' ? scalarTensor(v, { dtype: 'float32' }) : v;
      state[String(i)] = entry;
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Loads a state dict made by stateDict() (ours or Python's layout). Groups
   * must match in number and size; state tensors are copied (cast to each
   * parameter's dtype and device), so the caller may dispose the dict.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const what = `${this.name}.loadStateDict()`;
    if (
      !stateDict ||
      typeof stateDict !== 'object' ||
      !Array.isArray(stateDict.param_groups) ||
      typeof stateDict.state !== 'object' ||
      stateDict.state === null
    ) {
      throw new Error(`${what}: not an optimizer state dict (expected {state, param_groups})`);
    }
    const saved = stateDict.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new Error(`${what}: the state dict has ${saved.length} parameter groups but the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, gi) => {
      const ids = g.params;
      if (!Array.isArray(ids)) throw new Error(`${what}: param_groups[${gi}] has no params list`);
      const params = this.paramGroups[gi].params;
      if (ids.length !== params.length) {
        throw new Error(
          `${what}: parameter group ${gi} has ${ids.length} parameters in the state dict but ${params.length} in the optimizer`,
        );
      }
      ids.forEach((id, k) => byIndex.set(Number(id), params[k]));
    });
    // Build the new state first, so a bad dict leaves the optimizer as it was.
    const fresh = new Map<Tensor, ParamState>();
    try {
      noGrad(() =>
        tidy(() => {
          for (const [key, entry] of Object.entries(stateDict.state)) {
            const p = byIndex.get(Number(key));
            if (!p) continue;
            if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
              throw new Error(`${what}: state[${key}] is not a record`);
            const s: ParamState = {};
            for (const [k, v] of Object.entries(entry)) {
              const name = toCamel(k);
              if (name === 'step') s.step = v instanceof Tensor ? v.item() : Number(v);
              else if (v instanceof Tensor) {
                if (v.shape.join(',') !== p.shape.join(',')) {
                  throw new Error(`${what}: state[${key}].${k} has shape [${v.shape}] but the parameter has shape [${p.shape}]`);
                }
                const isFloat = ['float16', 'bfloat16', 'float32', 'float64'].includes(p.dtype);
                s[name] = keep(v.to(isFloat ? { dtype: p.dtype, device: p.device } : { device: p.device }).clone());
              } else if (typeof v === 'number') s[name] = v;
            }
            fresh.set(p, s);
          }
        }),
      );
    } catch (e) {
      for (const s of fresh.values()) disposeState(s);
      throw e;
    }
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
    for (const [p, s] of fresh) this.state.set(p, s);
    saved.forEach((g, gi) => {
      const group = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        group[toCamel(k)] = Array.isArray(v) ? [...v] : v;
      }
    });
  }

  /** Frees the optimizer's state tensors (the optimizer starts afresh if stepped again). */
  dispose(): void {
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
  }
}

function disposeState(s: ParamState): void {
  for (const v of Object.values(s)) if (v instanceof Tensor && !v.isDisposed) dispose(v);
}
