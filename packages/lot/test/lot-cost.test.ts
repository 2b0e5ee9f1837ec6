// The cost model of LOT.md and the equal-compute baseline helpers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyticCostRatio, equalComputeEpochs, equalComputeTeacherSteps, lotStepCost, studentCosts, TEACHER_ONLY_STEP_COST } from '../src/lot/index.js';

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
    assert.equal(equalComputeEpochs(10, 2), 10 * 10 / 3);
    assert.throws(() => lotStepCost(0), /N .* must be an integer >= 1/);
  });
});
