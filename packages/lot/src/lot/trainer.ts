// The LoT training schedule (LOT.md "The losses" and "The schedule"):
// each teacher step is one joint step (teacher and students on the same batch,
// losses from one forward of each taken before either update, then all step)
// followed by N−1 student-only steps on a separate, sequential cursor.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { CostModel, jointStepCost, studentCosts, studentOnlyStepCost, TEACHER_ONLY_STEP_COST, checkN } from './cost.js';
import { checkVariant, LossVariant, studentLoss, teacherKlTerm } from './losses.js';
import type { Learner, LotTask } from './types.js';

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
   * The teacher's mode during the student-only steps' forward passes (always without a graph).
   * 'train' (default, as the reference): BatchNorm normalizes with batch statistics and its
   * running statistics are updated on the student cursor's batches too. 'eval': running statistics,
   * untouched. The teacher is put back in its previous mode afterwards.
   */
  teacherModeInStudentSteps?: 'train' | 'eval';
}

export const DEFAULT_LOT_CONFIG: Readonly<Required<LotConfig>> = Object.freeze({
  alpha: 0.5, n: 2, tau: 1.5, variant: 'kl_ce', detach: true, teacherModeInStudentSteps: 'train',
});

export interface StudentOnlyStepMetrics {
  /** Each student's loss. */
  losses: number[];
  /** Each student's KL part. */
  kls: number[];
  batchSize: number;
}

export interface LotStepMetrics {
  /** The teacher's total loss L_T = task + α·Σλ_i·KL. */
  teacherLoss: number;
  teacherTaskLoss: number;
  /** Σ_i λ_i · KL term (before α); 0 when teacher-only. */
  teacherRegularizer: number;
  /** Students' joint-step losses, task losses (null for KL-only variants) and KL terms. */
  studentLosses: number[];
  studentTaskLosses: (number | null)[];
  studentKls: number[];
  /** The N−1 student-only steps. */
  studentOnly: StudentOnlyStepMetrics[];
  /** Examples in the joint step's batch. */
  batchSize: number;
  /** Correct predictions on the joint batch, when the task counts them. */
  teacherCorrect?: number;
  studentCorrect?: number[];
  /** True when this step trained the teacher alone (no students, or α = 0). */
  teacherOnly: boolean;
  /** This step's cost in units of one teacher forward pass F. */
  costUnits: number;
}

export interface LotTrainerState {
  teacherSteps: number;
  studentOnlySteps: number;
  costUnits: number;
}

export interface LotTrainerOptions<B> {
  teacher: Learner;
  /** K ≥ 0 students; none (or α = 0) trains the teacher alone, through the same step(). */
  students: Learner[];
  task: LotTask<B>;
  config: LotConfig;
  /** The separate, sequential student cursor: the next batch for a student-only step. */
  nextStudentBatch: () => B;
  cost?: CostModel;
}

/**
 * Runs LoT one teacher step at a time. Everything a step creates is released
 * when it returns (batches the cursor makes inside the step included, unless kept);
 * the caller owns the batch it passes in.
 */
export class LotTrainer<B> {
  readonly teacher: Learner;
  readonly students: Learner[];
  readonly task: LotTask<B>;
  readonly config: Readonly<Required<LotConfig>>;
  readonly cost: CostModel | undefined;
  private readonly nextStudentBatch: () => B;
  /** λ_i, normalized input weights or uniform 1/K. */
  readonly weights: number[];
  private readonly relCost: number[];
  private state: LotTrainerState = { teacherSteps: 0, studentOnlySteps: 0, costUnits: 0 };

