// The LoT schedule: joint step, student-only steps on the cursor, gradient routing,
// several students, teacher-only equivalence, cost accounting, resume counters, memory.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { klTau, type Learner, LOSS_VARIANTS, type LotConfig, LotTrainer, type LossVariant } from '../src/lot/index.js';
import { cursor, makeBatches, Mlp, mlpTask, paramValues, RecordingSgd, useOneThread, type XYBatch } from './lot-helpers.js';

useOneThread();

const F = torch.nn.functional;
const batches = makeBatches(7, 99);
after(() => torch.dispose(batches));

const config = (o: Partial<LotConfig> = {}): LotConfig => ({ alpha: 0.5, n: 2, tau: 1.5, variant: 'kl_ce', detach: true, ...o });

function setup(o: { students?: number[]; weights?: (number | undefined)[]; config?: Partial<LotConfig>; cursorStart?: number } = {}) {
  const teacherModel = new Mlp(1);
  const teacher: Learner & { model: Mlp; optimizer: RecordingSgd } = {
    model: teacherModel,
    optimizer: new RecordingSgd(teacherModel.parameters()),
  };
  const students = (o.students ?? [2]).map((seed, i) => {
    const model = new Mlp(seed);
    const student: Learner & { model: Mlp; optimizer: RecordingSgd } = {
      model,
      optimizer: new RecordingSgd(model.parameters()),
      ...(o.weights?.[i] !== undefined ? { weight: o.weights[i] } : {}),
    };
    return student;
  });
  const c = cursor(batches, o.cursorStart ?? 3);
  mlpTask.calls.length = 0;
  const trainer = new LotTrainer<XYBatch>({ teacher, students, task: mlpTask, config: config(o.config), studentBatch: c.at });
  return { trainer, teacher, students, cursor: c };
}

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
function assertGradsEqual(got: (Tensor | null)[], want: (Tensor | null)[], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i];
    assert.ok(g && w, `${what}: parameter ${i} has no gradient`);
    const err = torch.tidy(() => g.sub(w).abs().max().item());
    assert.ok(err < 1e-12, `${what}: parameter ${i} differs by ${err}`);
  });
}

