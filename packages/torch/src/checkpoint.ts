// Training checkpoints: model(s), optimizers, LR schedules, the random state
// and the caller's own values (step, epoch, ...) in one file in libtorch's
// pickle format (what torch.save writes; Python's torch.load opens it).
// The write is atomic (a temporary file, then a rename), so a crash never
// leaves a broken checkpoint; a truncated or foreign file is refused with an
// Error that names it.
//
//   torch.saveCheckpoint(path, { model, optimizers: opt, schedulers: sched, extra: { epoch, step } });
//   // later, with model, opt and sched built as for a fresh run:
//   const { epoch, step } = torch.loadCheckpoint(path, { model, optimizers: opt, schedulers: sched });
//
// Several models or optimizers go by name ({ teacher, student }) or as a list.
// The random state is libtorch's default (CPU) generator's and, where CUDA is
// available, every GPU's; a seeded DataLoader resumes from its (epoch, batch),
// which belong in `extra`. Tensors are written from CPU copies, so a checkpoint
// saved on a GPU loads on a CPU-only machine; loading copies each tensor onto the
// device of the parameter (or optimizer state) it restores.
import * as cuda from './cuda.js';
import { tidy } from './scope.js';
import { load, save, type Saveable } from './serialize.js';
import { getRngState, setRngState } from './runtime.js';
import { Tensor } from './tensor.js';
import type { Optimizer, OptimizerStateDict } from './optim/optimizer.js';
import type { LRScheduler, SchedulerStateDict } from './optim/lr-scheduler.js';

/** What a checkpoint needs of a model: torch.nn.Module's state-dict pair. */
export interface StateDictModule {
  stateDict(): Record<string, Tensor>;
  loadStateDict(stateDict: Record<string, Tensor>, strict?: boolean): unknown;
}

/** One item, a list, or items by name. */
type Some<T> = T | T[] | { [name: string]: T };

export interface CheckpointParts {
  /** A module, or modules by name (e.g. { teacher, student }). */
  model?: Some<StateDictModule>;
  optimizers?: Some<Optimizer<any>>;
  schedulers?: Some<LRScheduler>;
  /**
   * Save the random state (default true) so dropout and sampling continue identically: the
   * default (CPU) generator's and, when CUDA is available, each GPU's.
   */
  rng?: boolean;
  /** The caller's own values: step, epoch, best metric, a data loader's position... */
  extra?: { [key: string]: Saveable };
}

export interface CheckpointTargets {
  model?: Some<StateDictModule>;
  optimizers?: Some<Optimizer<any>>;
  schedulers?: Some<LRScheduler>;
  /**
   * Restore the random state when the checkpoint has one (default true). GPU states are
   * restored where CUDA is available, one per saved GPU that exists here; elsewhere they are ignored.
   */
  rng?: boolean;
  /** Passed to the model's loadStateDict (default true). */
  strict?: boolean;
}

const FORMAT = 'lot-checkpoint';
const VERSION = 1;

function isStateDictModule(x: unknown): x is StateDictModule {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as StateDictModule).stateDict === 'function' &&
    typeof (x as StateDictModule).loadStateDict === 'function'
  );
}

/** Items by key: a single item is '0', a list's items are '0', '1', ..., a record keeps its names. */
function entries<T>(value: Some<T>, isItem: (x: unknown) => boolean): [string, T][] {
  if (isItem(value)) return [['0', value as T]];
  if (Array.isArray(value)) return value.map((v, i) => [String(i), v]);
  return Object.entries(value as { [name: string]: T });
}

const isOptimizer = (x: unknown) => typeof x === 'object' && x !== null && Array.isArray((x as Optimizer<any>).paramGroups);
const isScheduler = (x: unknown) => typeof x === 'object' && x !== null && typeof (x as LRScheduler).getLastLr === 'function';

/**
 * Writes one checkpoint file (atomically) with the model's state dict, every
 * optimizer's and scheduler's state, the random state and `extra`.
 */
export function saveCheckpoint(path: string, parts: CheckpointParts): void {
  tidy(() => {
    const record: { [key: string]: Saveable } = { format: FORMAT, version: VERSION };
    if (parts.model !== undefined) {
      if (isStateDictModule(parts.model)) record.model = parts.model.stateDict();
      else record.models = Object.fromEntries(entries(parts.model, isStateDictModule).map(([k, m]) => [k, m.stateDict()]));
    }
    if (parts.optimizers !== undefined) {
      record.optimizers = Object.fromEntries(
        entries(parts.optimizers, isOptimizer).map(([k, o]) => [k, o.stateDict() as unknown as Saveable]),
      );
    }
    if (parts.schedulers !== undefined) {
      record.schedulers = Object.fromEntries(entries(parts.schedulers, isScheduler).map(([k, s]) => [k, s.stateDict()]));
    }
    record.rng = parts.rng === false ? null : getRngState();
    if (parts.rng !== false && cuda.isAvailable()) record.cuda_rng = cuda.getRngStateAll();
    record.extra = parts.extra ?? {};
    save(record, path);
  });
}

