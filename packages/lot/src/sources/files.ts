// Files on disk: digests and checksums, the cache folder downloads go to, and finding a file
// among the names it may have.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The hex digest of a file's bytes, read as a stream. */
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

/** A file whose digest is not the one expected; `file` names it. */
export class ChecksumError extends Error {
  readonly file: string;
  constructor(message: string, file: string) {
    super(message);
    this.name = 'ChecksumError';
    this.file = file;
  }
}

/** Throws a ChecksumError naming `path` unless its digest is `expected` (md5: 32 hex digits, sha256: 64). */
export async function verifyChecksum(path: string, expected: string): Promise<void> {
  const algorithm = expected.length === 64 ? 'sha256' : 'md5';
  const actual = await fileDigest(path, algorithm);
  if (actual !== expected.toLowerCase()) {
    throw new ChecksumError(
      `${path}: ${algorithm} checksum mismatch (expected ${expected}, got ${actual}); the file is corrupt or incomplete, delete it and fetch it again`,
      path,
    );
  }
}

/** The folder downloads go to (one subfolder per data set): $LOT_DATA_DIR, else $XDG_CACHE_HOME/lot, else ~/.cache/lot. */
export function defaultCacheDir(): string {
  if (process.env.LOT_DATA_DIR) return process.env.LOT_DATA_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lot');
}

/** Whether `path` is a regular file (following links); false when it is missing or unreadable. */
export const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
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
