// Shared helpers of the dataset readers: errors that name the file, gzip detection,
// checksums, the cache folder.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
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

export async function fileDigest(path: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve());
  });
  return hash.digest('hex');
}

/** Throws a DatasetError naming `path` unless its digest is `expected` (md5: 32 hex digits, sha256: 64). */
export async function verifyChecksum(path: string, expected: string): Promise<void> {
  const algorithm = expected.length === 64 ? 'sha256' : 'md5';
  const actual = await fileDigest(path, algorithm);
  if (actual !== expected.toLowerCase()) {
    throw new DatasetError(
      `${path}: ${algorithm} checksum mismatch (expected ${expected}, got ${actual}); the file is corrupt or incomplete, delete it and fetch it again`,
      path,
    );
  }
}

/** The folder downloads go to (one subfolder per data set): $LOT_DATA_DIR, else $XDG_CACHE_HOME/lot, else ~/.cache/lot. */
export function defaultCacheDir(): string {
  if (process.env.LOT_DATA_DIR) return process.env.LOT_DATA_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lot');
}

export const isFile = (path: string): boolean => {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
};

export const isDir = (path: string): boolean => {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The first of `names` (tried in order) that is a file in `dir`, or null. */
export function findFile(dir: string, names: readonly string[]): string | null {
  for (const n of names) {
    const p = join(dir, n);
    if (isFile(p)) return p;
  }
  return null;
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