  constructor(o: LotTrainerOptions<B>) {
    const config = { ...DEFAULT_LOT_CONFIG, ...o.config };
    if (!(config.alpha >= 0) || !Number.isFinite(config.alpha)) throw new RangeError(`α must be a finite number >= 0, got ${config.alpha}`);
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
      if (s.model === o.teacher.model) throw new Error(`LotTrainer: student ${i} is the teacher's own model; give it a separately initialized one`);
    }
    this.config = Object.freeze(config);
    this.teacher = o.teacher;
    this.students = [...students];
    this.task = o.task;
    this.nextStudentBatch = o.nextStudentBatch;
    this.cost = o.cost;
    this.weights = studentWeights(this.students);
    this.relCost = studentCosts(o.cost, this.students.length);
  }

  /** True when steps train the teacher alone: no students, or α = 0 (then no student is trained either). */
  get teacherOnly(): boolean { return this.students.length === 0 || this.config.alpha === 0; }
  get teacherSteps(): number { return this.state.teacherSteps; }
  /** Student-only steps taken so far ((N−1) per teacher step): the student cursor's position, for resuming it. */
  get studentOnlySteps(): number { return this.state.studentOnlySteps; }
  /** Training cost so far in units of one teacher forward pass F (LOT.md's cost model). */
  get costUnits(): number { return this.state.costUnits; }
  /** The analytic cost of one teacher step of this trainer, in F. */
  get stepCost(): number {
    return this.teacherOnly ? TEACHER_ONLY_STEP_COST : jointStepCost(this.relCost) + (this.config.n - 1) * studentOnlyStepCost(this.relCost);
  }

  /** One teacher step: the joint step on `batch`, then N−1 student-only steps on the cursor's next batches. */
  step(batch: B): LotStepMetrics {
    const metrics = torch.tidy(() => (this.teacherOnly ? this.teacherOnlyStep(batch) : this.lotStep(batch)));
    this.state.teacherSteps += 1;
    this.state.costUnits += metrics.costUnits;
    return metrics;
  }

  private teacherOnlyStep(batch: B): LotStepMetrics {
    const { task, teacher } = this;
    teacher.optimizer.zeroGrad();
    const t = task.logits(teacher.model, batch);
    const loss = task.taskLoss(t, batch);
    loss.backward();
    teacher.optimizer.step();
    const value = loss.item();
    return {
      teacherLoss: value, teacherTaskLoss: value, teacherRegularizer: 0,
      studentLosses: [], studentTaskLosses: [], studentKls: [], studentOnly: [],
      batchSize: task.batchSize(batch),
      ...(task.correct ? { teacherCorrect: task.correct(t, batch) } : {}),
      teacherOnly: true, costUnits: TEACHER_ONLY_STEP_COST,
    };
  }

  private lotStep(batch: B): LotStepMetrics {
    const { task, teacher, students, config } = this;
    const { alpha, tau, variant, detach } = config;
    // Joint step: one forward of each model on the same batch, both losses, then every model steps.
    teacher.optimizer.zeroGrad();
    for (const s of students) s.optimizer.zeroGrad();
    const t = task.logits(teacher.model, batch);
    const ss = students.map((s) => task.logits(s.model, batch));
    const tTask = task.taskLoss(t, batch);
    let regularizer: Tensor | null = null;
    ss.forEach((s, i) => {
      const term = teacherKlTerm(variant, t, detach ? s.detach() : s, tau).mul(this.weights[i]);
      regularizer = regularizer ? regularizer.add(term) : term;
    });
    const reg = regularizer as unknown as Tensor;
    const teacherLoss = tTask.add(reg, alpha);
    const tTarget = detach ? t.detach() : t;
    const parts = ss.map((s) => studentLoss(variant, s, tTarget, tau, alpha, () => task.taskLoss(s, batch)));
    // The graphs are disjoint when detached, so one backward of the sum gives each model exactly the
    // gradient of its own loss; with detach=false each model gets the gradient of L_T + Σ L_S.
    let total = teacherLoss;
    for (const p of parts) total = total.add(p.loss);
    total.backward();
    teacher.optimizer.step();
    for (const s of students) s.optimizer.step();

    const metrics: LotStepMetrics = {
      teacherLoss: teacherLoss.item(), teacherTaskLoss: tTask.item(), teacherRegularizer: reg.item(),
      studentLosses: parts.map((p) => p.loss.item()),
      studentTaskLosses: parts.map((p) => (p.task ? p.task.item() : null)),
      studentKls: parts.map((p) => p.kl.item()),
      studentOnly: [],
      batchSize: task.batchSize(batch),
      teacherOnly: false,
      costUnits: jointStepCost(this.relCost),
    };
    if (task.correct) {
      metrics.teacherCorrect = task.correct(t, batch);
      metrics.studentCorrect = ss.map((s) => task.correct!(s, batch));
    }
    // N−1 student-only steps, each on the next batch of the separate cursor.
    for (let j = 1; j < config.n; ++j) {
      metrics.studentOnly.push(torch.tidy(() => this.studentOnlyStep()));
      metrics.costUnits += studentOnlyStepCost(this.relCost);
    }
    return metrics;
  }

  private studentOnlyStep(): StudentOnlyStepMetrics {
    const { task, teacher, students, config } = this;
    const batch = this.nextStudentBatch();
    this.state.studentOnlySteps += 1;
    const model = teacher.model;
    const wasTraining = model.training;
    const mode = config.teacherModeInStudentSteps === 'train';
    if (wasTraining !== mode) model.train(mode);
    let t: Tensor;
    try {
      t = torch.noGrad(() => task.logits(model, batch));
    } finally {
      if (wasTraining !== mode) model.train(wasTraining);
    }
    for (const s of students) s.optimizer.zeroGrad();
    const parts = students.map((s) => {
      const logits = task.logits(s.model, batch);
      return studentLoss(config.variant, logits, t, config.tau, config.alpha, () => task.taskLoss(logits, batch));
    });
    let total = parts[0].loss;
    for (let i = 1; i < parts.length; ++i) total = total.add(parts[i].loss);
    total.backward();
    for (const s of students) s.optimizer.step();
    return { losses: parts.map((p) => p.loss.item()), kls: parts.map((p) => p.kl.item()), batchSize: task.batchSize(batch) };
  }

  /** Counters for resuming (models and optimizers are saved by their owners). */
  stateDict(): LotTrainerState {
    return { ...this.state };
  }

  loadStateDict(state: Partial<LotTrainerState>): void {
    const get = (k: keyof LotTrainerState): number => {
      const v = state?.[k];
      if (typeof v !== 'number' || !(v >= 0)) throw new Error(`LotTrainer.loadStateDict: '${k}' must be a number >= 0, got ${String(v)}`);
      return v;
    };
    this.state = { teacherSteps: get('teacherSteps'), studentOnlySteps: get('studentOnlySteps'), costUnits: get('costUnits') };
  }
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
