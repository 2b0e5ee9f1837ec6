// The LoT updates (docs/METHOD.md#losses, #the-schedule), for any task:
// - jointStep(batch): the teacher and every student on the same batch, both losses from one
//   forward of each taken before either update, one backward, every model steps;
// - studentStep(batch): the students alone against the teacher's current predictions (the
//   teacher's forward without a graph);
// - step(batch): the schedule of vision and language models, a joint step then N−1 student
//   steps on the students' own cursor. RL composes the two public steps its own way.
// Recurrent state lives here, per (model, stream), detached between forward passes.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { type CostModel, checkN, jointStepCost, studentCosts, studentOnlyStepCost, TEACHER_ONLY_STEP_COST } from './cost.js';
import { checkVariant, type LossVariant, studentLoss, teacherKlTerm } from './losses.js';
import type { ForwardContext, ForwardOutput, Learner, LotTask, RecurrentState } from './types.js';

export interface LotConfig {
  /** Weight α of the imitability regularizer (and of the student's KL in the *_ce variants). */
  alpha: number;
  /** Student updates per teacher update (N ≥ 1): one in the joint step, N−1 student-only steps. */
  n: number;
  /** Temperature τ of the KL terms. */
  tau: number;
  variant: LossVariant;
  /** Detach the other model's logits in each loss (the reference default); false lets both losses reach both models. */
  detach: boolean;
  /**
   * The teacher's mode during student-only forward passes (always without a graph). 'train'
   * (default, as the reference): BatchNorm uses batch statistics and updates its running
   * statistics on those batches too; dropout is on. 'eval': running statistics, untouched.
   */
  teacherModeInStudentSteps?: 'train' | 'eval';
}

export const DEFAULT_LOT_CONFIG: Readonly<Required<LotConfig>> = Object.freeze({
  alpha: 0.5,
  n: 2,
  tau: 1.5,
  variant: 'kl_ce',
  detach: true,
  teacherModeInStudentSteps: 'train',
});

export interface StudentOnlyStepMetrics {
  /** Each student's loss and its KL part. */
  losses: number[];
  kls: number[];
  batchSize: number;
}

export interface LotStepMetrics {
  /** The teacher's total loss L_T = task + α·Σλ_i·KL. */
  teacherLoss: number;
  teacherTaskLoss: number;
  /** Σ_i λ_i · KL term (before α); 0 without students. */
  teacherRegularizer: number;
  /** Students' joint-step losses, task losses (null for KL-only variants) and KL terms. */
  studentLosses: number[];
  studentTaskLosses: (number | null)[];
  studentKls: number[];
  /** The student-only steps that followed. */
  studentOnly: StudentOnlyStepMetrics[];
  /** Examples in the joint step's batch. */
  batchSize: number;
  teacherCorrect?: number;
  studentCorrect?: number[];
  /** True when the teacher trained alone (no students). */
  teacherOnly: boolean;
  /** This step's cost in units of one teacher forward pass F. */
  costUnits: number;
}

/** The trainer's counters and recurrent states, for checkpoints. */
export interface LotTrainerState {
  teacherSteps: number;
  /** Student-only steps so far: the students' cursor position. */
  studentOnlySteps: number;
  costUnits: number;
  /** Recurrent state by `<model>/<stream>` (e.g. `teacher/main`, `student0/cursor`). */
  states: Record<string, Tensor[]>;
}

export interface LotTrainerOptions<B, O extends ForwardOutput = ForwardOutput> {
  teacher: Learner;
  /** K ≥ 0 students; none trains the teacher alone ("teacher-only"), through the same calls. */
  students: Learner[];
  task: LotTask<B, O>;
  config: LotConfig;
  /**
   * The students' separate, sequential cursor: the batch at `position` (0, 1, 2…, counted by the
   * trainer across epochs; wrap it around the data). Needed by step() when N > 1.
   */
  studentBatch?: (position: number) => B;
  cost?: CostModel;
}

