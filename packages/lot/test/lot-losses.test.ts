// The LoT losses: the tempered KL of docs/METHOD.md#unit-check, and each variant's formula.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { klTau, studentKlTerm, studentLoss, teacherKlTerm, LOSS_VARIANTS } from '../src/lot/index.js';

const F = torch.nn.functional;
const f64 = (v: number[][]) => torch.tensor(v, { dtype: 'float64' });
const teacher = () =>
  f64([
    [2, 0.5, -1],
    [0.1, 0.2, 3],
  ]);
const student = () =>
  f64([
    [1, 1, 0],
    [0, 1, 1],
  ]);

/** KLτ(a‖b) straight from the definition, in JavaScript doubles. */
function klByHand(a: number[][], b: number[][], tau: number): number {
  const soft = (row: number[]) => {
    const z = row.map((v) => v / tau);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((x, y) => x + y, 0);
    return e.map((v) => v / s);
  };
  let total = 0;
  a.forEach((row, i) => {
    const p = soft(row);
    const q = soft(b[i]);
    p.forEach((pc, c) => {
      total += pc * (Math.log(pc) - Math.log(q[c]));
    });
  });
  return (tau * tau * total) / a.length;
}

describe('klTau', () => {
  test('matches the numbers of docs/METHOD.md#unit-check in float64 (1e-12)', () => {
    torch.tidy(() => {
      const sT = klTau(student(), teacher(), 1.5).item(); // KLτ(p(s) ‖ p(t))
      const tS = klTau(teacher(), student(), 1.5).item(); // KLτ(p(t) ‖ p(s))
      assert.ok(Math.abs(sT - 0.5600213970458027) < 1e-12, `KLτ(p(s)‖p(t)) = ${sT}`);
      assert.ok(Math.abs(tS - 0.5016238273713811) < 1e-12, `KLτ(p(t)‖p(s)) = ${tS}`);
    });
  });

  test('agrees with the definition at other temperatures, and is 0 for equal logits', () => {
    torch.tidy(() => {
      for (const tau of [0.5, 1, 3]) {
        const got = klTau(student(), teacher(), tau).item();
        const want = klByHand(
          [
            [1, 1, 0],
            [0, 1, 1],
          ],
          [
            [2, 0.5, -1],
            [0.1, 0.2, 3],
          ],
          tau,
        );
        assert.ok(Math.abs(got - want) < 1e-12, `τ=${tau}: ${got} vs ${want}`);
      }
      assert.ok(Math.abs(klTau(teacher(), teacher(), 1.5).item()) < 1e-15);
    });
  });

  test('treats every leading dimension as a row (per-token mean for [seq, batch, vocab])', () => {
    torch.tidy(() => {
      const a = torch.randn([3, 2, 5], { dtype: 'float64' });
      const b = torch.randn([3, 2, 5], { dtype: 'float64' });
      const flat = klTau(a.reshape(6, 5), b.reshape(6, 5), 1.5).item();
      assert.ok(Math.abs(klTau(a, b, 1.5).item() - flat) < 1e-14);
    });
  });

  test('gradients flow only into the undetached argument', () => {
    torch.tidy(() => {
      const t = teacher().requiresGrad_();
      const s = student().requiresGrad_();
      klTau(s.detach(), t, 1.5).backward();
      assert.ok(t.grad !== null);
      assert.equal(s.grad, null);
    });
  });

  test('refuses a bad temperature or mismatched shapes with a clear error', () => {
    torch.tidy(() => {
      assert.throws(() => klTau(teacher(), student(), 0), /τ must be > 0/);
      assert.throws(() => klTau(teacher(), f64([[1, 2]]), 1), /differ in shape/);
    });
  });
});

describe('loss variants', () => {
  const y = () => torch.tensor([0, 2], { dtype: 'int64' });
  const ce = (logits: Tensor) => F.crossEntropy(logits, y());
  const kl = (a: Tensor, b: Tensor) => klTau(a, b, 1.5).item();

  test('teacher KL term: KL(s‖t), plus KL(t‖s) for the symmetric variants', () => {
    torch.tidy(() => {
      const t = teacher(),
        s = student();
      for (const v of LOSS_VARIANTS) {
        const want = v.startsWith('symmetric') ? kl(s, t) + kl(t, s) : kl(s, t);
        assert.ok(Math.abs(teacherKlTerm(v, t, s, 1.5).item() - want) < 1e-12, v);
      }
    });
  });

  test('student loss: task + α·KL(t‖s) (kl_ce), KL only (kl), both directions (symmetric_*)', () => {
    torch.tidy(() => {
      const t = teacher(),
        s = student();
      const alpha = 0.7;
      const expected: Record<string, { loss: number; task: boolean }> = {
        kl_ce: { loss: ce(s).item() + alpha * kl(t, s), task: true },
        kl: { loss: kl(t, s), task: false },
        symmetric_kl: { loss: kl(t, s) + kl(s, t), task: false },
        symmetric_kl_ce: { loss: ce(s).item() + alpha * (kl(t, s) + kl(s, t)), task: true },
      };
      for (const v of LOSS_VARIANTS) {
        const parts = studentLoss(v, s, t, 1.5, alpha, () => ce(s));
        assert.ok(Math.abs(parts.loss.item() - expected[v].loss) < 1e-12, `${v}: ${parts.loss.item()} vs ${expected[v].loss}`);
        assert.equal(parts.task !== null, expected[v].task, v);
        assert.ok(Math.abs(parts.kl.item() - studentKlTerm(v, s, t, 1.5).item()) < 1e-15);
      }
    });
  });

  test('an unknown variant is refused, naming the valid ones', () => {
    assert.throws(
      () => torch.tidy(() => teacherKlTerm('mse' as never, teacher(), student(), 1)),
      /unknown LoT loss variant 'mse'.*kl_ce, kl, symmetric_kl, symmetric_kl_ce/,
    );
  });
});
