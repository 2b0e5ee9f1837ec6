// A run's resolved configuration, as config.json holds it: what every domain shares (method,
// seed, LoT setting, budget, threads) and, flat beside it, the domain's own settings.
// Pure data; `resolveRuns` expands one command into a run per (method, seed).
import { LOSS_VARIANTS, type LossVariant } from '../lot/index.js';
import { UsageError } from './errors.js';
import { Fields } from './fields.js';
import { METHODS, type Method } from './methods.js';

/** `cpu`, `cuda` (each rank its own GPU: cuda:LOCAL_RANK) or one GPU `cuda:N`, as PyTorch names devices. */
export type Device = string;
export const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

/** What a run shares with the command it came from: the domain, the teacher, the LoT setting, the budget and the machine. */
interface RunBasics {
  /** The domain: 'vision', and the test domains. */
  kind: string;
  teacher: string;
  alpha: number;
  n: number;
  tau: number;
  variant: LossVariant;
  detach: boolean;
  /** Stop after this many teacher steps (the schedules keep the configured horizon); null: no limit. */
  maxSteps: number | null;
  device: Device;
  threads: number;
  /** Processes training the run data-parallel (1: one process); a resume needs the same. */
  worldSize: number;
  /** A step record every this many teacher steps. */
  logEvery: number;
  /** Also evaluate (and checkpoint) every this many teacher steps inside an epoch; 0: at epoch ends only. */
  evalEvery: number;
}

export interface RunConfig extends RunBasics {
  formatVersion: 1;
  method: Method;
  seed: number;
  /** Student architectures; empty for the baselines. */
  students: string[];
  /** The students of the LoT run this one is compared with ('+'-joined), for grouping in reports. */
  student: string;
  /** Epochs this run trains. */
  epochs: number;
  /** The LoT epochs it is compared with (equal compute trains epochs = round(baseEpochs × costRatio)). */
  baseEpochs: number;
  /** LoT's analytic cost per teacher step over teacher-only's (equal-compute runs only). */
  costRatio: number | null;
  createdAt: string;
}

/** What one `lot train <domain>` command asks for, before it is expanded into runs. */
export interface TrainRequest extends RunBasics {
  students: string[];
  epochs: number;
  seeds: number[];
  methods: Method[];
}

/**
 * One config per (seed, method), LoT first so that its baselines can be compared as they finish.
 * `costRatio` is LoT's cost per teacher step over teacher-only's; equal compute trains that many
 * times the epochs. `settings` are the domain's own, copied into every run.
 */
export function resolveRuns<S extends object>(r: TrainRequest, settings: S, costRatio: number, now = new Date()): (RunConfig & S)[] {
  const methods = METHODS.filter((m) => r.methods.includes(m));
  const out: (RunConfig & S)[] = [];
  for (const seed of r.seeds) {
    for (const method of methods) {
      const lot = method === 'lot';
      const base: RunConfig = {
        kind: r.kind,
        formatVersion: 1,
        method,
        seed,
        teacher: r.teacher,
        students: lot ? [...r.students] : [],
        student: r.students.join('+'),
        alpha: lot ? r.alpha : 0,
        n: lot ? r.n : 1,
        tau: r.tau,
        variant: r.variant,
        detach: r.detach,
        epochs: method === 'equal-compute' ? Math.max(1, Math.round(r.epochs * costRatio)) : r.epochs,
        baseEpochs: r.epochs,
        costRatio: method === 'equal-compute' ? costRatio : null,
        maxSteps: r.maxSteps,
        device: r.device,
        threads: r.threads,
        worldSize: r.worldSize,
        logEvery: r.logEvery,
        evalEvery: r.evalEvery,
        createdAt: now.toISOString(),
      };
      out.push({ ...settings, ...base });
    }
  }
  return out;
}

/** The shared part of a config.json, checked field by field (also folders written before `maxSteps`, `device` and `evalEvery` existed). */
export function parseRunConfig(raw: unknown, where: string): RunConfig {
  const f = Fields.of(raw, where);
  const device = f.has('device') ? f.str('device') : 'cpu';
  if (!DEVICE_PATTERN.test(device)) throw new Error(`${where}: device '${device}' is not cpu, cuda or cuda:N`);
  return {
    kind: f.str('kind'),
    formatVersion: 1,
    method: f.choice('method', METHODS),
    seed: f.int('seed'),
    teacher: f.str('teacher'),
    students: f.strList('students'),
    student: f.str('student'),
    alpha: f.num('alpha'),
    n: f.int('n'),
    tau: f.num('tau'),
    variant: f.choice('variant', LOSS_VARIANTS),
    detach: f.bool('detach'),
    epochs: f.int('epochs'),
    baseEpochs: f.int('baseEpochs'),
    costRatio: f.optNum('costRatio'),
    maxSteps: f.optInt('maxSteps'),
    device,
    threads: f.int('threads'),
    worldSize: f.has('worldSize') ? f.int('worldSize') : 1,
    logEvery: f.int('logEvery'),
    evalEvery: f.has('evalEvery') ? f.int('evalEvery') : 0,
    createdAt: f.optStr('createdAt') ?? '',
  };
}

/** `--device`: cpu, cuda or cuda:N (whether CUDA is there is checked when the run starts). */
export function checkDevice(device: string): Device {
  if (DEVICE_PATTERN.test(device)) return device;
  throw new UsageError(`--device ${device}: expected cpu, cuda (one GPU per process) or cuda:N`);
}
