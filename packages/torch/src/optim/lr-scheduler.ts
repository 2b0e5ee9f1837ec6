// Learning-rate schedules, as torch.optim.lr_scheduler: the same recursive
// ("chainable") formulas, so the printed learning rates match PyTorch's.
// Call step() after optimizer.step(), once per epoch or once per batch: the
// schedule counts calls, whichever unit they stand for.
import type { Saveable } from '../serialize.js';
import type { BaseOptions, Optimizer, ParamGroup } from './optimizer.js';

type AnyOptimizer = Optimizer<BaseOptions>;
type LrGroup = ParamGroup<BaseOptions>;

/** A scheduler's state as a record (PyTorch's keys), for checkpoints. */
export type SchedulerStateDict = { [key: string]: Saveable };

const bisectRight = (sorted: number[], x: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};
/** Python's % (the result has the divisor's sign). */
const pyMod = (a: number, b: number): number => ((a % b) + b) % b;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  baseLrs: number[];
  lastEpoch: number;
  protected stepCount = 0;
  protected isInitial = false;
  protected lastLr: number[] = [];

  /**
   * Subclasses set their fields, then call `this.initialStep()`, which sets the
   * optimizer's learning rates for epoch 0 (as PyTorch's constructor does).
   */
  protected constructor(optimizer: Optimizer<any>, lastEpoch = -1) {
    this.optimizer = optimizer as AnyOptimizer;
    const groups = this.groups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(
            `param 'initialLr' is not specified in paramGroups[${i}] when resuming a scheduler with lastEpoch >= 0: load the optimizer's state first`,
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): LrGroup[] {
    return this.optimizer.paramGroups;
  }

  protected currentLrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /** @internal Resets the step count and takes the first step (PyTorch's _initial_step). */
  initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** The learning rates for the next epoch (the recursive form); used inside step(). */
  protected abstract getLr(): number[];
  /** The learning rates at lastEpoch in closed form, where the schedule has one. */
  protected closedFormLr?(): number[];

  /** Advances the schedule by one epoch (or one batch) and sets the optimizer's learning rates. */
  step(): void {
    this.stepCount += 1;
    this.updateLr();
  }

  /** @internal Sets lastEpoch (+1, or to `epoch` using the closed form) and applies the learning rates. */
  updateLr(epoch?: number): void {
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    const groups = this.groups;
    if (values.length !== groups.length)
      throw new Error(`${this.constructor.name}: got ${values.length} learning rates for ${groups.length} parameter groups`);
    groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.currentLrs();
  }

  /** The learning rates set by the last step, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Hyperparameters by PyTorch's attribute names; subclasses add theirs. */
  protected hyperparameters(): SchedulerStateDict {
    return {};
  }

  protected loadHyperparameters(_state: SchedulerStateDict): void {}

  /** The state (PyTorch's attribute names), to save next to the optimizer's. */
  stateDict(): SchedulerStateDict {
    return {
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      _step_count: this.stepCount,
      _is_initial: false,
      _get_lr_called_within_step: false,
      _last_lr: [...this.lastLr],
      ...this.hyperparameters(),
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    if (!state || typeof state !== 'object' || typeof state.last_epoch !== 'number') {
      throw new Error(`${this.constructor.name}.loadStateDict(): not a scheduler state dict (no last_epoch)`);
    }
    if (Array.isArray(state.base_lrs)) this.baseLrs = (state.base_lrs as number[]).map(Number);
    this.lastEpoch = state.last_epoch;
    if (typeof state._step_count === 'number') this.stepCount = state._step_count;
    if (Array.isArray(state._last_lr)) this.lastLr = (state._last_lr as number[]).map(Number);
    this.loadHyperparameters(state);
  }
}

const num = (state: SchedulerStateDict, key: string, fallback: number): number =>
  typeof state[key] === 'number' ? (state[key] as number) : fallback;

/** lr = base lr × lrLambda(epoch); one function, or one per parameter group. Functions are not saved. */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<any>, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const n = this.groups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== n) throw new Error(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
      this.lrLambdas = [...lrLambda];
    } else this.lrLambdas = new Array(n).fill(lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/** Multiplies the learning rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer<any>, stepSize: number, gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { step_size: this.stepSize, gamma: this.gamma };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.stepSize = num(s, 'step_size', this.stepSize);
    this.gamma = num(s, 'gamma', this.gamma);
  }
}

/** Multiplies the learning rate by gamma at each milestone (a milestone listed twice counts twice). */
export class MultiStepLR extends LRScheduler {
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: Optimizer<any>, milestones: number[], gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.milestones = new Map();
    for (const m of milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return this.currentLrs();
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    const sorted: number[] = [];
    for (const [m, c] of [...this.milestones].sort((a, b) => a[0] - b[0])) for (let i = 0; i < c; ++i) sorted.push(m);
    return this.baseLrs.map((base) => base * this.gamma ** bisectRight(sorted, this.lastEpoch));
  }

  protected override hyperparameters(): SchedulerStateDict {
    const milestones: { [m: string]: Saveable } = {};
    for (const [m, c] of this.milestones) milestones[String(m)] = c;
    return { milestones, gamma: this.gamma };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    if (s.milestones && typeof s.milestones === 'object') {
      this.milestones = new Map(Object.entries(s.milestones as Record<string, number>).map(([m, c]) => [Number(m), Number(c)]));
    }
    this.gamma = num(s, 'gamma', this.gamma);
  }
}

/** Multiplies the learning rate by factor until totalIters epochs have passed. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: Optimizer<any>, factor = 1 / 3, totalIters = 5, lastEpoch = -1) {
    if (factor > 1 || factor < 0) throw new RangeError('Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, lastEpoch);
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.currentLrs();
    return this.groups.map((g) => g.lr * (1.0 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { factor: this.factor, total_iters: this.totalIters };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.factor = num(s, 'factor', this.factor);
    this.totalIters = num(s, 'total_iters', this.totalIters);
  }
}

/** Linear warmup (or decay): the factor goes from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(
    optimizer: Optimizer<any>,
    options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    const { startFactor = 1 / 3, endFactor = 1.0, totalIters = 5, lastEpoch = -1 } = options;
    if (startFactor > 1 || startFactor <= 0)
      throw new RangeError('Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    if (endFactor > 1 || endFactor < 0) throw new RangeError('Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.startFactor);
    if (this.isInitial || this.lastEpoch > this.totalIters) return this.currentLrs();
    const delta = this.endFactor - this.startFactor;
    return this.groups.map((g) => g.lr * (1.0 + delta / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * delta)));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (base) =>
        base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.startFactor = num(s, 'start_factor', this.startFactor);
    this.endFactor = num(s, 'end_factor', this.endFactor);
    this.totalIters = num(s, 'total_iters', this.totalIters);
  }
}

/** Multiplies the learning rate by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer<any>, gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.isInitial) return this.currentLrs();
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { gamma: this.gamma };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.gamma = num(s, 'gamma', this.gamma);
  }
}

/**
 * Cosine annealing from the base lr to etaMin over tMax epochs (and back up
 * after, as PyTorch's recursive form does; use SequentialLR for restarts).
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer<any>, tMax: number, etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch } = this;
    if (this.isInitial) return this.currentLrs();
    if (this.stepCount === 1 && lastEpoch > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if (pyMod(lastEpoch - 1 - tMax, 2 * tMax) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.tMax = num(s, 'T_max', this.tMax);
    this.etaMin = num(s, 'eta_min', this.etaMin);
  }
}

/** Runs schedulers one after another, switching at the milestones (e.g. warmup, then cosine). */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: Optimizer<any>, schedulers: LRScheduler[], milestones: number[], lastEpoch = -1) {
    if (schedulers.length < 1) throw new Error('SequentialLR expects at least one scheduler, but got no scheduler.');
    schedulers.forEach((s, i) => {
      if (s instanceof ReduceLROnPlateau)
        throw new Error(`SequentialLR does not support ReduceLROnPlateau (at index ${i}): its step needs the metric`);
      if (s.optimizer !== (optimizer as unknown)) {
        throw new Error(
          `SequentialLR expects all schedulers to belong to the same optimizer, but the scheduler at index ${i} has another one`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(
        `SequentialLR expects one milestone fewer than schedulers, but got ${schedulers.length} schedulers and ${milestones.length} milestones`,
      );
    }
    super(optimizer, -1);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    for (const g of this.groups) g.lr = g.initialLr as number;
    undoOneStep(this);
    const idx = bisectRight(this.milestones, 0);
    this.schedulers[idx].initialStep();
    this.lastLr = this.schedulers[idx].getLastLr();
  }

  protected getLr(): number[] {
    throw new Error('SequentialLR has no learning-rate formula of its own');
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.updateLr(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const subs = state?._schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length || typeof state.last_epoch !== 'number') {
      throw new Error(`SequentialLR.loadStateDict(): expected a state with ${this.schedulers.length} schedulers`);
    }
    this.lastEpoch = state.last_epoch;
    if (Array.isArray(state._milestones)) this.milestones = (state._milestones as number[]).map(Number);
    if (Array.isArray(state._last_lr)) this.lastLr = (state._last_lr as number[]).map(Number);
    subs.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerStateDict));
  }
}

