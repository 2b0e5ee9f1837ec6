// The unit check of docs/METHOD.md#unit-check: the tempered KL between teacher and student, computed
// with klDiv(logTarget) on log_softmax(z / tau), to 1e-12 in float64.
//   KL_tau(a || b) = tau^2 * (1/B) * sum a * (log a - log b)        ("batchmean")
// torch's kl_div(input, target) is KL(target || input): input is the second argument of KL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';

const F = torch.nn.functional;
const tau = 1.5;
const teacher = () =>
  torch.tensor(
    [
      [2, 0.5, -1],
      [0.1, 0.2, 3],
    ],
    { dtype: 'float64' },
  );
const student = () =>
  torch.tensor(
    [
      [1, 1, 0],
      [0, 1, 1],
    ],
    { dtype: 'float64' },
  );
const logP = (z: torch.Tensor) => z.div(tau).logSoftmax(1);

/** KL_tau(a || b) from logits, through klDiv(input = log b, target = log a, logTarget). */
const klTau = (a: torch.Tensor, b: torch.Tensor) =>
  F.klDiv(logP(b), logP(a), { reduction: 'batchmean', logTarget: true })
    .mul(tau * tau)
    .item();

test('KL_tau(p(s) || p(t)) = 0.5600213970458027', () => {
  const value = klTau(student(), teacher());
  assert.ok(Math.abs(value - 0.5600213970458027) < 1e-12, `got ${value}`);
});

test('KL_tau(p(t) || p(s)) = 0.5016238273713811', () => {
  const value = klTau(teacher(), student());
  assert.ok(Math.abs(value - 0.5016238273713811) < 1e-12, `got ${value}`);
});

test('the two directions differ, and logTarget=false with probabilities gives the same number', () => {
  const forward = klTau(student(), teacher());
  const reverse = klTau(teacher(), student());
  assert.ok(Math.abs(forward - reverse) > 0.05);
  const withProbs = F.klDiv(logP(student()), logP(teacher()).exp(), { reduction: 'batchmean' })
    .mul(tau * tau)
    .item();
  assert.ok(Math.abs(withProbs - 0.5016238273713811) < 1e-12, `got ${withProbs}`);
});

test('the definition written out by hand agrees (sum a * (log a - log b) / B)', () => {
  const la = logP(teacher());
  const lb = logP(student());
  const byHand = la
    .exp()
    .mul(la.sub(lb))
    .sum()
    .div(2)
    .mul(tau * tau)
    .item();
  assert.ok(Math.abs(byHand - 0.5016238273713811) < 1e-12, `got ${byHand}`);
  // 'batchmean' divides by the batch size: 'sum' is exactly B times larger.
  const sum = F.klDiv(lb, la, { reduction: 'sum', logTarget: true }).item();
  const batchmean = F.klDiv(lb, la, { reduction: 'batchmean', logTarget: true }).item();
  assert.equal(sum / 2, batchmean);
});