export interface StepOptions {
  /** α for this step only (RL: 0 in the first update while the students already train). */
  alpha?: number;
  /** Stream names for the recurrent states (default 'main' for joint steps, 'cursor' for student steps). */
  stream?: string;
}

const stateKey = (ctx: Pick<ForwardContext, 'role' | 'index' | 'stream'>): string =>
  `${ctx.role === 'teacher' ? 'teacher' : `student${ctx.index}`}/${ctx.stream}`;

/**
 * Runs LoT. Everything a call creates is released when it returns (batches the cursor makes
 * inside step() included); the caller owns the batch it passes in.
 */
export class LotTrainer<B, O extends ForwardOutput = ForwardOutput> {
  readonly teacher: Learner;
  readonly students: Learner[];
  readonly task: LotTask<B, O>;
  readonly config: Readonly<Required<LotConfig>>;
  /** λ_i, the given weights or uniform 1/K. */
  readonly weights: number[];
  private readonly studentBatch: ((position: number) => B) | undefined;
  private readonly relCost: number[];
  private counters = { teacherSteps: 0, studentOnlySteps: 0, costUnits: 0 };
  private readonly states = new Map<string, RecurrentState>();

  constructor(o: LotTrainerOptions<B, O>) {
    const config = { ...DEFAULT_LOT_CONFIG, ...o.config };
    checkAlpha(config.alpha);
    checkN(config.n);
    if (!(config.tau > 0) || !Number.isFinite(config.tau)) throw new RangeError(`τ must be a finite number > 0, got ${config.tau}`);
    checkVariant(config.variant);
    if (config.teacherModeInStudentSteps !== 'train' && config.teacherModeInStudentSteps !== 'eval') {
      throw new Error(`teacherModeInStudentSteps must be 'train' or 'eval', got '${String(config.teacherModeInStudentSteps)}'`);
    }
    if (!o.teacher?.model || !o.teacher.optimizer) throw new Error('LotTrainer: the teacher needs a model and an optimizer');
    const students = o.students ?? [];
    for (const [i, s] of students.entries()) {
      if (!s?.model || !s.optimizer) throw new Error(`LotTrainer: student ${i} needs a model and an optimizer`);
      if (s.model === o.teacher.model)
        throw new Error(`LotTrainer: student ${i} is the teacher's own model; give it a separately initialized one`);
    }
    this.config = Object.freeze(config);
    this.teacher = o.teacher;
    this.students = [...students];
    this.task = o.task;
    this.studentBatch = o.studentBatch;
    this.weights = studentWeights(this.students);
    this.relCost = studentCosts(o.cost, this.students.length);
  }

  /** True without students: steps train the teacher alone (α = 0 with students is not teacher-only: they still train). */
  get teacherOnly(): boolean {
    return this.students.length === 0;
  }
  get teacherSteps(): number {
    return this.counters.teacherSteps;
  }
  /** Student-only steps taken so far: the students' cursor position. */
  get studentOnlySteps(): number {
    return this.counters.studentOnlySteps;
  }
  /** Training cost so far in units of one teacher forward pass F (docs/METHOD.md#cost-model). */
  get costUnits(): number {
    return this.counters.costUnits;
  }
  /** The analytic cost of one step() of this trainer, in F. */
  get stepCost(): number {
    return this.teacherOnly
      ? TEACHER_ONLY_STEP_COST
      : jointStepCost(this.relCost) + (this.config.n - 1) * studentOnlyStepCost(this.relCost);
  }

  /** Adds cost spent outside the trainer's calls (RL's rollout forward passes), in F. */
  addCost(units: number): void {
    if (!(units >= 0)) throw new RangeError(`addCost: units must be >= 0, got ${units}`);
    this.counters.costUnits += units;
  }

  /** One teacher step: the joint step on `batch`, then N−1 student-only steps on the cursor's next batches. */
  step(batch: B, o: StepOptions = {}): LotStepMetrics {
    const metrics = this.jointStep(batch, o);
    if (this.teacherOnly) return metrics;
    if (this.config.n > 1 && !this.studentBatch) throw new Error('LotTrainer.step: N > 1 needs the studentBatch cursor option');
    for (let j = 1; j < this.config.n; ++j) {
      const s = torch.tidy(() => this.studentStep(this.studentBatch!(this.counters.studentOnlySteps)));
      metrics.studentOnly.push(s);
      metrics.costUnits += studentOnlyStepCost(this.relCost);
    }
    return metrics;
  }

