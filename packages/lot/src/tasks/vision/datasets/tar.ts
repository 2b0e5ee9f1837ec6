// Extracting the official CIFAR archives (.tar.gz, or plain .tar). Reading the archive is
// node-tar's job (its list command, `tar.t`): gzip detection, ustar/GNU/pax headers, header
// checksums, truncation. This module only decides what is written and where: regular files, at
// paths that stay inside the destination folder. Each is written to a temporary name and renamed
// into place only once the whole archive has been read without error, so a corrupt or cut
// archive leaves no half-written data file behind.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { list, type ReadEntry } from 'tar';
import { DatasetError } from './util.js';

/** The tar entry types that hold a regular file's bytes (symbolic and hard links are not). */
const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);

const AGAIN = 'delete it and fetch it again';

/** `name` as a path relative to the destination, or null when it would land outside it. */
function insidePath(name: string): string | null {
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.split(/[\\/]/).includes('..')) return null;
  const rel = normalize(name);
  return rel === '.' ? null : rel;
}

/** A node-tar (or file system) error as a DatasetError naming the archive. */
function archiveError(archive: string, e: unknown): DatasetError {
  if (e instanceof DatasetError) return e;
  const err = e as Error & { tarCode?: string; syscall?: string; entry?: { path?: string } };
  const message = err.message.replace(/^TAR_[A-Z_]+: /, '');
  let why: string;
  if (err.tarCode === undefined && err.syscall) why = `cannot read: ${message}`;
  else if (err.tarCode === 'TAR_ENTRY_INVALID' && message === 'checksum failure')
    why = `corrupt tar header (checksum mismatch): the archive is damaged; ${AGAIN}`;
  else if (err.tarCode === 'TAR_BAD_ARCHIVE' && message.startsWith('Truncated input'))
    why = `truncated archive: ${err.entry?.path ?? 'the last member'} is cut short (${message}); ${AGAIN}`;
  else if (err.tarCode === 'TAR_BAD_ARCHIVE') why = `not a tar archive (${message}); ${AGAIN}`;
  else why = `corrupt or truncated archive (${message}); ${AGAIN}`;
  return new DatasetError(`${archive}: ${why}`, archive);
}

/**
 * Extracts the regular files of `archive` (a tar, gzipped or not) that `select` accepts (all by
 * default) into `dest`, keeping their relative paths; returns the paths written, in archive
 * order. Other entries (folders, links, devices) are not written; folders are made as needed.
 * An entry whose path is absolute or has a `..` part is refused. Errors are DatasetErrors
 * naming the archive; on any error nothing is left in `dest` but the folders made for it.
 */
export async function extractTar(archive: string, dest: string, select: (name: string) => boolean = () => true): Promise<string[]> {
  const members: { out: string; temporary: string }[] = [];
  const writes: Promise<void>[] = [];
  let refused: string | undefined;
  let closed = false;
  const onReadEntry = (entry: ReadEntry): void => {
    if (closed || refused !== undefined || !REGULAR.has(entry.type) || !select(entry.path)) return;
    const rel = insidePath(entry.path);
    if (rel === null) {
      refused = entry.path;
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      // After a parse error the parser may still end entries: those are not written.
      if (closed || refused !== undefined) return;
      const out = join(dest, rel);
      const temporary = `${out}.part-${process.pid}-${members.length}`;
      members.push({ out, temporary });
      writes.push(mkdir(dirname(out), { recursive: true }).then(() => writeFile(temporary, chunks)));
    });
  };
  let failure: DatasetError | undefined;
  try {
    await list({ file: archive, strict: true, onReadEntry });
  } catch (e) {
    failure = archiveError(archive, e);
  }
  closed = true;
  if (!failure && refused !== undefined)
    failure = new DatasetError(`${archive}: refusing to extract ${refused} (path outside the folder)`, archive);
  const written = await Promise.allSettled(writes);
  const writeFailure = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (!failure && writeFailure)
    failure = new DatasetError(`${archive}: cannot write the extracted files: ${(writeFailure.reason as Error).message}`, archive);
  if (failure) {
    await Promise.all(members.map((m) => rm(m.temporary, { force: true })));
    throw failure;
  }
  try {
    for (const m of members) await rename(m.temporary, m.out);
  } catch (e) {
    await Promise.all(members.map((m) => rm(m.temporary, { force: true })));
    throw new DatasetError(`${archive}: cannot write the extracted files: ${(e as Error).message}`, archive);
  }
  return members.map((m) => m.out);
}
