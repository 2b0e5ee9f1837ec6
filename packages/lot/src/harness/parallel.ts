// Data-parallel runs: this process's place among the ranks (torchrun's environment, which
// `lot train --nproc-per-node` sets for its workers), the process group, and what the harness
// does differently on several ranks: each model wrapped in DistributedDataParallel (its
// gradients averaged over ranks before clipping and the optimizer step), a stop every rank
// agrees on, and writing left to rank 0.
import * as torch from '@lot/torch';
import type { DomainRun } from './domain.js';
import { UsageError } from './errors.js';

/** Where this process sits: rank `rank` of `worldSize`, the `localRank`-th on its machine. */
export interface Parallel {
  rank: number;
  worldSize: number;
  localRank: number;
}

export const SINGLE: Parallel = { rank: 0, worldSize: 1, localRank: 0 };

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}=${raw} is not a non-negative integer`);
  return n;
}

/** The rank from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK); one process alone without it. */
export function parallelFromEnv(): Parallel {
  const worldSize = envInt('WORLD_SIZE');
  if (worldSize === undefined || worldSize <= 1) return SINGLE;
  const rank = envInt('RANK');
  if (rank === undefined || rank >= worldSize)
    throw new UsageError(`WORLD_SIZE=${worldSize} needs RANK in 0..${worldSize - 1}, got ${process.env.RANK}`);
  return { rank, worldSize, localRank: envInt('LOCAL_RANK') ?? rank };
}

/** A usage error unless `device` exists here (a CUDA device needs a CUDA libtorch and a visible GPU). */
export function checkDeviceAvailable(device: string): void {
  if (device === 'cpu') return;
  const count = torch.cuda.deviceCount();
  const why = !torch.cuda.isAvailable()
    ? torch.cuda.isBuilt()
      ? 'this libtorch has CUDA but no GPU is visible'
      : 'this libtorch was built without CUDA'
    : /:(\d+)$/.test(device) && Number(device.split(':')[1]) >= count
      ? `this machine has ${count} GPU${count === 1 ? '' : 's'}`
      : null;
  if (why) throw new UsageError(`--device ${device}: CUDA is not available here (${why}); train with --device cpu`);
}

/** The device this rank trains on: its own GPU (cuda:LOCAL_RANK) when the run asks for CUDA. */
export const rankDevice = (device: string, p: Parallel): string => (device === 'cuda' && p.worldSize > 1 ? `cuda:${p.localRank}` : device);

/** Joins the process group once per process (Gloo on the CPU, NCCL on CUDA). */
export function joinGroup(p: Parallel, device: string): void {
  if (p.worldSize === 1 || torch.distributed.isInitialized()) return;
  // 'cuda' (and NCCL's own streams) then mean this rank's GPU, as torchrun scripts set it.
  if (device.startsWith('cuda')) torch.cuda.setDevice(Number(rankDevice(device, p).split(':')[1] ?? p.localRank));
  const timeoutMs = envInt('LOT_DIST_TIMEOUT_MS') ?? 30 * 60 * 1000;
  const backend = device.startsWith('cuda') && torch.distributed.availableBackends().includes('nccl') ? 'nccl' : 'gloo';
  torch.distributed.initProcessGroup({ backend, rank: p.rank, worldSize: p.worldSize, timeoutMs });
}

/**
 * Wraps the teacher and every student in DistributedDataParallel (rank 0's weights and
 * buffers are broadcast now) and averages their gradients over ranks before each learner's
 * own hook (clipping sees the global gradient, as with PyTorch's DDP). Returns what the
 * harness calls before each teacher step: rank 0's buffers (BatchNorm's running statistics)
 * to every rank; batch statistics stay per rank, as in PyTorch's DDP.
 */
export function distributeRun(run: DomainRun<unknown>): { syncBuffers: () => void } {
  const wrapped = [run.teacher, ...run.students].map((learner) => {
    const ddp = new torch.distributed.DistributedDataParallel(learner.model);
    const own = learner.beforeStep;
    learner.beforeStep = (model) => {
      ddp.allReduceGradients();
      own?.(model);
    };
    return ddp;
  });
  return { syncBuffers: () => wrapped.forEach((d) => d.syncBuffers()) };
}

/** True on every rank when any rank wants to stop (Ctrl-C reaches each rank at its own step). */
export function agreeToStop(p: Parallel, local: boolean): boolean {
  if (p.worldSize === 1) return local;
  return torch.tidy(() => {
    const flag = torch.tensor([local ? 1 : 0], { dtype: 'int32' });
    torch.distributed.allReduce(flag, 'max');
    return flag.item() === 1;
  });
}

/** The same integer on every rank: rank 0's (a run folder's suffix, a checkpoint's step). */
export function fromRank0(p: Parallel, value: number): number {
  if (p.worldSize === 1) return value;
  return torch.tidy(() => {
    const t = torch.tensor([value], { dtype: 'int64' });
    torch.distributed.broadcast(t, 0);
    return t.item() as number;
  });
}
