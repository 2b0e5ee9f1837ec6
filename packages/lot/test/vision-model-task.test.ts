// The vision LoT task and its evaluator; LoT end to end on PreResNet-20 / SmallCNN with torch.optim.SGD.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '@lot/torch';
import type { VisionBatch } from '../src/tasks/vision/batches.js';
import { evaluateVision, visionTask } from '../src/tasks/vision/task.js';
import { createVisionModel } from '../src/tasks/vision/models.js';
import { klTau, LotTrainer } from '../src/lot/index.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();
const F = torch.nn.functional;

function batches(count: number, rows: number, seed: number, channels = 1, size = 12, classes = 4): VisionBatch[] {
  torch.manualSeed(seed);
  return Array.from({ length: count }, () =>
    torch.keep({
      images: torch.randn([rows, channels, size, size]),
      labels: torch.randint(0, classes, [rows]),
    }),
  );
}

describe('visionTask', () => {
  const data = batches(3, 5, 7);
  after(() => torch.dispose(data));

  test('logits are the model output, the task loss cross-entropy, batch size and correct count', () => {
    torch.tidy(() => {
      torch.manualSeed(0);
      const m = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
      m.eval();
      const out = visionTask.forward(m, data[0]!, { role: 'teacher', index: 0, stream: 'main', state: null });
      const logits = out.logits;
      assert.deepEqual(logits.shape, [5, 4]);
      assert.equal(visionTask.taskLoss(out, data[0]!).item(), F.crossEntropy(m.forward(data[0]!.images), data[0]!.labels).item());
      assert.equal(visionTask.batchSize(data[0]!), 5);
      const pred = logits.argmax(1).tolist() as number[];
      const labels = data[0]!.labels.tolist() as number[];
      assert.equal(visionTask.correct!(out, data[0]!), pred.filter((p, i) => p === labels[i]).length);
    });
  });

  test('evaluate: mean loss and accuracy over every example, in eval mode without a graph, train mode restored', () => {
    torch.manualSeed(0);
    const m = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
    const running = () => torch.tidy(() => m.stateDict()['features.1.running_mean'].sum().item());
    const before = running();
    const ev = evaluateVision(m, [], data, 1.5);
    const r = { loss: ev.teacher.testLoss!, accuracy: ev.teacher.testAccuracy!, examples: 15 };
    assert.equal(ev.kl, null);
    assert.equal(m.training, true);
    assert.equal(running(), before, 'BatchNorm statistics must not change');
    const expected = torch.tidy(() =>
      torch.noGrad(() => {
        m.eval();
        let loss = 0,
          correct = 0;
        for (const b of data) {
          const l = m.forward(b.images);
          loss += F.crossEntropy(l, b.labels, { reduction: 'sum' }).item();
          correct += l.argmax(1).eq(b.labels).sum().item();
        }
        m.train();
        return { loss: loss / 15, accuracy: correct / 15 };
      }),
    );
    assert.ok(Math.abs(r.loss - expected.loss) < 1e-6);
    assert.equal(r.accuracy, expected.accuracy);
    m.eval();
    evaluateVision(m, [], data, 1.5);
    assert.equal(m.training, false, 'a model in eval mode stays in eval mode');
  });

  test('the evaluator: students too, and KLτ(teacher ‖ first student) as the example-weighted mean', () => {
    torch.manualSeed(0);
    const t = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
    const s = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
    const ev = evaluateVision(t, [s], data, 1.5);
    assert.equal(ev.students.length, 1);
    assert.deepEqual(ev.teacher, evaluateVision(t, [], data, 1.5).teacher);
    assert.deepEqual(ev.students[0], evaluateVision(s, [], data, 1.5).teacher);
    const want = torch.tidy(() =>
      torch.noGrad(() => {
        t.eval();
        s.eval();
        const kls = data.map((b) => klTau(t.forward(b.images) as torch.Tensor, s.forward(b.images) as torch.Tensor, 1.5).item() * 5);
        t.train();
        s.train();
        return kls.reduce((a, b) => a + b) / 15;
      }),
    );
    assert.ok(Math.abs(ev.kl! - want) < 1e-6, `${ev.kl} vs ${want}`);
  });

  test('the evaluator releases the batches a lazy source makes', () => {
    torch.manualSeed(0);
    const m = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
    function* lazy() {
      for (let i = 0; i < 5; ++i) yield { images: torch.randn([2, 1, 12, 12]), labels: torch.randint(0, 4, [2]) };
    }
    evaluateVision(m, [], lazy(), 1.5);
    const live = torch.memoryStats().liveTensors;
    evaluateVision(m, [], lazy(), 1.5);
    assert.ok(torch.memoryStats().liveTensors <= live);
  });
});

