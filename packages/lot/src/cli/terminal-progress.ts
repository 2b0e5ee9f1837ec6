// The terminal's progress sink (the harness's ProgressSink): epoch, step, losses, accuracy,
// throughput, ETA.
// On a terminal it is one line rewritten in place (at most ~8 times a second);
// otherwise (a pipe, a log file, CI) it prints a plain line every `intervalMs`
// and every finished epoch. `log` prints a permanent line above the live one.

import { formatProgressValue, type ProgressSink, type ProgressUpdate } from '../harness/index.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatMetric(key: string, v: number): string {
  if (/acc/i.test(key)) return `${key} ${(100 * v).toFixed(1)}%`;
  return `${key} ${formatProgressValue(v)}`;
}

export class Progress implements ProgressSink {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private lastDraw = 0;
  private live = '';
  constructor(options: { stream?: ProgressStream; tty?: boolean; intervalMs?: number } = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? (Boolean(this.stream.isTTY) && !process.env.CI);
    this.intervalMs = options.intervalMs ?? (this.tty ? 120 : 10_000);
  }

  /** The one-line status text for an update. */
  static format(u: ProgressUpdate): string {
    const rate = u.seconds > 0 ? u.samples / u.seconds : 0;
    const perStep = u.stepsThisSession > 0 ? u.seconds / u.stepsThisSession : NaN;
    const eta = (u.totalSteps - u.step) * perStep;
    const parts = [
      u.label,
      `epoch ${u.epoch}/${u.epochs}`,
      `step ${u.step}/${u.totalSteps}`,
      `ETA ${formatDuration(eta)}`,
      `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)} ${u.unit}/s`,
    ];
    for (const [k, v] of Object.entries(u.metrics ?? {})) if (typeof v === 'number' && Number.isFinite(v)) parts.push(formatMetric(k, v));
    return parts.join(' | ');
  }

  update(u: ProgressUpdate, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    const text = Progress.format(u);
    if (this.tty) {
      const width = (this.stream.columns ?? 120) - 1;
      this.live = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      this.stream.write(`\r\x1b[2K${this.live}`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** A permanent line (an epoch's results); the live line is redrawn below it. */
  log(line: string): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}\n`);
      if (this.live) this.stream.write(this.live);
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Clears the live line (call when the run ends). */
  done(): void {
    if (this.tty && this.live) this.stream.write('\r\x1b[2K');
    this.live = '';
  }
}
