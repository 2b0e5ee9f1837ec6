// The cost model (docs/METHOD.md#cost-model) and the equal-compute baseline helpers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@lot/torch';
import {
  analyticCostRatio,
  equalComputeEpochs,
  equalComputeTeacherSteps,
  forwardMacs,
  lotStepCost,
  relativeCostFromMacs,
  studentCosts,
  TEACHER_ONLY_STEP_COST,
} from '../src/lot/index.js';
import { createVisionModel } from '../src/tasks/vision/models.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();

describe('cost model', () => {
  test('equal-size student: 3F + 3F + (N−1)·(1F + 3F) per teacher step', () => {
    for (const n of [1, 2, 3, 5]) {
      assert.equal(lotStepCost(n), 3 + 3 + (n - 1) * 4);
      assert.equal(analyticCostRatio(n), (3 + 3 + (n - 1) * 4) / 3);
    }
    assert.equal(TEACHER_ONLY_STEP_COST, 3);
    assert.equal(lotStepCost(2, []), 3);
  });

  test('students of other sizes and several students', () => {
    assert.equal(lotStepCost(2, [2]), 3 + 6 + 1 * (1 + 6));
    assert.equal(lotStepCost(3, [1, 0.5]), 3 + 4.5 + 2 * (1 + 4.5));
    assert.deepEqual(studentCosts({ studentRelativeCost: 0.5 }, 2), [0.5, 0.5]);
    assert.throws(() => studentCosts({ studentRelativeCost: [1] }, 2), /1 relative costs given for 2 students/);
  });

  test('equal compute: teacher-only steps and epochs with the same cost', () => {
    assert.equal(equalComputeTeacherSteps(lotStepCost(2) * 100), 333);
    assert.equal(equalComputeTeacherSteps(lotStepCost(3) * 10), 47);
    assert.equal(equalComputeEpochs(10, 2), (10 * 10) / 3);
    assert.throws(() => lotStepCost(0), /N .* must be an integer >= 1/);
  });

  test('forward multiply-accumulates of Conv2d and Linear layers (PyTorch hook counts), and relative costs from them', () => {
    const t = createVisionModel('preresnet20', { numClasses: 10 });
    const s = createVisionModel('preresnet56', { numClasses: 10 });
    const run = (m: torch.nn.Module) => m.forward(torch.randn([1, 3, 32, 32]));
    assert.equal(forwardMacs(t, run), 40813184);
    assert.equal(forwardMacs(s, run), 87214592);
    assert.equal(
      forwardMacs(t, (m) => m.forward(torch.randn([2, 3, 32, 32]))),
      2 * 40813184,
    );
    assert.equal(relativeCostFromMacs(t, s, run), 87214592 / 40813184);
    assert.equal(t.training, true);
    // the layers' own forward is back (no instance override left behind)
    assert.ok(t.modules().every((m) => !Object.hasOwn(m, 'forward')));
  });
});
