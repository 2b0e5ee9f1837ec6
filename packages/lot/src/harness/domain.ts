// A domain is a plug-in: it knows its data, models, task loss and evaluation; the harness
// knows how a run lives (config, schedule, progress, checkpoints, resume, records). Vision
// implements this now; language models and RL implement it next, without editing the harness.
import type * as torch from '@lot/torch';
import type { ForwardOutput, Learner, LotStepMetrics, LotTask, LotTrainer } from '../lot/index.js';
import type { RunConfig } from './config.js';
import type { CommandSpec, OptionSpec, OptionValues } from './options.js';
import type { ModelMetrics, PrimaryMetric } from './records.js';

/** One evaluation of the teacher and each student (eval mode, no graph). */
export interface Evaluation {
  /** Must hold the domain's primary metric key; more keys are recorded too. */
  teacher: ModelMetrics;
  students: ModelMetrics[];
  /** KLτ(teacher ‖ first student) over the evaluation data; null without students. */
  kl: number | null;
}

/** A learning-rate schedule of the engine's (torch.optim.lr_scheduler), stepped after every epoch or every teacher step. */
export interface Schedule {
  scheduler: torch.optim.LRScheduler;
  every: 'epoch' | 'step';
}

/** One run of a domain: what the harness trains. */
export interface DomainRun<B, O extends ForwardOutput = ForwardOutput> {
  teacher: Learner;
  students: Learner[];
  task: LotTask<B, O>;
  /** Each student's forward cost relative to the teacher's (docs/METHOD.md#cost-model); default 1 each. */
  studentRelativeCost?: number[];
  /** Main-stream batches (teacher steps) per epoch. */
  stepsPerEpoch: number;
  /** What examples are called in the progress line: 'img', 'tok'. */
  unit: string;
  /** Batch `index` (0-based) of epoch `epoch` (1-based) of the main stream; deterministic, so a resumed run sees the same. */
  mainBatch(epoch: number, index: number): B;
  /** The students' cursor's batch at `position` (wrapping around the data). */
  cursorBatch(position: number): B;
  /** The domain's own teacher step (RL: a joint step per minibatch, then passes over a cache); default trainer.step(batch). */
  teacherStep?(trainer: LotTrainer<B, O>, batch: B, step: number): LotStepMetrics;
  /** Learning-rate schedules by name (one per optimizer, or none). */
  schedules: Record<string, Schedule>;
  evaluate(trainer: LotTrainer<B, O>): Evaluation;
  /** The evaluation once the run completes, when the domain has one (language models: test split on each model's best checkpoint). */
  finalEvaluation?(trainer: LotTrainer<B, O>): Evaluation;
  /** The domain's own resumable state (RL: the observation cache, environment state), saved in checkpoints. */
  saveState?(): Record<string, torch.Saveable>;
  loadState?(saved: Record<string, torch.Saveable>): void;
  /** Frees what the run holds (evaluation data…). */
  dispose(): void;
}

/**
 * A domain: `lot train <name>`'s options, config and metric, light enough for `--help` and
 * argument errors to be instant; what needs libtorch (data, models, runs) comes from `runtime()`.
 */
export interface Domain<S extends object, D> {
  /** `lot train <name>`, and `kind` in config.json. */
  readonly name: string;
  /** One line for `lot train --help`. */
  readonly summary: string;
  /** Model names for --teacher and --student, and the default. */
  readonly models: readonly string[];
  readonly defaultModel: string;
  /** The default model given the other flags, when it depends on them (RL: the Nature CNN for Atari games); default `defaultModel`. */
  defaultModelFor?(values: OptionValues): string;
  readonly metric: PrimaryMetric;
  /** What N counts in this domain, as an axis title (ablation plots); default "N (student updates per teacher update)". */
  readonly nLabel?: string;
  /** Keys of the teacher's evaluation shown in the progress line besides the metric (RL: `episodes`). */
  readonly progressKeys?: readonly string[];
  /** The metric of a run with these settings, when it depends on them (RL: the environment's reward threshold); default `metric`. */
  metricFor?(settings: S): PrimaryMetric;
  /** The flags this domain adds to `lot train <name>` (the harness adds the LoT and run flags). */
  readonly options: readonly OptionSpec[];
  /** Examples for its help. */
  readonly examples: readonly string[];
  /** Paragraphs its help adds (what resume restores, how big checkpoints get). */
  readonly notes?: readonly string[];
  /** Named recipes (`--preset NAME`): values of its and the harness's options, under --config and flags. */
  readonly presets?: CommandSpec['presets'];
  /**
   * LoT's cost per teacher step over teacher-only's, for equal compute, when the domain's step is
   * not the harness's (RL: a PPO update with cache passes); default the analytic (3+3+(N−1)·4)/3.
   */
  costRatio?(settings: S, n: number, studentRelative: number[]): number;
  /** Overrides of the harness's option defaults for this domain (e.g. `{ epochs: 10 }`). */
  readonly defaults?: Readonly<Record<string, number | string | boolean>>;
  /** The domain's settings from parsed options (UsageError for impossible combinations). */
  settingsFrom(values: OptionValues): S;
  /** The domain's settings back from config.json (checked field by field). */
  parseSettings(raw: unknown, where: string): S;
  /** What summaries and reports call the data: `fashion-mnist`, `kjv`, `text:notes.txt`. */
  dataLabel(settings: S): string;
  /** The part that needs libtorch, loaded on first use. */
  runtime(): Promise<DomainRuntime<S, D>>;
}

export interface DomainRuntime<S extends object, D> {
  /** Loads the data a config names (shared by the runs of one command); UsageError when missing. */
  loadData(config: RunConfig & S, log: (line: string) => void): Promise<D>;
  /** One line describing loaded data. */
  describeData(data: D): string;
  /** Each student's forward cost relative to the teacher's, for equal compute (default 1 each). */
  studentRelativeCost?(teacher: string, students: string[], settings: S): number[];
  /** A run on `placement.device`, training on `placement.shard` of the main stream and the cursor (data-parallel ranks). */
  createRun(config: RunConfig & S, data: D, placement: RunPlacement): DomainRun<unknown>;
}

/**
 * Where a run trains: its device ('cpu', 'cuda:0') and its shard of the data. With `count`
 * ranks each batch of the main stream and of the students' cursor is `count` × the configured
 * batch, rank `rank` taking the `rank`-th part (the configured batch size is per rank, as
 * PyTorch's DDP examples use it), so that the ranks together see what one process would see
 * with the `count`-times larger batch.
 */
export interface RunPlacement {
  device: string;
  shard: Shard;
}

/** A data-parallel rank's part of the data: rank `rank` of `count`. */
export interface Shard {
  rank: number;
  count: number;
}

/** Any domain, as registries and the harness hold them. */
export type AnyDomain = Domain<object, unknown>;
