// The resolved configuration of a vision run (what config.json holds), built from
// the `lot train vision` options. Pure data, no libtorch.

export type Method = 'lot' | 'teacher-only' | 'equal-compute';

export interface DataConfig {
  dataset: string;
  /** Folder with the dataset files; null: the dataset loader's defaults. */
  dataDir: string | null;
  download: boolean;
  /** First N training / test images; null: all. */
  subset: number | null;
  testSubset: number | null;
  augment: boolean;
}

export interface OptimConfig {
  lr: number;
  studentLr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: 'cosine' | 'constant';
}

export interface VisionRunConfig extends DataConfig, OptimConfig {
  kind: 'vision';
  formatVersion: 1;
  method: Method;
  seed: number;
  teacher: string;
  /** Student architectures; empty for the baselines. */
  students: string[];
  /** The student architecture(s) of the LoT run this one is compared with (for grouping in reports). */
  student: string;
  alpha: number;
  n: number;
  tau: number;
  variant: string;
  detach: boolean;
  /** Epochs this run trains. */
  epochs: number;
  /** The LoT epochs it is compared with (equal-compute trains epochs = round(baseEpochs × costRatio)). */
  baseEpochs: number;
  /** LoT's analytic cost per teacher step over teacher-only's (equal-compute only). */
  costRatio: number | null;
  batchSize: number;
  evalBatchSize: number;
  threads: number;
  logEvery: number;
  createdAt: string;
}

export interface TrainOptions extends DataConfig, Omit<OptimConfig, 'studentLr'> {
  teacher: string;
  students: string[];
  alpha: number;
  n: number;
  tau: number;
  variant: string;
  detach: boolean;
  epochs: number;
  seeds: number[];
  methods: Method[];
  studentLr: number | null;
  batchSize: number;
  evalBatchSize: number;
  threads: number;
  logEvery: number;
}

/** LOT.md: LoT costs 3 + Σ3r + (N−1)(1 + Σ3r) forward passes per teacher step; teacher-only costs 3. */
export function costRatio(n: number, studentRelative: number[]): number {
  const students = studentRelative.reduce((a, r) => a + 3 * r, 0);
  return (3 + students + (n - 1) * (1 + students)) / 3;
}

/** One config per (method, seed), LoT first so that its baselines can be compared as they finish. */
export function resolveRuns(o: TrainOptions, studentRelative: number[], now = new Date()): VisionRunConfig[] {
  const order: Method[] = ['lot', 'teacher-only', 'equal-compute'];
  const methods = order.filter((m) => o.methods.includes(m));
  const ratio = costRatio(o.n, studentRelative);
  const out: VisionRunConfig[] = [];
  for (const seed of o.seeds) {
    for (const method of methods) {
      const lot = method === 'lot';
      out.push({
        kind: 'vision',
        formatVersion: 1,
        method,
        seed,
        dataset: o.dataset,
        dataDir: o.dataDir,
        download: o.download,
        subset: o.subset,
        testSubset: o.testSubset,
        augment: o.augment,
        teacher: o.teacher,
        students: lot ? [...o.students] : [],
        student: o.students.join('+'),
        alpha: lot ? o.alpha : 0,
        n: lot ? o.n : 1,
        tau: o.tau,
        variant: o.variant,
        detach: o.detach,
        epochs: method === 'equal-compute' ? Math.max(1, Math.round(o.epochs * ratio)) : o.epochs,
        baseEpochs: o.epochs,
        costRatio: method === 'equal-compute' ? ratio : null,
        lr: o.lr,
        studentLr: o.studentLr ?? o.lr,
        momentum: o.momentum,
        nesterov: o.nesterov,
        weightDecay: o.weightDecay,
        schedule: o.schedule,
        batchSize: o.batchSize,
        evalBatchSize: o.evalBatchSize,
        threads: o.threads,
        logEvery: o.logEvery,
        createdAt: now.toISOString(),
      });
    }
  }
  return out;
}

export function runName(c: VisionRunConfig, now = new Date()): string {
  const pair = c.method === 'lot' ? `${c.teacher}-${c.students.join('+')}` : c.teacher;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${c.dataset}-${c.method}-${pair}-seed${c.seed}`.replace(/[^A-Za-z0-9_.+-]+/g, '_');
}