  /** The joint step on `batch` (a teacher step): teacher and students from one forward each, then all step. */
  jointStep(batch: B, o: StepOptions = {}): LotStepMetrics {
    const alpha = o.alpha ?? this.config.alpha;
    checkAlpha(alpha);
    const stream = o.stream ?? 'main';
    const metrics = torch.tidy(() => (this.teacherOnly ? this.teacherAlone(batch, stream) : this.joint(batch, alpha, stream)));
    this.counters.teacherSteps += 1;
    this.counters.costUnits += metrics.costUnits;
    return metrics;
  }

  /** One student-only step on `batch`: each student against the teacher's current predictions (no teacher graph). */
  studentStep(batch: B, o: StepOptions = {}): StudentOnlyStepMetrics {
    if (this.teacherOnly) throw new Error('LotTrainer.studentStep: there are no students');
    const m = torch.tidy(() => this.studentsAlone(batch, o.alpha ?? this.config.alpha, o.stream ?? 'cursor'));
    this.counters.studentOnlySteps += 1;
    this.counters.costUnits += studentOnlyStepCost(this.relCost);
    return m;
  }

  /** Forgets recurrent state (of one stream, or all): the next forward of each pair starts fresh. */
  resetStates(stream?: string): void {
    for (const [key, state] of [...this.states]) {
      if (stream === undefined || key.endsWith(`/${stream}`)) {
        torch.dispose(state);
        this.states.delete(key);
      }
    }
  }

  private forward(learner: Learner, role: 'teacher' | 'student', index: number, batch: B, stream: string): O {
    const ctx: ForwardContext = { role, index, stream, state: null };
    const key = stateKey(ctx);
    ctx.state = this.states.get(key) ?? null;
    const out = this.task.forward(learner.model, batch, ctx);
    if (out.state) {
      const next = torch.keep(out.state.map((t) => t.detach()));
      if (ctx.state) torch.dispose(ctx.state);
      this.states.set(key, next);
    }
    return out;
  }

  private stepModels(learners: Learner[]): void {
    for (const l of learners) l.beforeStep?.(l.model);
    for (const l of learners) l.optimizer.step();
  }

  private teacherAlone(batch: B, stream: string): LotStepMetrics {
    const { task, teacher } = this;
    teacher.optimizer.zeroGrad();
    const out = this.forward(teacher, 'teacher', 0, batch, stream);
    const loss = task.taskLoss(out, batch);
    loss.backward();
    this.stepModels([teacher]);
    const value = loss.item();
    return {
      teacherLoss: value,
      teacherTaskLoss: value,
      teacherRegularizer: 0,
      studentLosses: [],
      studentTaskLosses: [],
      studentKls: [],
      studentOnly: [],
      batchSize: task.batchSize(batch),
      ...(task.correct ? { teacherCorrect: task.correct(out, batch) } : {}),
      teacherOnly: true,
      costUnits: TEACHER_ONLY_STEP_COST,
    };
  }

