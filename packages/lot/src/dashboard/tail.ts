// Following a growing JSON-lines file (metrics.jsonl) by byte offset: each read returns only the
// whole lines written since the last one. A torn last line (a writer mid-append) stays unread
// until its newline arrives. A file that shrank, was replaced (`lot resume` rewrites
// metrics.jsonl atomically: a new inode) or was rewritten in place (the bytes before our offset
// are not the ones we read there) is read again from the start, and the reader is told to drop
// what it had; a deleted file is reported as gone.
import { open, stat } from 'node:fs/promises';

export interface TailRead {
  /** The file was replaced, truncated or rewritten: earlier lines no longer hold; `lines` start from its beginning. */
  reset: boolean;
  /** The file is not there (any more). */
  gone: boolean;
  /** Whole lines appended since the last read (without their newlines). */
  lines: string[];
}

/** The most read per call, so that a huge file is sent in pieces over several polls. */
const MAX_CHUNK = 8 * 1024 * 1024;
/** How many of the last bytes read are checked again before reading on. */
const CHECKED = 64;
const NEWLINE = 0x0a;

export class LineTail {
  readonly path: string;
  private offset = 0;
  private ino: number | null = null;
  private mtimeMs = 0;
  /** The last bytes consumed (up to CHECKED), which must still be there at the next read. */
  private last: Buffer = Buffer.alloc(0);

  constructor(path: string) {
    this.path = path;
  }

  /** When the file was last modified (ms since the epoch), as of the last read; null when it is not there. */
  get modified(): number | null {
    return this.ino === null ? null : this.mtimeMs;
  }

  /** Bytes consumed so far (whole lines only). */
  get position(): number {
    return this.offset;
  }

  async read(): Promise<TailRead> {
    let size: number;
    let ino: number;
    let mtimeMs: number;
    try {
      ({ size, ino, mtimeMs } = await stat(this.path));
    } catch {
      const wasThere = this.ino !== null;
      this.forget();
      return { reset: wasThere, gone: true, lines: [] };
    }
    let reset = false;
    if ((this.ino !== null && ino !== this.ino) || size < this.offset) reset = true;
    if (reset) this.forget();
    const touched = mtimeMs !== this.mtimeMs;
    this.ino = ino;
    this.mtimeMs = mtimeMs;
    if (size === this.offset && !touched) return { reset, gone: false, lines: [] };
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path, 'r');
    } catch {
      this.forget();
      return { reset: true, gone: true, lines: [] };
    }
    try {
      // Read from a few bytes before our offset: they must still be the ones that ended what we
      // sent, else the file was rewritten in place (same inode, no shorter).
      const from = this.offset - this.last.length;
      const length = Math.min(size - from, MAX_CHUNK);
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, from);
      if (!buf.subarray(0, this.last.length).equals(this.last) || bytesRead < this.last.length) {
        this.forget();
        return { ...(await this.read()), reset: true };
      }
      const chunk = buf.subarray(this.last.length, bytesRead);
      const end = chunk.lastIndexOf(NEWLINE);
      if (end < 0) return { reset, gone: false, lines: [] }; // only a torn line so far
      this.offset += end + 1;
      const consumed = Buffer.concat([this.last, chunk.subarray(0, end + 1)]);
      this.last = Buffer.from(consumed.subarray(Math.max(0, consumed.length - CHECKED)));
      const lines = chunk
        .subarray(0, end)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      return { reset, gone: false, lines };
    } finally {
      await handle.close();
    }
  }

  /** Starts over from the beginning of the file. */
  private forget(): void {
    this.offset = 0;
    this.mtimeMs = 0;
    this.ino = null;
    this.last = Buffer.alloc(0);
  }
}
