// torch.distributed's default process group, over libtorch's c10d (native/distributed_entry.cc):
// torchrun's environment for the rendezvous, Gloo on the CPU, NCCL on CUDA when built with it.
import { native } from '../native.js';
import { type Tensor, wrap } from '../tensor.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'max' | 'min' | 'product';

export interface InitOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors); default gloo. */
  backend?: Backend;
  /** Default: the RANK environment variable. */
  rank?: number;
  /** Default: WORLD_SIZE. */
  worldSize?: number;
  /** Rank 0's address, where the TCPStore listens; default MASTER_ADDR, else 127.0.0.1. */
  masterAddr?: string;
  /** Default MASTER_PORT, else 29500 (torchrun's). */
  masterPort?: number;
  /** How long the rendezvous and each collective may wait for the other ranks; default 30 minutes, as PyTorch's. */
  timeoutMs?: number;
}

export interface GroupInfo {
  backend: Backend;
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

interface DistributedNative {
  distBackends(): Backend[];
  distInit(backend: string, rank: number, worldSize: number, addr: string, port: number, timeoutMs: number): void;
  distDestroy(): void;
  distInfo(): GroupInfo | null;
  distAllReduce(tensors: unknown[], op: string): void;
  distBroadcast(tensors: unknown[], src: number): void;
  distAllGather(tensor: unknown): unknown[];
  distBarrier(): void;
}
const dist = native as unknown as DistributedNative;

/** The backends this build has: ['gloo'] on CPU builds with c10d, plus 'nccl' on CUDA builds with NCCL. */
export const availableBackends = (): Backend[] => dist.distBackends();
export const isAvailable = (): boolean => availableBackends().length > 0;
export const isInitialized = (): boolean => dist.distInfo() !== null;

function intFrom(value: number | undefined, variable: string, fallback?: number): number {
  const raw = value ?? (process.env[variable] !== undefined ? Number(process.env[variable]) : fallback);
  if (raw === undefined) {
    throw new Error(
      `initProcessGroup(): ${variable} is not set; pass it or start the processes with torchrun's environment (RANK, WORLD_SIZE)`,
    );
  }
  if (!Number.isInteger(raw) || raw < 0) throw new RangeError(`initProcessGroup(): ${variable} must be a non-negative integer, got ${raw}`);
  return raw;
}

/** Joins the group: every rank calls this with the same world size and master; returns when all have joined. */
export function initProcessGroup(o: InitOptions = {}): GroupInfo {
  const backends = availableBackends();
  if (backends.length === 0) {
    throw new Error(
      "torch.distributed is not in this build of @lot/torch: it needs Gloo's headers at build time (apt-get install libgloo-dev, then npm install again)",
    );
  }
  const backend = o.backend ?? 'gloo';
  const rank = intFrom(o.rank, 'RANK');
  const worldSize = intFrom(o.worldSize, 'WORLD_SIZE');
  if (worldSize < 1 || rank >= worldSize)
    throw new RangeError(`initProcessGroup(): need 0 <= rank < worldSize, got rank ${rank}, world size ${worldSize}`);
  const port = intFrom(o.masterPort, 'MASTER_PORT', 29500);
  if (port < 1 || port > 65535) throw new RangeError(`initProcessGroup(): MASTER_PORT must be in 1..65535, got ${port}`);
  const timeoutMs = o.timeoutMs ?? 30 * 60 * 1000;
  if (!(timeoutMs > 0)) throw new RangeError(`initProcessGroup(): timeoutMs must be positive, got ${timeoutMs}`);
  dist.distInit(backend, rank, worldSize, o.masterAddr ?? process.env.MASTER_ADDR ?? '127.0.0.1', port, Math.round(timeoutMs));
  return dist.distInfo() as GroupInfo;
}

/** Leaves the group (every rank should); a later initProcessGroup starts a new one. */
export function destroyProcessGroup(): void {
  dist.distDestroy();
}

function info(what: string): GroupInfo {
  const i = dist.distInfo();
  if (!i) throw new Error(`${what}: no process group; call torch.distributed.initProcessGroup() first`);
  return i;
}

/** This process's rank; 0 when no group is initialized (one process is rank 0 of 1). */
export const getRank = (): number => dist.distInfo()?.rank ?? 0;
/** The number of ranks; 1 when no group is initialized. */
export const getWorldSize = (): number => dist.distInfo()?.worldSize ?? 1;
export const getBackend = (): Backend => info('getBackend()').backend;

const handles = (tensors: Tensor | Tensor[]): unknown[] => (Array.isArray(tensors) ? tensors : [tensors]).map((t) => t.handle);

/** Reduces in place over all ranks (sum by default): every rank ends with the same values. */
export function allReduce(tensors: Tensor | Tensor[], op: ReduceOp = 'sum'): void {
  info('allReduce()');
  dist.distAllReduce(handles(tensors), op);
}

/** Overwrites in place with rank `src`'s values. */
export function broadcast(tensors: Tensor | Tensor[], src = 0): void {
  info('broadcast()');
  dist.distBroadcast(handles(tensors), src);
}

/** Every rank's copy of `tensor` (same shape and dtype on every rank), in rank order. */
export function allGather(tensor: Tensor): Tensor[] {
  info('allGather()');
  return dist.distAllGather(tensor.handle).map((h) => wrap(h as never));
}

/** Returns once every rank has reached it. */
export function barrier(): void {
  info('barrier()');
  dist.distBarrier();
}