describe('LoT on vision models', () => {
  test('PreResNet-20 teacher and student with torch.optim.SGD: losses finite, memory flat, both models change', () => {
    const data = batches(4, 4, 3, 3, 16, 10);
    const learner = (seed: number) => {
      torch.manualSeed(seed);
      const model = createVisionModel('preresnet20', { numClasses: 10, inChannels: 3 });
      return { model, optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }) };
    };
    const teacher = learner(0),
      student = learner(1);
    const snapshot = (m: torch.nn.Module) => torch.tidy(() => m.stateDict()['fc.weight'].sum().item());
    const [t0, s0] = [snapshot(teacher.model), snapshot(student.model)];
    let c = 0;
    const trainer = new LotTrainer({
      teacher,
      students: [student],
      task: visionTask,
      config: { alpha: 0.5, n: 2, tau: 1.5, variant: 'kl_ce', detach: true },
      studentBatch: () => data[c++ % data.length]!,
    });
    for (let k = 0; k < 2; ++k) trainer.step(data[k % data.length]);
    const live = torch.memoryStats().liveTensors;
    for (let k = 0; k < 4; ++k) {
      const m = trainer.step(data[k % data.length]);
      assert.ok(Number.isFinite(m.teacherLoss) && Number.isFinite(m.studentLosses[0]) && Number.isFinite(m.studentOnly[0].losses[0]));
      assert.ok(m.teacherCorrect! >= 0 && m.teacherCorrect! <= 4);
    }
    assert.ok(torch.memoryStats().liveTensors <= live, `${torch.memoryStats().liveTensors} > ${live}`);
    assert.notEqual(snapshot(teacher.model), t0);
    assert.notEqual(snapshot(student.model), s0);
    assert.equal(trainer.costUnits, 6 * 10);
    // BatchNorm: the teacher counted the joint batches and, in train mode, the cursor's batches too
    const tracked = torch.tidy(() => teacher.model.stateDict()['bn.num_batches_tracked'].item());
    assert.equal(tracked, 12);
    torch.dispose(data);
  });

  test("teacherModeInStudentSteps 'eval': the cursor's batches leave the teacher's BatchNorm statistics alone", () => {
    const data = batches(3, 4, 5, 1, 12, 4);
    const learner = (seed: number) => {
      torch.manualSeed(seed);
      const model = createVisionModel('smallcnn', { numClasses: 4, inChannels: 1 });
      return { model, optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.01 }) };
    };
    for (const [mode, perStep] of [
      ['train', 3],
      ['eval', 1],
    ] as const) {
      const teacher = learner(0);
      const trainer = new LotTrainer({
        teacher,
        students: [learner(1)],
        task: visionTask,
        config: { alpha: 0.5, n: 3, tau: 1.5, variant: 'kl_ce', detach: true, teacherModeInStudentSteps: mode },
        studentBatch: () => data[2]!,
      });
      trainer.step(data[0]);
      trainer.step(data[1]);
      const tracked = torch.tidy(() => teacher.model.stateDict()['features.1.num_batches_tracked'].item());
      assert.equal(tracked, 2 * perStep, mode);
      assert.equal(teacher.model.training, true);
    }
    torch.dispose(data);
  });
});
