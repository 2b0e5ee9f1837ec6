// Where a run reports its progress. The harness knows no terminal: the CLI supplies a sink
// that draws a live line; tests and libraries pass none (or their own).

export interface ProgressUpdate {
  /** What is training: "lot s0". */
  label: string;
  epoch: number;
  epochs: number;
  /** Teacher steps done in this run (all epochs), and the total it will take. */
  step: number;
  totalSteps: number;
  /** Examples (images, tokens, agent steps) processed since the run (or resume) started, and what they are. */
  samples: number;
  unit: string;
  /** Seconds since the run (or resume) started, and teacher steps done in that time. */
  seconds: number;
  stepsThisSession: number;
  metrics: Record<string, number | null | undefined>;
}

export interface ProgressSink {
  /** A live status update (the sink decides how often to draw). */
  update(u: ProgressUpdate): void;
  /** A permanent line: an epoch's results. */
  log(line: string): void;
  /** The run ended (clear the live line). */
  done(): void;
}

/** A sink that writes permanent lines only (libraries, tests, logs). */
export const linesOnly = (write: (line: string) => void): ProgressSink => ({ update: () => {}, log: write, done: () => {} });

/** Integers as they are (counts); else three decimals, or three significant digits below 0.01 (RL's KLs start near 0), none from 100 up. */
export const formatProgressValue = (v: number): string =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