function refuse(path: string, why: string): never {
  throw new Error(
    `${path} is not a usable checkpoint: ${why}. Delete or move it and start from scratch, or pass a file written by saveCheckpoint().`,
  );
}

/**
 * Restores what `targets` names from a checkpoint written by saveCheckpoint
 * (model(s), optimizers, schedulers, and the random state unless rng: false)
 * and returns the `extra` values saved with it. Build the model, optimizers and
 * schedulers as for a fresh run first (a scheduler's constructor sets learning
 * rates; loading overrides them), then load. Every part asked for is matched
 * before any is changed; a missing one is an Error naming the file.
 */
export function loadCheckpoint(path: string, targets: CheckpointTargets = {}): { [key: string]: Saveable } {
  return tidy(() => {
    let record: Saveable;
    try {
      // Onto the CPU: each part is copied onto the device of what it restores.
      record = load(path, { mapLocation: 'cpu' });
    } catch (e) {
      throw new Error(
        `cannot load checkpoint: ${(e as Error).message.replace(/\.+$/, '')}. Delete or move the file and start from scratch, or pass a file written by saveCheckpoint().`,
      );
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof Tensor) {
      refuse(path, 'it is a torch.save file but holds no record');
    }
    const r = record as { [key: string]: Saveable };
    if (r.format !== FORMAT) refuse(path, "it is a torch.save file but not a LoT checkpoint (no format: 'lot-checkpoint')");
    if (typeof r.version !== 'number' || r.version > VERSION)
      refuse(path, `it has checkpoint version ${String(r.version)}, newer than this library's ${VERSION}`);

    const section = (key: string, what: string): { [k: string]: Saveable } => {
      const s = r[key];
      if (s === undefined || s === null || typeof s !== 'object' || Array.isArray(s) || s instanceof Tensor)
        refuse(path, `it has no ${what}`);
      return s as { [k: string]: Saveable };
    };
    const pick = <T>(value: Some<T>, isItem: (x: unknown) => boolean, saved: { [k: string]: Saveable }, what: string): [T, Saveable][] => {
      const wanted = entries(value, isItem);
      const keys = Object.keys(saved);
      if (wanted.length !== keys.length) refuse(path, `it holds ${keys.length} ${what} but ${wanted.length} were given to restore`);
      return wanted.map(([k, item]) => {
        if (!(k in saved))
          refuse(path, `it has no ${what.replace(/s$/, '')} named '${k}' (it has ${keys.map((n) => `'${n}'`).join(', ')})`);
        return [item, saved[k]];
      });
    };

    // Match every part first, so a checkpoint that lacks one is refused before anything is changed.
    const strict = targets.strict ?? true;
    let models: [StateDictModule, Saveable][] = [];
    if (targets.model !== undefined) {
      if (isStateDictModule(targets.model)) {
        if (r.model === undefined) refuse(path, "it has no 'model' state dict (it was saved with several models: pass them by name)");
        models = [[targets.model, r.model]];
      } else models = pick(targets.model, isStateDictModule, section('models', 'models'), 'models');
    }
    const optimizers =
      targets.optimizers === undefined
        ? []
        : pick(targets.optimizers, isOptimizer, section('optimizers', 'optimizer states'), 'optimizers');
    const schedulers =
      targets.schedulers === undefined
        ? []
        : pick(targets.schedulers, isScheduler, section('schedulers', 'scheduler states'), 'schedulers');
    const extra = r.extra ?? {};
    if (typeof extra !== 'object' || Array.isArray(extra) || extra instanceof Tensor) refuse(path, 'its extra values are not a record');

    for (const [m, sd] of models) m.loadStateDict(sd as Record<string, Tensor>, strict);
    for (const [o, sd] of optimizers) o.loadStateDict(sd as unknown as OptimizerStateDict);
    for (const [s, sd] of schedulers) s.loadStateDict(sd as SchedulerStateDict);
    if (targets.rng ?? true) {
      if (r.rng instanceof Tensor) setRngState(r.rng);
      const gpuStates = Array.isArray(r.cuda_rng) ? r.cuda_rng.filter((s): s is Tensor => s instanceof Tensor) : [];
      if (gpuStates.length > 0 && cuda.isAvailable()) cuda.setRngStateAll(gpuStates.slice(0, cuda.deviceCount()));
    }
    // Tensors in extra survive this scope; everything else the file held is freed.
    return extra as { [key: string]: Saveable };
  });
}
