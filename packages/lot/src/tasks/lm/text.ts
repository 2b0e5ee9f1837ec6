// Text files as lines, read the way Python reads them in the reference code
// (`open(path, encoding='utf-8')`, then `for line in f`): strict UTF-8 (a BOM is kept as a
// character), universal newlines (\n, \r\n and a lone \r end a line), a last line without a
// newline still counts, a newline at the very end does not start another line. Files are
// decoded in pieces cut after a newline byte (0x0A never occurs inside a UTF-8 sequence), so a
// file larger than the longest JavaScript string (WikiText-103's 540 MB training file) reads too.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../../harness/index.js';

/** Bytes decoded per piece. */
const PIECE = 8 << 20;

/**
 * The bytes of a text file; a missing, unreadable or empty file, or one holding a NUL byte
 * (binary data), is a UsageError naming it. `what` says what the file is for ("PTB's training file").
 */
export function readTextBytes(path: string, what: string, fix: string): Buffer {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    bytes = readFileSync(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`;
    throw new UsageError(`${what} ${path} ${why}; ${fix}`);
  }
  if (bytes.length === 0) throw new UsageError(`${what} ${path} is empty; ${fix}`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new UsageError(`${what} ${path} is not text (a NUL byte at offset ${nul}): give a UTF-8 text file`);
  return bytes;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Splits decoded text into lines (universal newlines), calling `visit` for each. */
function splitLines(text: string, visit: (line: string) => void): void {
  let start = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      visit(text.slice(start, i));
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  if (start < n) visit(text.slice(start));
}

/**
 * Calls `visit(line, index)` for every line of `bytes` (UTF-8), in order, without the line
 * break. Invalid UTF-8 is a UsageError naming `path` and the byte range of the piece it is in.
 */
export function forEachLine(bytes: Uint8Array, path: string, visit: (line: string, index: number) => void): number {
  let index = 0;
  const each = (line: string): void => visit(line, index++);
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(bytes.length, start + PIECE);
    if (end < bytes.length) {
      // Cut after the last \n of the piece (or, for a line longer than a piece, after the next one).
      const lastNewline = bytes.lastIndexOf(10, end - 1);
      if (lastNewline >= start) end = lastNewline + 1;
      else {
        const next = bytes.indexOf(10, end);
        end = next < 0 ? bytes.length : next + 1;
      }
    }
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, end));
    } catch {
      throw new UsageError(
        `${path} is not UTF-8 text (an invalid byte sequence between offsets ${start} and ${end}): convert it to UTF-8 or give another file`,
      );
    }
    splitLines(text, each);
    start = end;
  }
  return index;
}

/** All lines of a small text (a string already in memory), the same way. */
export function textLines(text: string): string[] {
  const out: string[] = [];
  splitLines(text, (l) => out.push(l));
  return out;
}
