// A run's progress and time left, from its config.json and the records it wrote so far. The
// harness stops a run at min(epochs × steps per epoch, maxSteps) teacher steps (harness/train.ts);
// steps per epoch are not in config.json, so they come from the domain's settings where they say
// it (RL: total agent steps over one rollout's) or from the records: an epoch record at epoch e
// and step s gives s / e, an --eval-every record at fractional epoch f gives s / f.
import type { MetricRecord } from '../harness/records.js';

/** What the records told so far, folded record by record (`observe`). */
export interface Live {
  /** Teacher steps done and training seconds at the newest record. */
  step: number | null;
  seconds: number | null;
  /** The epoch the newest record belongs to. */
  epoch: number | null;
  /** Teacher steps per epoch, once a record reveals it. */
  stepsPerEpoch: number | null;
}

export const freshLive = (): Live => ({ step: null, seconds: null, epoch: null, stepsPerEpoch: null });

export function observe(live: Live, r: MetricRecord): void {
  if (r.type === 'step' || r.type === 'epoch' || r.type === 'eval') {
    if (live.step === null || r.step >= live.step) {
      live.step = r.step;
      live.seconds = r.seconds;
      live.epoch = r.type === 'eval' ? Math.floor(r.epoch) + 1 : r.epoch;
    }
    if (r.type !== 'step' && r.step > 0 && r.epoch > 0) {
      // An epoch record at epoch e has seen e whole epochs; an eval record's epoch is fractional.
      const perEpoch = Math.round(r.step / r.epoch);
      if (r.type === 'eval' || live.stepsPerEpoch === null) live.stepsPerEpoch = perEpoch;
    }
  } else if (r.type === 'final' && (live.step === null || r.step >= live.step)) {
    live.step = r.step;
  }
}

export interface Progress {
  step: number | null;
  /** Teacher steps the run will take, when known. */
  totalSteps: number | null;
  epoch: number | null;
  epochs: number | null;
  /** Done fraction in [0, 1], or null while nothing tells. */
  fraction: number | null;
  /** Training seconds so far, and the estimate of those left (running runs only). */
  seconds: number | null;
  etaSeconds: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);

/** Steps per epoch as the domain's settings give them: RL's updates per epoch (tasks/rl/settings.ts updatesOf). */
function configuredStepsPerEpoch(config: Record<string, unknown>): number | null {
  const total = num(config.totalSteps);
  const envs = num(config.numEnvs);
  const steps = num(config.numSteps);
  return total && envs && steps ? Math.floor(total / (envs * steps)) || null : null;
}

export function progressOf(config: Record<string, unknown>, live: Live, status: string): Progress {
  const epochs = num(config.epochs);
  const maxSteps = num(config.maxSteps);
  const perEpoch = configuredStepsPerEpoch(config) ?? live.stepsPerEpoch;
  const byEpochs = epochs && perEpoch ? epochs * perEpoch : null;
  const totalSteps = byEpochs && maxSteps ? Math.min(byEpochs, maxSteps) : (byEpochs ?? maxSteps);
  let fraction: number | null = null;
  if (status === 'complete') fraction = 1;
  else if (totalSteps && live.step !== null) fraction = Math.min(1, live.step / totalSteps);
  else if (epochs && live.epoch !== null) fraction = Math.min(1, (live.epoch - 1) / epochs);
  const running = status === 'running' || status === 'incomplete';
  const etaSeconds =
    running && fraction && fraction > 0 && fraction < 1 && live.seconds !== null ? (live.seconds * (1 - fraction)) / fraction : null;
  return { step: live.step, totalSteps, epoch: live.epoch, epochs, fraction, seconds: live.seconds, etaSeconds };
}
