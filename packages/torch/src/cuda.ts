// torch.cuda: whether CUDA can be used, how many GPUs, synchronization (for timing), and the
// CUDA generators' seeds and states (for reproducible runs and checkpoints). The native side
// reaches CUDA through ATen's hooks, so a CPU-only libtorch builds the same addon: there
// isAvailable() is false, deviceCount() is 0, and every other call throws an Error that says
// why ("CUDA is not available: ...; use device 'cpu'").
//
//   if (torch.cuda.isAvailable()) model.to('cuda');
//   torch.cuda.synchronize(); // before reading a clock: kernels run asynchronously
import { type Handle, native } from './native.js';
import { type Tensor, wrap } from './tensor.js';

interface CudaNative {
  cudaIsAvailable(): boolean;
  cudaIsBuilt(): boolean;
  cudaDeviceCount(): number;
  cudaUnavailableReason(): string | null;
  cudaCurrentDevice(): number;
  cudaSetDevice(index: number): void;
  cudaSynchronize(index?: number): void;
  cudaManualSeed(seed: number): void;
  cudaManualSeedAll(seed: number): void;
  cudaGetRngState(index?: number): Handle;
  cudaSetRngState(state: Handle, index?: number): void;
}
const cu = native as unknown as CudaNative;

/** A CUDA device: its index, 'cuda' (the current device) or 'cuda:N'. */
export type CudaDevice = number | string;

/** True when this libtorch has CUDA and at least one GPU is visible. Never throws. */
export const isAvailable = (): boolean => cu.cudaIsAvailable();
/** True when this libtorch was built with CUDA (even if no GPU is visible now). */
export const isBuilt = (): boolean => cu.cudaIsBuilt();
/** The number of visible GPUs; 0 without CUDA (as torch.cuda.device_count()). */
export const deviceCount = (): number => cu.cudaDeviceCount();
/** Why CUDA cannot be used here, or null when it can: a reason string for skipped GPU tests. */
export const unavailableReason = (): string | null => cu.cudaUnavailableReason();
/** The index of the device that 'cuda' without an index means. */
export const currentDevice = (): number => cu.cudaCurrentDevice();

/**
 * Makes 'cuda' (and the current-device defaults here) mean this GPU in this process, as
 * torch.cuda.set_device: one process per GPU calls it with its LOCAL_RANK.
 */
export function setDevice(device: CudaDevice): void {
  const index = indexOf(device, 'cuda.setDevice()');
  if (index === undefined) return; // 'cuda': the current device already
  cu.cudaSetDevice(index);
}

/** The device index of `device` (undefined: the current device, passed on as undefined). */
function indexOf(device: CudaDevice | undefined, what: string): number | undefined {
  if (device === undefined) return undefined;
  if (typeof device === 'number') {
    if (!Number.isInteger(device) || device < 0)
      throw new RangeError(`${what}: a CUDA device index must be a non-negative integer, got ${device}`);
    return device;
  }
  if (device === 'cuda') return undefined;
  const m = /^cuda:(\d+)$/.exec(device);
  if (!m) throw new TypeError(`${what}: expected a CUDA device ('cuda', 'cuda:N' or an index), got '${device}'`);
  return Number(m[1]);
}

/** Throws an Error saying why CUDA cannot be used, if it cannot. */
function requireCuda(): void {
  const why = unavailableReason();
  if (why !== null) throw new Error(why);
}

function seedOf(seed: number, what: string): number {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`${what}: the seed must be a non-negative integer, got ${seed}`);
  return seed;
}

/** Waits until every kernel queued on the device (default: the current one) has finished. */
export function synchronize(device?: CudaDevice): void {
  cu.cudaSynchronize(indexOf(device, 'cuda.synchronize()'));
}

/** Seeds the current GPU's generator (torch.manualSeed seeds the CPU's and every GPU's). */
export function manualSeed(seed: number): void {
  cu.cudaManualSeed(seedOf(seed, 'cuda.manualSeed()'));
}

/** Seeds every GPU's generator. */
export function manualSeedAll(seed: number): void {
  cu.cudaManualSeedAll(seedOf(seed, 'cuda.manualSeedAll()'));
}

/** The generator state of one GPU (default: the current one), a CPU uint8 tensor. */
export function getRngState(device?: CudaDevice): Tensor {
  return wrap(cu.cudaGetRngState(indexOf(device, 'cuda.getRngState()')));
}

/** Restores a state from getRngState() on one GPU (default: the current one). */
export function setRngState(state: Tensor, device?: CudaDevice): void {
  cu.cudaSetRngState(state.handle, indexOf(device, 'cuda.setRngState()'));
}

/** Every GPU's generator state, in device order (as torch.cuda.get_rng_state_all()). */
export function getRngStateAll(): Tensor[] {
  requireCuda();
  return Array.from({ length: deviceCount() }, (_, i) => getRngState(i));
}

/** Restores states from getRngStateAll(), one per GPU in device order. */
export function setRngStateAll(states: Tensor[]): void {
  requireCuda();
  const count = deviceCount();
  if (states.length > count) {
    throw new RangeError(`cuda.setRngStateAll(): got ${states.length} states but only ${count} CUDA device(s) are visible`);
  }
  states.forEach((s, i) => setRngState(s, i));
}

/**
 * Whether a tensor on `actual` (a device string as Tensor.device gives it: 'cpu', 'cuda:0')
 * already is where `requested` asks ('cuda' means the current GPU, as in PyTorch).
 */
export function isSameDevice(requested: string, actual: string): boolean {
  if (requested === actual) return true;
  if (requested === 'cuda' && actual.startsWith('cuda:')) return actual === `cuda:${currentDevice()}`;
  if (actual === 'cuda' && requested.startsWith('cuda:')) return requested === `cuda:${currentDevice()}`;
  return false;
}
