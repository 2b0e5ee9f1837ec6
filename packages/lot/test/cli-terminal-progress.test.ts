// The live progress display: one rewritten line on a terminal, plain periodic lines elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, Progress } from '../src/cli/terminal-progress.js';
import type { ProgressUpdate } from '../src/harness/index.js';

const update = (step: number): ProgressUpdate => ({
  label: 'lot s0',
  unit: 'img',
  epoch: 2,
  epochs: 5,
  step,
  totalSteps: 100,
  samples: step * 64,
  seconds: step * 0.5,
  stepsThisSession: step,
  metrics: { loss: 0.51234, acc: 0.877, kl: null },
});

test('the status line has epoch, step, losses, accuracy, throughput and ETA', () => {
  const line = Progress.format(update(40));
  assert.equal(line, 'lot s0 | epoch 2/5 | step 40/100 | ETA 30s | 128 img/s | loss 0.512 | acc 87.7%');
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(75), '1m15s');
});

test('on a terminal: one line rewritten in place, epoch lines above it', () => {
  let out = '';
  const p = new Progress({
    stream: {
      write: (t: string) => {
        out += t;
      },
      columns: 200,
    },
    tty: true,
    intervalMs: 0,
  });
  p.update(update(1));
  p.update(update(2));
  p.log('epoch 2 done');
  p.done();
  assert.ok(!/\n.*step 1\/100/.test(out.split('epoch 2 done')[0]!), 'live updates are not separate lines');
  const clear = '\r\x1b[2K'; // carriage return, then erase the line (ANSI)
  assert.equal(out.split(clear).length - 1, 4);
  assert.ok(out.includes(`${clear}epoch 2 done\n`));
});

test('elsewhere: plain lines, at most one per interval', () => {
  const lines: string[] = [];
  const p = new Progress({
    stream: {
      write: (t: string) => {
        lines.push(t);
      },
    },
    tty: false,
    intervalMs: 60_000,
  });
  p.update(update(1));
  p.update(update(2));
  p.update(update(3), true);
  p.log('epoch line');
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r')));
});
