// The IDX format of (Fashion-)MNIST: magic 0x00 0x00 <type> <ndim>, ndim big-endian uint32
// sizes, then the data row-major. Only unsigned bytes (type 0x08) are used by these data sets.
import { DatasetError, readMaybeGzip } from './util.js';

export interface IdxArray {
  /** The data, a view on the file's bytes (no copy). */
  data: Uint8Array;
  shape: number[];
}

const TYPE_NAMES: Record<number, string> = { 8: 'uint8', 9: 'int8', 11: 'int16', 12: 'int32', 13: 'float32', 14: 'float64' };

/** Parses IDX bytes; `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4) throw new DatasetError(`${file}: truncated IDX file (${bytes.length} bytes, no header)`, file);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new DatasetError(`${file}: not an IDX file (bad magic number)`, file);
  const type = bytes[2]!;
  const ndim = bytes[3]!;
  if (type !== 0x08) {
    throw new DatasetError(
      `${file}: IDX element type ${TYPE_NAMES[type] ?? `0x${type.toString(16)}`} is not supported (expected uint8)`,
      file,
    );
  }
  if (expectedDims !== undefined && ndim !== expectedDims)
    throw new DatasetError(`${file}: expected a ${expectedDims}-dimensional IDX array, found ${ndim} dimensions`, file);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new DatasetError(`${file}: truncated IDX header`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    size *= d;
  }
  const have = bytes.length - headerBytes;
  if (have < size)
    throw new DatasetError(`${file}: truncated IDX file: header says [${shape.join(', ')}] (${size} bytes of data), found ${have}`, file);
  if (have > size)
    throw new DatasetError(`${file}: corrupt IDX file: ${have - size} unexpected bytes after the [${shape.join(', ')}] array`, file);
  return { data: bytes.subarray(headerBytes, headerBytes + size), shape };
}

/** Reads an IDX file, gzipped or not. */
export async function readIdx(path: string, expectedDims?: number): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(path), path, expectedDims);
}

/** Encodes a uint8 IDX array (used by tests and tools). */
export function encodeIdx(data: Uint8Array, shape: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out[2] = 0x08;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}
