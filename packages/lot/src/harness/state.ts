// The resumable state of a run, and its checkpoint: where the run is (epoch, batch), its
// running averages, best metric and last evaluation, with the LoT trainer's counters and
// recurrent states, the models, optimizers, schedules and the random state. Also reads
// checkpoints written before the harness (vision runs: `cursor` beside the trainer's own
// count, schedules set by hand each epoch).
import * as torch from '@lot/torch';
import type { ForwardOutput, LotTrainer, LotTrainerState } from '../lot/index.js';
import type { DomainRun, Evaluation } from './domain.js';
import { Fields } from './fields.js';
import type { ModelMetrics } from './records.js';

/** Running sums over the current epoch's teacher steps (train loss, accuracy, KL). */
export interface TrainAccum {
  loss: number;
  correct: number;
  count: number;
  kl: number;
  klCount: number;
}

export const newAccum = (): TrainAccum => ({ loss: 0, correct: 0, count: 0, kl: 0, klCount: 0 });

export interface RunState {
  /** The epoch in progress (1-based) and the next main-stream batch in it. */
  epoch: number;
  batch: number;
  /** Training seconds so far (evaluation excluded). */
  seconds: number;
  accum: TrainAccum;
  /** The teacher's best primary metric so far. */
  best: number | null;
  last: Evaluation | null;
}

export const freshState = (): RunState => ({ epoch: 1, batch: 0, seconds: 0, accum: newAccum(), best: null, last: null });

type Models = Record<string, torch.nn.Module>;
type Optimizers = Record<string, torch.optim.Optimizer>;

/** The models and optimizers of a run by checkpoint name: teacher, student0, student1… */
export function namedParts<B, O extends ForwardOutput>(run: DomainRun<B, O>): { models: Models; optimizers: Optimizers } {
  const models: Models = { teacher: run.teacher.model };
  const optimizers: Optimizers = {};
  const learners = [['teacher', run.teacher] as const, ...run.students.map((s, i) => [`student${i}`, s] as const)];
  for (const [name, l] of learners) {
    models[name] = l.model;
    if (!(l.optimizer instanceof torch.optim.Optimizer))
      throw new Error(`the ${name}'s optimizer is not a torch.optim optimizer: it cannot be checkpointed`);
    optimizers[name] = l.optimizer;
  }
  return { models, optimizers };
}

export function saveRunCheckpoint<B, O extends ForwardOutput>(
  path: string,
  run: DomainRun<B, O>,
  trainer: LotTrainer<B, O>,
  state: RunState,
): void {
  const { models, optimizers } = namedParts(run);
  // tidy: tensors the domain makes for its state (copies of plain arrays) are freed once written.
  torch.tidy(() =>
    torch.saveCheckpoint(path, {
      model: models,
      optimizers,
      rng: true,
      extra: {
        harness: 1,
        epoch: state.epoch,
        batch: state.batch,
        seconds: state.seconds,
        accum: { ...state.accum },
        best: state.best,
        lastEval: state.last ? { teacher: state.last.teacher, students: state.last.students, kl: state.last.kl } : null,
        trainer: { ...trainer.stateDict() },
        schedules: Object.fromEntries(Object.entries(run.schedules).map(([k, s]) => [k, s.scheduler.stateDict()])),
        domain: run.saveState?.() ?? {},
      },
    }),
  );
}

/** Restores a run from its checkpoint (models, optimizers, schedules, RNG, trainer) and returns where it stood. */
export function loadRunCheckpoint<B, O extends ForwardOutput>(path: string, run: DomainRun<B, O>, trainer: LotTrainer<B, O>): RunState {
  const { models, optimizers } = namedParts(run);
  const extra = Fields.of(torch.loadCheckpoint(path, { model: models, optimizers }), `${path} (extra values)`);
  const legacy = !extra.has('harness');
  const epoch = extra.int('epoch');
  const t = extra.obj('trainer');
  const trainerState: Partial<LotTrainerState> = {
    teacherSteps: t.num('teacherSteps'),
    studentOnlySteps: t.num('studentOnlySteps'),
    costUnits: t.num('costUnits'),
  };
  if (t.has('states')) trainerState.states = statesOf(t.obj('states'));
  trainer.loadStateDict(trainerState);
  torch.dispose(extra.raw('trainer'));
  if (!legacy) {
    const saved = extra.obj('schedules');
    for (const [name, s] of Object.entries(run.schedules)) {
      if (!saved.has(name))
        throw new Error(`${path}: no state for the learning-rate schedule '${name}'; the checkpoint belongs to another configuration`);
      s.scheduler.loadStateDict(saved.raw(name) as torch.optim.SchedulerStateDict);
    }
  } else {
    // Before the harness the cursor was counted twice; both counts must agree.
    if (extra.has('cursor') && extra.num('cursor') !== trainer.studentOnlySteps) {
      throw new Error(
        `${path}: its student cursor (${extra.num('cursor')}) and student-only steps (${trainer.studentOnlySteps}) disagree; the checkpoint is damaged`,
      );
    }
    // Learning rates were set by hand at each epoch's start: put the schedules where they would be.
    for (const s of Object.values(run.schedules)) {
      const position = s.every === 'epoch' ? epoch - 1 : trainer.teacherSteps;
      s.scheduler.loadStateDict({
        ...s.scheduler.stateDict(),
        last_epoch: position,
        _last_lr: s.scheduler.optimizer.paramGroups.map((g) => g.lr),
      });
    }
  }
  if (run.loadState) {
    if (!extra.has('domain')) throw new Error(`${path}: no domain state; the checkpoint belongs to another configuration`);
    run.loadState(extra.raw('domain') as Record<string, torch.Saveable>);
    torch.dispose(extra.raw('domain')); // loadState keeps copies of what it needs
  }
  const a = extra.obj('accum');
  return {
    epoch,
    batch: extra.int('batch'),
    seconds: extra.num('seconds'),
    accum: { loss: a.num('loss'), correct: a.num('correct'), count: a.num('count'), kl: a.num('kl'), klCount: a.num('klCount') },
    best: extra.optNum('best'),
    last: extra.has('lastEval') ? evaluationOf(extra.obj('lastEval'), legacy) : null,
  };
}

function statesOf(f: Fields): Record<string, torch.Tensor[]> {
  const out: Record<string, torch.Tensor[]> = {};
  for (const key of f.keys()) {
    const v = f.raw(key);
    if (!Array.isArray(v) || !v.every((x) => x instanceof torch.Tensor))
      throw new Error(`checkpoint: recurrent state '${key}' is not a list of tensors`);
    out[key] = v;
  }
  return out;
}

const metricsOf = (f: Fields): ModelMetrics => Object.fromEntries(f.keys().map((k) => [k, f.optNum(k)]));

/** A saved evaluation; legacy vision checkpoints held { accuracy, loss } per model. */
function evaluationOf(f: Fields, legacy: boolean): Evaluation {
  const model = (m: Fields): ModelMetrics => (legacy ? { testAccuracy: m.num('accuracy'), testLoss: m.num('loss') } : metricsOf(m));
  const students = f.raw('students');
  return {
    teacher: model(f.obj('teacher')),
    students: Array.isArray(students) ? students.map((s, i) => model(Fields.of(s, `lastEval.students[${i}]`))) : [],
    kl: f.optNum('kl'),
  };
}