describe('LotTrainer', () => {
  test('with α = 0 the teacher follows a teacher-only run exactly; the students still train (α = 0 is not teacher-only)', () => {
    const lot = setup({ config: { alpha: 0 } });
    const only = setup({ students: [] });
    for (let k = 0; k < 5; ++k) {
      const m1 = lot.trainer.step(batches[k]!);
      const m2 = only.trainer.step(batches[k]!);
      assert.equal(m1.teacherOnly, false);
      assert.equal(m2.teacherOnly, true);
      assert.equal(m1.teacherLoss, m2.teacherLoss);
    }
    assert.deepEqual(paramValues(lot.teacher.model), paramValues(only.teacher.model));
    assert.notDeepEqual(paramValues(lot.students[0]!.model), paramValues(new Mlp(2)));
    assert.equal(lot.students[0]!.optimizer.steps, 10);
    assert.equal(lot.cursor.served.length, 5);
    assert.equal(lot.trainer.costUnits, 5 * 10);
    // Teacher-only (no students): no cursor, 3 cost units a step.
    assert.equal(only.cursor.served.length, 0);
    assert.equal(only.trainer.costUnits, 15);
  });

  test('α per step: α = 0 on one joint step trains the teacher as teacher-only does while the student trains', () => {
    const lot = setup();
    const only = setup({ students: [] });
    const m = lot.trainer.jointStep(batches[0]!, { alpha: 0 });
    only.trainer.step(batches[0]!);
    assert.equal(m.teacherOnly, false);
    assert.deepEqual(paramValues(lot.teacher.model), paramValues(only.teacher.model));
    assert.equal(lot.students[0]!.optimizer.steps, 1);
    assert.ok(m.studentKls[0]! > 0);
    // The next step uses the configured α again: the teacher now departs from teacher-only.
    lot.trainer.jointStep(batches[1]!);
    only.trainer.step(batches[1]!);
    assert.notDeepEqual(paramValues(lot.teacher.model), paramValues(only.teacher.model));
    assert.throws(() => lot.trainer.jointStep(batches[2]!, { alpha: -1 }), /α must be a finite number >= 0/);
  });

  test('studentStep on a given batch: the students alone, against the current teacher (the cache passes of RL)', () => {
    const { trainer, teacher, students } = setup({ config: { variant: 'kl' } });
    const before = paramValues(teacher.model);
    mlpTask.calls.length = 0;
    const m = trainer.studentStep(batches[4]!);
    assert.deepEqual(paramValues(teacher.model), before);
    assert.equal(students[0]!.optimizer.steps, 1);
    assert.equal(teacher.optimizer.steps, 0);
    assert.equal(trainer.studentOnlySteps, 1);
    assert.equal(trainer.teacherSteps, 0);
    assert.equal(trainer.costUnits, 4);
    assert.deepEqual(
      mlpTask.calls.map((c) => [c.batch, c.grad, c.stream]),
      [
        [4, false, 'cursor'],
        [4, true, 'cursor'],
      ],
    );
    const want = torch.tidy(() =>
      klTau(teacher.model.forward(batches[4]!.x) as Tensor, new Mlp(2).forward(batches[4]!.x) as Tensor, 1.5).item(),
    );
    close(m.kls[0]!, want);
    assert.throws(() => setup({ students: [] }).trainer.studentStep(batches[0]!), /there are no students/);
  });

  test('beforeStep runs per model between backward and the optimizer step (gradient clipping)', () => {
    const { trainer, teacher, students } = setup({ config: { n: 2 } });
    const seen: string[] = [];
    teacher.beforeStep = (model) => {
      seen.push(`teacher:${teacher.optimizer.steps}`);
      assert.ok(
        model.parameters().every((p) => p.grad !== null),
        'gradients exist',
      );
      torch.optim.clipGradNorm_(model.parameters(), 1e-3);
    };
    students[0]!.beforeStep = () => seen.push(`student:${students[0]!.optimizer.steps}`);
    trainer.step(batches[0]!);
    assert.deepEqual(seen, ['teacher:0', 'student:0', 'student:1']);
    const norm = Math.sqrt(teacher.optimizer.lastGrads.reduce((a, g) => a + (g ? torch.tidy(() => g.pow(2).sum().item()) : 0), 0));
    assert.ok(Math.abs(norm - 1e-3) < 1e-8, `${norm}`); // clipGradNorm_ scales by max_norm / (norm + 1e-6), as PyTorch
  });

  test("N = 3: one joint step and exactly two student-only steps per teacher step, on the cursor's batches", () => {
    const { trainer, teacher, students, cursor: c } = setup({ config: { n: 3 } });
    for (let k = 0; k < 4; ++k) {
      mlpTask.calls.length = 0;
      const m = trainer.step(batches[k]);
      assert.equal(m.studentOnly.length, 2);
      const served = c.served.slice(-2);
      assert.deepEqual(served, [(3 + 2 * k) % 7, (4 + 2 * k) % 7]);
      // joint: teacher and student on the labelled batch, with graphs
      const [t0, s0, ...rest] = mlpTask.calls;
      assert.deepEqual([t0.model, t0.batch, t0.grad], [teacher.model, k, true]);
      assert.deepEqual([s0.model, s0.batch, s0.grad], [students[0].model, k, true]);
      // student-only: the teacher without a graph, the student with one, each on the cursor's batch
      assert.equal(rest.length, 4);
      for (let j = 0; j < 2; ++j) {
        assert.deepEqual([rest[2 * j].model, rest[2 * j].batch, rest[2 * j].grad], [teacher.model, served[j], false]);
        assert.deepEqual([rest[2 * j + 1].model, rest[2 * j + 1].batch, rest[2 * j + 1].grad], [students[0].model, served[j], true]);
      }
    }
    assert.equal(c.served.length, 8);
    assert.equal(teacher.optimizer.steps, 4);
    assert.equal(students[0].optimizer.steps, 12);
    assert.equal(trainer.teacherSteps, 4);
    assert.equal(trainer.studentOnlySteps, 8);
    assert.equal(trainer.costUnits, 4 * (3 + 3 + 2 * 4));
    assert.equal(trainer.stepCost, 14);
  });

  test('the cursor wraps around and persists across steps', () => {
    const { trainer, cursor: c } = setup({ config: { n: 4 }, cursorStart: 5 });
    trainer.step(batches[0]);
    trainer.step(batches[1]);
    assert.deepEqual(c.served, [5, 6, 0, 1, 2, 3]);
  });

  test('teacherModeInStudentSteps: train (default, as the reference) or eval, restored afterwards', () => {
    for (const mode of ['train', 'eval'] as const) {
      const { trainer, teacher } = setup({ config: { teacherModeInStudentSteps: mode } });
      trainer.step(batches[0]);
      const teacherCalls = mlpTask.calls.filter((c) => c.model === teacher.model);
      assert.deepEqual(
        teacherCalls.map((c) => c.training),
        [true, mode === 'train'],
      );
      assert.equal(teacher.model.training, true);
    }
  });

  /** Each model's gradient of a loss, computed afresh on copies with the initial weights. */
  function referenceGrads(lossOf: (t: Tensor, s: Tensor, batch: XYBatch) => Tensor, batch: XYBatch) {
    return torch.tidy(() => {
      const tm = new Mlp(1),
        sm = new Mlp(2);
      const loss = lossOf(tm.forward(batch.x), sm.forward(batch.x), batch);
      const g = torch.grad(loss, [...tm.parameters(), ...sm.parameters()], { allowUnused: true });
      return { teacher: g.slice(0, 4), student: g.slice(4) };
    });
  }
  const ce = (logits: Tensor, b: XYBatch) => F.crossEntropy(logits, b.y);

  test('detached: the teacher loss reaches only the teacher, the student loss only the student', () => {
    torch.tidy(() => {
      const { trainer, teacher, students } = setup({ config: { n: 1 } });
      trainer.step(batches[0]);
      const lt = referenceGrads((t, s, b) => ce(t, b).add(klTau(s.detach(), t, 1.5), 0.5), batches[0]);
      const ls = referenceGrads((t, s, b) => ce(s, b).add(klTau(t.detach(), s, 1.5), 0.5), batches[0]);
      assert.ok(
        lt.student.every((g) => g === null),
        'the teacher loss must not reach the student',
      );
      assert.ok(
        ls.teacher.every((g) => g === null),
        'the student loss must not reach the teacher',
      );
      assertGradsEqual(teacher.optimizer.lastGrads, lt.teacher, 'teacher');
      assertGradsEqual(students[0].optimizer.lastGrads, ls.student, 'student');
    });
  });

  test('detach = false: both losses back-propagate into both models', () => {
    torch.tidy(() => {
      const { trainer, teacher, students } = setup({ config: { n: 1, detach: false } });
      trainer.step(batches[0]);
      const both = referenceGrads(
        (t, s, b) =>
          ce(t, b)
            .add(klTau(s, t, 1.5), 0.5)
            .add(ce(s, b).add(klTau(t, s, 1.5), 0.5)),
        batches[0],
      );
      assertGradsEqual(teacher.optimizer.lastGrads, both.teacher, 'teacher');
      assertGradsEqual(students[0].optimizer.lastGrads, both.student, 'student');
      const own = referenceGrads((t, s, b) => ce(s, b).add(klTau(t.detach(), s, 1.5), 0.5), batches[0]);
      const diff = torch.tidy(() => students[0].optimizer.lastGrads[0]!.sub(own.student[0]!).abs().max().item());
      assert.ok(diff > 1e-6, 'the teacher loss should have reached the student');
    });
  });

  test('several students with λ weights: the regularizer is Σ λ_i · KLτ(s_i ‖ t); default λ uniform', () => {
    torch.tidy(() => {
      const b = batches[2];
      const fresh = [new Mlp(1), new Mlp(2), new Mlp(3)];
      const [t, s1, s2] = fresh.map((m) => m.forward(b.x));
      const k1 = klTau(s1, t, 1.5).item(),
        k2 = klTau(s2, t, 1.5).item();
      const taskT = ce(t, b).item();
      for (const [weights, l1, l2] of [
        [[0.25, 0.75], 0.25, 0.75],
        [[undefined, undefined], 0.5, 0.5],
      ] as const) {
        const { trainer } = setup({ students: [2, 3], weights: [...weights], config: { n: 1 } });
        const m = trainer.step(b);
        close(m.teacherRegularizer, l1 * k1 + l2 * k2);
        close(m.teacherLoss, taskT + 0.5 * (l1 * k1 + l2 * k2));
        close(m.teacherTaskLoss, taskT);
        assert.equal(m.studentLosses.length, 2);
        close(m.studentLosses[1], ce(s2, b).item() + 0.5 * klTau(t, s2, 1.5).item());
      }
      assert.throws(() => setup({ weights: [-1] }), /weight λ must be a finite number >= 0/);
    });
  });

  test("each variant's teacher and student losses in the joint step", () => {
    torch.tidy(() => {
      const b = batches[1];
      const t = new Mlp(1).forward(b.x),
        s = new Mlp(2).forward(b.x);
      const kl = (x: Tensor, y: Tensor) => klTau(x, y, 1.5).item();
      const cT = ce(t, b).item(),
        cS = ce(s, b).item();
      const alpha = 0.3;
      const want: Record<LossVariant, [number, number]> = {
        kl_ce: [cT + alpha * kl(s, t), cS + alpha * kl(t, s)],
        kl: [cT + alpha * kl(s, t), kl(t, s)],
        symmetric_kl: [cT + alpha * (kl(s, t) + kl(t, s)), kl(t, s) + kl(s, t)],
        symmetric_kl_ce: [cT + alpha * (kl(s, t) + kl(t, s)), cS + alpha * (kl(t, s) + kl(s, t))],
      };
      for (const variant of LOSS_VARIANTS) {
        const { trainer } = setup({ config: { variant, alpha, n: 2 } });
        const m = trainer.step(b);
        close(m.teacherLoss, want[variant][0]);
        close(m.studentLosses[0], want[variant][1]);
        assert.equal(m.studentTaskLosses[0] === null, variant === 'kl' || variant === 'symmetric_kl');
        assert.equal(m.studentOnly.length, 1);
      }
    });
  });

  test('student-only step loss: the student against the current teacher on the cursor batch', () => {
    torch.tidy(() => {
      const { trainer, teacher, students, cursor: c } = setup({ config: { variant: 'kl', n: 2 } });
      // after the joint step, compute the expected student-only loss from the updated models
      const m = trainer.step(batches[0]);
      assert.equal(c.served.length, 1);
      assert.ok(Number.isFinite(m.studentOnly[0].losses[0]) && m.studentOnly[0].losses[0] >= 0);
      assert.equal(m.studentOnly[0].batchSize, 6);
      assert.equal(teacher.optimizer.steps, 1);
      assert.equal(students[0].optimizer.steps, 2);
    });
  });

  test('cost units follow the cost model; state dict round trip for resume', () => {
    const { trainer } = setup({ config: { n: 2 } });
    trainer.step(batches[0]);
    trainer.step(batches[1]);
    assert.equal(trainer.costUnits, 2 * 10);
    const saved = trainer.stateDict();
    assert.deepEqual(saved, { teacherSteps: 2, studentOnlySteps: 2, costUnits: 20, states: {} });
    const other = setup().trainer;
    other.loadStateDict(saved);
    assert.deepEqual(other.stateDict(), saved);
    assert.throws(() => other.loadStateDict({ teacherSteps: -1 }), /'teacherSteps' must be a number >= 0/);
    const weighted = new LotTrainer({
      teacher: setup().teacher,
      students: setup().students,
      task: mlpTask,
      config: config({ n: 3 }),
      studentBatch: cursor(batches).at,
      cost: { studentRelativeCost: 2 },
    });
    assert.equal(weighted.stepCost, 3 + 6 + 2 * 7);
  });

  test('bad settings are refused with clear errors', () => {
    assert.throws(() => setup({ config: { alpha: -1 } }), /α must be a finite number >= 0/);
    assert.throws(() => setup({ config: { n: 0 } }), /N .* integer >= 1/);
    assert.throws(() => setup({ config: { tau: 0 } }), /τ must be/);
    assert.throws(() => setup({ config: { variant: 'x' as never } }), /unknown LoT loss variant/);
    const t = setup();
    assert.throws(
      () =>
        new LotTrainer({ teacher: t.teacher, students: [{ ...t.teacher }], task: mlpTask, config: config(), studentBatch: t.cursor.at }),
      /student 0 is the teacher's own model/,
    );
  });

  test('memory stays flat over many steps', () => {
    const { trainer } = setup({ config: { n: 3 } });
    for (let k = 0; k < 5; ++k) trainer.step(batches[k % 7]);
    const before = torch.memoryStats().liveTensors;
    for (let k = 0; k < 40; ++k) trainer.step(batches[k % 7]);
    // No step leaves a tensor behind (the count can only drop, as the collector frees earlier tests' leftovers).
    assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
  });
});