  private joint(batch: B, alpha: number, stream: string): LotStepMetrics {
    const { task, teacher, students } = this;
    const { tau, variant, detach } = this.config;
    teacher.optimizer.zeroGrad();
    for (const s of students) s.optimizer.zeroGrad();
    const t = this.forward(teacher, 'teacher', 0, batch, stream);
    const ss = students.map((s, i) => this.forward(s, 'student', i, batch, stream));
    const tTask = task.taskLoss(t, batch);
    const terms = ss.map((s, i) => teacherKlTerm(variant, t.logits, detach ? s.logits.detach() : s.logits, tau).mul(this.weights[i]!));
    const regularizer = terms.reduce((a, b) => a.add(b));
    const teacherLoss = tTask.add(regularizer, alpha);
    const target = detach ? t.logits.detach() : t.logits;
    const parts = ss.map((s) => studentLoss(variant, s.logits, target, tau, alpha, () => task.taskLoss(s, batch)));
    // Detached, the graphs are disjoint: one backward of the sum gives each model exactly the
    // gradient of its own loss. With detach=false each model gets the gradient of L_T + Σ L_S.
    parts.reduce((total, p) => total.add(p.loss), teacherLoss).backward();
    this.stepModels([teacher, ...students]);
    return {
      teacherLoss: teacherLoss.item(),
      teacherTaskLoss: tTask.item(),
      teacherRegularizer: regularizer.item(),
      studentLosses: parts.map((p) => p.loss.item()),
      studentTaskLosses: parts.map((p) => (p.task ? p.task.item() : null)),
      studentKls: parts.map((p) => p.kl.item()),
      studentOnly: [],
      batchSize: task.batchSize(batch),
      ...(task.correct ? { teacherCorrect: task.correct(t, batch), studentCorrect: ss.map((s) => task.correct!(s, batch)) } : {}),
      teacherOnly: false,
      costUnits: jointStepCost(this.relCost),
    };
  }

  private studentsAlone(batch: B, alpha: number, stream: string): StudentOnlyStepMetrics {
    const { task, teacher, students, config } = this;
    const model = teacher.model;
    const wasTraining = model.training;
    const mode = config.teacherModeInStudentSteps === 'train';
    if (wasTraining !== mode) model.train(mode);
    let target: Tensor;
    try {
      target = torch.noGrad(() => this.forward(teacher, 'teacher', 0, batch, stream).logits);
    } finally {
      if (wasTraining !== mode) model.train(wasTraining);
    }
    for (const s of students) s.optimizer.zeroGrad();
    const parts = students.map((s, i) => {
      const out = this.forward(s, 'student', i, batch, stream);
      return studentLoss(config.variant, out.logits, target, config.tau, alpha, () => task.taskLoss(out, batch));
    });
    parts
      .map((p) => p.loss)
      .reduce((a, b) => a.add(b))
      .backward();
    this.stepModels(students);
    return { losses: parts.map((p) => p.loss.item()), kls: parts.map((p) => p.kl.item()), batchSize: task.batchSize(batch) };
  }

  /** Counters and recurrent states for a checkpoint (models and optimizers are saved by their owners). */
  stateDict(): LotTrainerState {
    const states: Record<string, Tensor[]> = {};
    for (const [key, state] of this.states) states[key] = state;
    return { ...this.counters, states };
  }

  /** Restores stateDict(); the states' tensors are copied, so the caller may dispose what it passed. */
  loadStateDict(state: Partial<LotTrainerState>): void {
    const get = (k: 'teacherSteps' | 'studentOnlySteps' | 'costUnits'): number => {
      const v = state?.[k];
      if (typeof v !== 'number' || !(v >= 0)) throw new Error(`LotTrainer.loadStateDict: '${k}' must be a number >= 0, got ${String(v)}`);
      return v;
    };
    this.counters = { teacherSteps: get('teacherSteps'), studentOnlySteps: get('studentOnlySteps'), costUnits: get('costUnits') };
    this.resetStates();
    for (const [key, tensors] of Object.entries(state.states ?? {})) {
      if (!Array.isArray(tensors) || !tensors.every((t) => t instanceof torch.Tensor)) {
        throw new Error(`LotTrainer.loadStateDict: recurrent state '${key}' must be a list of tensors`);
      }
      this.states.set(key, torch.keep(tensors.map((t) => t.clone())));
    }
  }
}

function checkAlpha(alpha: number): void {
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new RangeError(`α must be a finite number >= 0, got ${alpha}`);
}

/** λ_i: given weights (each ≥ 0) as they are, missing ones uniform 1/K. */
function studentWeights(students: Learner[]): number[] {
  const k = students.length;
  return students.map((s, i) => {
    const w = s.weight ?? 1 / k;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`student ${i}: the weight λ must be a finite number >= 0, got ${w}`);
    return w;
  });
}