/** Steps several schedulers together each time (their factors multiply). */
export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[], optimizer?: Optimizer<any>) {
    if (schedulers.length < 1) throw new Error('ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.');
    const opt = (optimizer ?? schedulers[0].optimizer) as AnyOptimizer;
    schedulers.forEach((s, i) => {
      if (s instanceof ReduceLROnPlateau)
        throw new Error(`ChainedScheduler does not support ReduceLROnPlateau (at index ${i}): its step needs the metric`);
      if (s.optimizer !== opt)
        throw new Error(
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but the scheduler at index ${i} has another one`,
        );
    });
    super(opt, -1);
    this.schedulers = [...schedulers];
    this.lastLr = this.currentLrs();
  }

  protected getLr(): number[] {
    throw new Error('ChainedScheduler has no learning-rate formula of its own');
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.currentLrs();
  }

  override stateDict(): SchedulerStateDict {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const subs = state?._schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new Error(`ChainedScheduler.loadStateDict(): expected a state with ${this.schedulers.length} schedulers`);
    }
    if (Array.isArray(state._last_lr)) this.lastLr = (state._last_lr as number[]).map(Number);
    subs.forEach((s, i) => this.schedulers[i].loadStateDict(s as SchedulerStateDict));
  }
}

/** PyTorch's recursive_undo: every leaf scheduler goes back one epoch. */
function undoOneStep(s: LRScheduler): void {
  if (s instanceof SequentialLR || s instanceof ChainedScheduler) for (const sub of s.schedulers) undoOneStep(sub);
  else s.lastEpoch -= 1;
}

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should go down (a loss); 'max': up (an accuracy). */
  mode?: 'min' | 'max';
  /** The learning rate is multiplied by this when the metric stalls. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. */
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** A floor for every group, or one per group. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. */
  eps?: number;
}

/** Reduces the learning rate when a metric has stopped improving: call step(metric) once per evaluation. */
export class ReduceLROnPlateau extends LRScheduler {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  defaultMinLr: number | null;
  eps: number;
  best = Infinity;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(optimizer: Optimizer<any>, options: ReduceLROnPlateauOptions = {}) {
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = options;
    if (factor >= 1.0) throw new RangeError('Factor should be < 1.0.');
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`mode ${String(mode)} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new RangeError(`threshold mode ${String(thresholdMode)} is unknown!`);
    super(optimizer, -1);
    const n = this.groups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new Error(`expected ${n} min_lrs, got ${minLr.length}`);
      this.defaultMinLr = null;
      this.minLrs = [...minLr];
    } else {
      this.defaultMinLr = minLr;
      this.minLrs = new Array(n).fill(minLr);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.lastEpoch = 0;
    this.lastLr = this.currentLrs();
    this.best = this.modeWorse;
  }

  private get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  protected getLr(): number[] {
    return this.currentLrs();
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records the metric of the epoch just finished and reduces the learning rates if it has stalled. */
  override step(metric?: number): void {
    if (typeof metric !== 'number') throw new TypeError('ReduceLROnPlateau.step(metric) needs the metric (e.g. the validation loss)');
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.currentLrs();
  }

  private reduceLr(): void {
    const groups = this.groups;
    if (groups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null)
        throw new Error(`the optimizer has ${groups.length} parameter groups but ReduceLROnPlateau has ${this.minLrs.length} minLr values`);
      this.minLrs = new Array(groups.length).fill(this.defaultMinLr);
    }
    groups.forEach((g, i) => {
      const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
      if (g.lr - newLr > this.eps) g.lr = newLr;
    });
  }

  override stateDict(): SchedulerStateDict {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      default_min_lr: this.defaultMinLr,
      patience: this.patience,
      cooldown: this.cooldown,
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      mode_worse: this.modeWorse,
      best: this.best,
      cooldown_counter: this.cooldownCounter,
      num_bad_epochs: this.numBadEpochs,
    };
  }

  override loadStateDict(s: SchedulerStateDict): void {
    if (!s || typeof s !== 'object' || typeof s.last_epoch !== 'number' || typeof s.best !== 'number') {
      throw new Error('ReduceLROnPlateau.loadStateDict(): not a ReduceLROnPlateau state dict');
    }
    this.factor = num(s, 'factor', this.factor);
    if (Array.isArray(s.min_lrs)) this.minLrs = (s.min_lrs as number[]).map(Number);
    if (s.default_min_lr === null || typeof s.default_min_lr === 'number') this.defaultMinLr = s.default_min_lr;
    this.patience = num(s, 'patience', this.patience);
    this.cooldown = num(s, 'cooldown', this.cooldown);
    this.eps = num(s, 'eps', this.eps);
    this.lastEpoch = s.last_epoch;
    if (Array.isArray(s._last_lr)) this.lastLr = (s._last_lr as number[]).map(Number);
    if (s.mode === 'min' || s.mode === 'max') this.mode = s.mode;
    this.threshold = num(s, 'threshold', this.threshold);
    if (s.threshold_mode === 'rel' || s.threshold_mode === 'abs') this.thresholdMode = s.threshold_mode;
    this.best = s.best;
    this.cooldownCounter = num(s, 'cooldown_counter', this.cooldownCounter);
    this.numBadEpochs = num(s, 'num_bad_epochs', this.numBadEpochs);
  }
}

export interface OneCycleLROptions {
  /** The peak learning rate, for every group or one per group. */
  maxLr: number | number[];
  /** The number of steps in the cycle (or give epochs and stepsPerEpoch). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the learning rate (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD, RMSprop) or beta1 (Adam, AdamW) inversely to the learning rate (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface SchedulePhase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

/** The 1cycle policy (Smith & Topin): call step() after every batch, totalSteps times in all. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  phases: SchedulePhase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;

  constructor(optimizer: Optimizer<any>, options: OneCycleLROptions) {
    const o = options;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0)
        throw new RangeError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
      totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(o.epochs) || o.epochs <= 0) throw new RangeError(`Expected positive integer epochs, but got ${o.epochs}`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch <= 0)
        throw new RangeError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
      totalSteps = o.epochs * o.stepsPerEpoch;
    } else throw new Error('You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    const pctStart = o.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`Expected float between 0 and 1 pct_start, but got ${pctStart}`);
    const annealStrategy = o.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      throw new RangeError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${String(annealStrategy)}`);
    const groups = (optimizer as AnyOptimizer).paramGroups as unknown as Record<string, any>[];
    const perGroup = (name: string, v: number | number[]): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== groups.length)
          throw new Error(
            `${name} must have the same length as optimizer.paramGroups. ${name} has ${v.length} values, paramGroups has ${groups.length}.`,
          );
        return [...v];
      }
      return new Array(groups.length).fill(v);
    };
    const maxLrs = perGroup('maxLr', o.maxLr);
    const divFactor = o.divFactor ?? 25;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    groups.forEach((g, i) => {
      g.initialLr = maxLrs[i] / divFactor;
      g.maxLr = maxLrs[i];
      g.minLr = g.initialLr / finalDivFactor;
    });
    const cycleMomentum = o.cycleMomentum ?? true;
    const defaults = (optimizer as AnyOptimizer).defaults as unknown as Record<string, unknown>;
    const useBeta1 = 'betas' in defaults;
    if (cycleMomentum) {
      if (!('momentum' in defaults) && !useBeta1)
        throw new Error('optimizer must support momentum or beta1 with `cycleMomentum` option enabled');
      const maxM = perGroup('maxMomentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup('baseMomentum', o.baseMomentum ?? 0.85);
      groups.forEach((g, i) => {
        if (useBeta1) g.betas = [maxM[i], ...g.betas.slice(1)];
        else g.momentum = maxM[i];
        g.maxMomentum = maxM[i];
        g.baseMomentum = baseM[i];
      });
    }
    super(optimizer, -1);
    this.totalSteps = totalSteps;
    this.phases = o.threePhase
      ? [
          {
            end_step: pctStart * totalSteps - 1,
            start_lr: 'initialLr',
            end_lr: 'maxLr',
            start_momentum: 'maxMomentum',
            end_momentum: 'baseMomentum',
          },
          {
            end_step: 2 * pctStart * totalSteps - 2,
            start_lr: 'maxLr',
            end_lr: 'initialLr',
            start_momentum: 'baseMomentum',
            end_momentum: 'maxMomentum',
          },
          { end_step: totalSteps - 1, start_lr: 'initialLr', end_lr: 'minLr', start_momentum: 'maxMomentum', end_momentum: 'maxMomentum' },
        ]
      : [
          {
            end_step: pctStart * totalSteps - 1,
            start_lr: 'initialLr',
            end_lr: 'maxLr',
            start_momentum: 'maxMomentum',
            end_momentum: 'baseMomentum',
          },
          { end_step: totalSteps - 1, start_lr: 'maxLr', end_lr: 'minLr', start_momentum: 'baseMomentum', end_momentum: 'maxMomentum' },
        ];
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps)
      throw new Error(`Tried to step ${stepNum} times. The specified number of total steps is ${this.totalSteps}`);
    return (this.groups as unknown as Record<string, any>[]).map((g) => {
      let start = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; ++i) {
        const phase = this.phases[i];
        if (stepNum <= phase.end_step || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (phase.end_step - start);
          lr = this.anneal(g[phase.start_lr], g[phase.end_lr], pct);
          if (this.cycleMomentum) momentum = this.anneal(g[phase.start_momentum], g[phase.end_momentum], pct);
          break;
        }
        start = phase.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...g.betas.slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }

  protected override hyperparameters(): SchedulerStateDict {
    return {
      total_steps: this.totalSteps,
      _schedule_phases: this.phases.map((p) => ({
        end_step: p.end_step,
        start_lr: toSnakeKey(p.start_lr),
        end_lr: toSnakeKey(p.end_lr),
        start_momentum: toSnakeKey(p.start_momentum),
        end_momentum: toSnakeKey(p.end_momentum),
      })),
      _anneal_func_type: this.annealStrategy,
      cycle_momentum: this.cycleMomentum,
      use_beta1: this.useBeta1,
    };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.totalSteps = num(s, 'total_steps', this.totalSteps);
    if (Array.isArray(s._schedule_phases)) {
      this.phases = (s._schedule_phases as unknown as SchedulePhase[]).map((p) => ({
        ...p,
        // Python's keys name group entries in snake_case.
        start_lr: toCamelKey(p.start_lr),
        end_lr: toCamelKey(p.end_lr),
        start_momentum: toCamelKey(p.start_momentum),
        end_momentum: toCamelKey(p.end_momentum),
      }));
    }
    if (s._anneal_func_type === 'cos' || s._anneal_func_type === 'linear') this.annealStrategy = s._anneal_func_type;
    if (typeof s.cycle_momentum === 'boolean') this.cycleMomentum = s.cycle_momentum;
    if (typeof s.use_beta1 === 'boolean') this.useBeta1 = s.use_beta1;
  }
}

const toSnakeKey = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamelKey = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Cosine annealing with warm restarts (SGDR): the cosine runs over t0 epochs,
 * then restarts over t0 × tMult, and so on. step() advances one epoch;
 * step(epoch) accepts a fractional epoch (e.g. epoch + batch / batches).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;

  constructor(optimizer: Optimizer<any>, t0: number, tMult = 1, etaMin = 0, lastEpoch = -1) {
    if (!Number.isInteger(t0) || t0 <= 0) throw new RangeError(`Expected positive integer T_0, but got ${t0}`);
    if (!Number.isInteger(tMult) || tMult < 1) throw new RangeError(`Expected integer T_mult >= 1, but got ${tMult}`);
    super(optimizer, lastEpoch);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur % this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (epoch < 0) throw new RangeError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.currentLrs();
  }

  protected override hyperparameters(): SchedulerStateDict {
    return { T_0: this.t0, T_i: this.tI, T_mult: this.tMult, eta_min: this.etaMin, T_cur: this.tCur };
  }

  protected override loadHyperparameters(s: SchedulerStateDict): void {
    this.t0 = num(s, 'T_0', this.t0);
    this.tI = num(s, 'T_i', this.tI);
    this.tMult = num(s, 'T_mult', this.tMult);
    this.etaMin = num(s, 'eta_min', this.etaMin);
    this.tCur = num(s, 'T_cur', this.tCur);
  }
}
