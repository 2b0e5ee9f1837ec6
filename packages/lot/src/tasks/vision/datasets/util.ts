// Helpers of the dataset readers: errors that name the file, gzip detection, subsets, bytes.
// Downloads, checksums, the cache folder and finding files are the sources' (src/sources/).
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';

const gunzipAsync = promisify(gunzipCallback);

/** A dataset file that is missing, corrupt or truncated; `file` names it. */
export class DatasetError extends Error {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(message);
    this.name = 'DatasetError';
    this.file = file;
  }
}

export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Reads a file, gunzipping it when it starts with the gzip magic bytes (whatever its name). */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new DatasetError(`cannot read ${path}: ${(e as Error).message}`, path);
  }
  if (!isGzip(raw)) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (e) {
    throw new DatasetError(`${path} is a corrupt or truncated gzip file (${(e as Error).message}); delete it and fetch it again`, path);
  }
}

/** Clamps a subset size: undefined or ≥ count keeps all; otherwise a positive integer. */
export function subsetCount(count: number, want: number | undefined, what: string): number {
  if (want === undefined) return count;
  if (!Number.isInteger(want) || want < 1) throw new Error(`subset.${what} must be a positive integer, got ${want}`);
  return Math.min(count, want);
}

/** The same bytes as a plain Uint8Array (not a Node Buffer), sharing memory: no copy. */
export const plainBytes = (b: Uint8Array): Uint8Array =>
  b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
