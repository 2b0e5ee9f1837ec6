// The cost model (docs/METHOD.md#cost-model): cost per teacher step in units of one teacher
// forward pass F, a backward pass counting 2F. Teacher-only costs 3F per step;
// LoT costs 3F (teacher) + Σ_i 3·r_i (students, joint step) + (N−1)·(1F teacher
// forward + Σ_i 3·r_i) with r_i the student's forward cost relative to the teacher's.
import * as torch from '@lot/torch';

type Module = torch.nn.Module;

export interface CostModel {
  /**
   * Each student's forward cost relative to the teacher's (1 for the same
   * architecture): one number for all students or one per student. Measure it
   * (`measureRelativeForwardCost`) or estimate it (`relativeCostFromParameters`).
   */
  studentRelativeCost?: number | number[];
}

/** Cost of one teacher-only training step: forward + backward = 3F. */
export const TEACHER_ONLY_STEP_COST = 3;

/** The relative forward cost of each of `students` students under a cost model. */
export function studentCosts(cost: CostModel | undefined, students: number): number[] {
  const r = cost?.studentRelativeCost ?? 1;
  const out = Array.isArray(r) ? [...r] : new Array<number>(students).fill(r);
  if (out.length !== students) throw new Error(`cost model: ${out.length} relative costs given for ${students} students`);
  for (const x of out)
    if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`cost model: a relative cost must be a finite number >= 0, got ${x}`);
  return out;
}

/** Cost of the joint step: teacher forward+backward plus each student's forward+backward. */
export const jointStepCost = (studentRelative: number[]): number => 3 + studentRelative.reduce((a, r) => a + 3 * r, 0);
/** Cost of one student-only step: a teacher forward without graph plus each student's forward+backward. */
export const studentOnlyStepCost = (studentRelative: number[]): number => 1 + studentRelative.reduce((a, r) => a + 3 * r, 0);

/**
 * The analytic cost (docs/METHOD.md#cost-model) of one LoT teacher step, in units of F:
 * 3 + Σ3r_i + (N−1)(1 + Σ3r_i); (3 + 3 + (N−1)·4) for one equal-size student.
 * With no students it is the teacher-only 3.
 */
export function lotStepCost(n: number, studentRelative: number[] = [1]): number {
  checkN(n);
  if (studentRelative.length === 0) return TEACHER_ONLY_STEP_COST;
  return jointStepCost(studentRelative) + (n - 1) * studentOnlyStepCost(studentRelative);
}

/** LoT's cost per teacher step over teacher-only's: (3+3+(N−1)·4)/3 for one equal-size student. */
export const analyticCostRatio = (n: number, studentRelative: number[] = [1]): number =>
  lotStepCost(n, studentRelative) / TEACHER_ONLY_STEP_COST;

/** The number of teacher-only steps that cost as much as `lotCostUnits` (the equal-compute baseline), rounded to nearest. */
export function equalComputeTeacherSteps(lotCostUnits: number): number {
  if (!(lotCostUnits >= 0)) throw new RangeError(`equalComputeTeacherSteps: cost must be >= 0, got ${lotCostUnits}`);
  return Math.round(lotCostUnits / TEACHER_ONLY_STEP_COST);
}

/** Epochs of teacher-only training that match a LoT run of `lotEpochs` epochs in cost (may be fractional). */
export const equalComputeEpochs = (lotEpochs: number, n: number, studentRelative: number[] = [1]): number =>
  lotEpochs * analyticCostRatio(n, studentRelative);

/** A crude estimate of a student's relative cost: its parameter count over the teacher's. */
export function relativeCostFromParameters(teacher: Module, student: Module): number {
  const t = teacher.numParameters();
  return t === 0 ? 1 : student.numParameters() / t;
}

/**
 * Multiply-accumulates of one forward pass of `model`, counted over its Conv2d and Linear
 * layers (output elements × inputs per output; BatchNorm, activations and pooling are
 * left out). `run(model)` runs one forward pass on a sample input; it is run without a
 * graph, in eval mode (restored afterwards), and the tensors it makes are released.
 */
export function forwardMacs(model: Module, run: (model: Module) => unknown): number {
  let macs = 0;
  const patched: Module[] = [];
  for (const m of model.modules()) {
    if (m instanceof torch.nn.Conv2d) {
      const conv = m;
      const perOutput = (conv.inChannels / conv.groups) * conv.kernelSize[0] * conv.kernelSize[1];
      const original = conv.forward;
      conv.forward = (x: torch.Tensor) => {
        const y = original.call(conv, x);
        macs += y.numel() * perOutput;
        return y;
      };
      patched.push(conv);
    } else if (m instanceof torch.nn.Linear) {
      const linear = m;
      const original = linear.forward;
      linear.forward = (x: torch.Tensor) => {
        const y = original.call(linear, x);
        macs += y.numel() * linear.inFeatures;
        return y;
      };
      patched.push(linear);
    }
  }
  const wasTraining = model.training;
  try {
    model.eval();
    torch.tidy(() => {
      torch.noGrad(() => run(model));
    });
  } finally {
    for (const m of patched) delete (m as { forward?: unknown }).forward;
    model.train(wasTraining);
  }
  return macs;
}

/** A student's relative forward cost from multiply-accumulates (see forwardMacs): macs(student) / macs(teacher). */
export function relativeCostFromMacs(teacher: Module, student: Module, run: (model: Module) => unknown): number {
  const t = forwardMacs(teacher, run);
  return t === 0 ? 1 : forwardMacs(student, run) / t;
}

/**
 * Measures a student's forward cost relative to the teacher's by timing `reps`
 * forward passes of each (`forward(model)` runs one; call it under noGrad).
 * Medians of alternating runs, after one warm-up each.
 */
export function measureRelativeForwardCost(forward: (model: Module) => void, teacher: Module, student: Module, reps = 5): number {
  const time = (m: Module): number => {
    const t0 = process.hrtime.bigint();
    forward(m);
    return Number(process.hrtime.bigint() - t0);
  };
  time(teacher);
  time(student);
  const ts: number[] = [];
  const ss: number[] = [];
  for (let i = 0; i < reps; ++i) {
    ts.push(time(teacher));
    ss.push(time(student));
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return med(ss) / med(ts);
}

export function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`N (student steps per teacher step) must be an integer >= 1, got ${n}`);
}
