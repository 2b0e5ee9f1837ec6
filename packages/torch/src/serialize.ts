// Saving and loading records of tensors (and numbers, strings, booleans, null,
// arrays, nested objects) in libtorch's pickle format, the zip layout of
// Python's torch.save: torch.load reads our files and we read torch.save's.
// Writes are atomic (a temporary file, then a rename), so a crash never
// leaves a half-written file behind. Tensors on a GPU are written from CPU
// copies, so files load anywhere; files that Python saved from a GPU load
// onto the CPU where no GPU is (or wherever `mapLocation` says).
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { isAvailable as cudaIsAvailable, deviceCount, unavailableReason } from './cuda.js';
import { type Handle, native } from './native.js';
import { Tensor, wrap } from './tensor.js';

export type Saveable = Tensor | number | string | boolean | null | Saveable[] | { [key: string]: Saveable };

function toNative(value: Saveable): unknown {
  if (value instanceof Tensor) return value.handle;
  if (Array.isArray(value)) return value.map(toNative);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toNative(v);
    return out;
  }
  return value;
}

function fromNative(value: unknown): Saveable {
  if (Array.isArray(value)) return value.map(fromNative);
  if (value !== null && typeof value === 'object') {
    if (Object.getPrototypeOf(value) === null) return wrap(value as Handle);
    const out: Record<string, Saveable> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromNative(v);
    return out;
  }
  return value as Saveable;
}

export interface LoadOptions {
  /**
   * Where every tensor goes ('cpu', 'cuda', 'cuda:1'), as Python's map_location. Default: where
   * it was saved, except on a machine without CUDA, where tensors saved on a GPU come to the CPU.
   */
  mapLocation?: string;
}

/** The record as bytes in torch.save's format (tensors on a GPU as CPU copies). */
export function serialize(value: Saveable): Buffer {
  return native.pickleSave(toNative(value));
}

/** A record from torch.save-format bytes; a truncated or foreign file is refused with an Error. */
export function deserialize(bytes: Uint8Array, source = 'the data', options: LoadOptions = {}): Saveable {
  const device = options.mapLocation ?? (cudaIsAvailable() ? undefined : 'cpu');
  if (device !== undefined) {
    if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new TypeError(`load(): mapLocation must be 'cpu', 'cuda' or 'cuda:N', got '${device}'`);
    if (device !== 'cpu' && !cudaIsAvailable()) throw new Error(`load(): mapLocation '${device}': ${unavailableReason()}`);
    const index = device.startsWith('cuda:') ? Number(device.slice(5)) : -1;
    if (index >= deviceCount())
      throw new Error(`load(): mapLocation '${device}' does not exist: ${deviceCount()} CUDA device(s) are visible`);
  }
  try {
    return fromNative(native.pickleLoad(bytes, device));
  } catch (e) {
    throw new Error(
      `${source} is not a readable torch.save file (truncated, corrupt or another format): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/** Writes the record to `path` atomically. */
export function save(value: Saveable, path: string): void {
  writeFileAtomic(path, serialize(value));
}

/** Reads a record written by `save` or by Python's torch.save. */
export function load(path: string, options: LoadOptions = {}): Saveable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return deserialize(bytes, path, options);
}
