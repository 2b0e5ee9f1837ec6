// Process-wide settings and facts: randomness, threads, memory, the libtorch build.
import { isAvailable as cudaAvailable } from './cuda.js';
import { native } from './native.js';
import { type Tensor, wrap } from './tensor.js';

/**
 * Seeds libtorch's default (CPU) generator and, when CUDA is available, every GPU's, as
 * Python's torch.manual_seed: identical seeds give identical tensors.
 */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`manualSeed(): the seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}
/** The default (CPU) generator's state (a uint8 tensor), for checkpoints; torch.cuda.getRngState() has the GPUs'. */
export const getRngState = (): Tensor => wrap(native.getRngState());
export const setRngState = (state: Tensor): void => native.setRngState(state.handle);

export const getNumThreads = (): number => native.getNumThreads();
/** Sets libtorch's intra-op thread count (defaults to the number of cores). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads(): need an integer >= 1, got ${n}`);
  native.setNumThreads(n);
}

export interface MemoryStats {
  /** Tensor handles not yet disposed or collected. */
  liveTensors: number;
  /** Bytes of the distinct storages those handles reference. */
  liveBytes: number;
}
export const memoryStats = (): MemoryStats => native.memoryStats();

export const buildInfo = () => native.buildInfo();
/** Whether CUDA can be used (a CUDA libtorch and a visible GPU); the same as torch.cuda.isAvailable(). */
export const cudaIsAvailable = (): boolean => cudaAvailable();
