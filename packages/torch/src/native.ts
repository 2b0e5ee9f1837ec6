// Loads the native addon and types its entry points. Handles are opaque
// Externals, each owning one libtorch tensor reference.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

export type Handle = { readonly __handle: unique symbol };

export interface NativeBinding {
  resolveOp(name: string, overload: string): number;
  opSchema(id: number): string;
  listOps(): string[];
  callOp(id: number, ...args: unknown[]): any;
  fromBytes(bytes: ArrayBufferView | ArrayBuffer, shape: number[], dtype: number): Handle;
  toBytes(h: Handle): ArrayBuffer;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dtype(h: Handle): number;
  device(h: Handle): string;
  numel(h: Handle): number;
  isContiguous(h: Handle): boolean;
  item(h: Handle): number | boolean;
  dispose(h: Handle): void;
  isDisposed(h: Handle): boolean;
  memoryStats(): { liveTensors: number; liveBytes: number };
  manualSeed(seed: number): void;
  getRngState(): Handle;
  setRngState(h: Handle): void;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  buildInfo(): {
    torchVersion: string;
    cudaAvailable: boolean;
    cudaDeviceCount: number;
    parallelInfo: string;
    /** Whether large freed CPU blocks are kept for reuse (LOT_TORCH_MALLOC=system turns it off). */
    cpuMemoryCaching: boolean;
  };
  backward(h: Handle, gradient: Handle | null, retainGraph?: boolean, createGraph?: boolean): void;
  autogradGrad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[] | null,
    retainGraph?: boolean,
    createGraph?: boolean,
    allowUnused?: boolean,
  ): (Handle | null)[];
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, value: boolean): void;
  isLeaf(h: Handle): boolean;
  retainGrad(h: Handle): void;
  gradFnName(h: Handle): string | null;
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): boolean;
  isInferenceMode(): boolean;
  runInferenceMode<T>(fn: () => T): T;
  pickleSave(value: unknown): Buffer;
  pickleLoad(bytes: Uint8Array, device?: string): unknown;
}

function load(): NativeBinding {
  // The addon's operator registry and live-handle list are process globals
  // without locks (and tensors could not cross threads anyway), so a worker
  // thread is refused here, before the addon is loaded.
  if (!isMainThread) {
    throw new Error(
      '@lot/torch can only be used from the main thread, not from a worker thread: its native addon keeps ' +
        'process-wide state that is not synchronized across threads. Keep tensors on the main thread and pass plain data ' +
        "(TypedArrays, SharedArrayBuffers) to and from workers, as torch.data's prefetch workers do; for a second " +
        'libtorch, use a child process (child_process.fork).',
    );
  }
  const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const addon = join(packageDir, 'build', 'Release', 'lot_torch.node');
  if (!existsSync(addon)) {
    throw new Error(
      `@lot/torch: the native addon is not built (${addon} is missing). Run \`npm install\` at the repository root; it finds libtorch and builds the addon.`,
    );
  }
  return createRequire(import.meta.url)(addon) as NativeBinding;
}

export const native: NativeBinding = load();
