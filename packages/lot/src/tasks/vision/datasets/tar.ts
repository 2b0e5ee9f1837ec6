// A minimal streaming reader for (gzipped) tar archives: ustar/GNU/pax headers, regular files
// and folders only, header checksums verified, paths kept inside the destination folder.
import { createReadStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DatasetError } from './util.js';

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
  size: number;
}

const text = (b: Uint8Array): string => {
  const end = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, end < 0 ? b.length : end).toString('utf8');
};

function octal(b: Uint8Array): number {
  if (b[0]! & 0x80) {
    // GNU base-256 for large sizes
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = text(b).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function parsePax(body: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const s = Buffer.from(body).toString('utf8');
  let i = 0;
  while (i < s.length) {
    const sp = s.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(s.slice(i, sp));
    if (!Number.isFinite(len) || len <= 0) break;
    const record = s.slice(sp + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Reads the tar (optionally gzipped: detected from the magic bytes) at `archive` and calls
 * `onEntry` for each entry; for a regular file it may return true to receive its contents.
 */
export async function readTar(
  archive: string,
  onEntry: (entry: TarEntry, contents?: Uint8Array) => boolean | void | Promise<boolean | void>,
): Promise<void> {
  const fail = (why: string): never => {
    throw new DatasetError(`${archive}: ${why}`, archive);
  };
  // Detect gzip from the first two bytes.
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(archive, { start: 0, end: 1 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('error', reject)
      .on('end', () => resolve(Buffer.concat(chunks)));
  }).catch((e: Error) => fail(`cannot read: ${e.message}`));
  const gz = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  const file = createReadStream(archive);
  const source: AsyncIterable<Buffer> = gz ? file.pipe(createGunzip()) : file;
  if (gz) file.on('error', (e) => (source as unknown as NodeJS.ReadableStream).emit('error', e));

  let buffered: Buffer[] = [];
  let bufferedLength = 0;
  const takeBytes = (n: number): Buffer => {
    const all = buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered, bufferedLength);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    buffered = rest.length ? [rest] : [];
    bufferedLength = rest.length;
    return out;
  };

  // State machine: reading a header, or a body of `remaining` bytes (+ padding to 512).
  let current: { entry: TarEntry; want: boolean; chunks: Buffer[]; remaining: number; padding: number; kind: 'entry' | 'longname' | 'pax' } | null = null;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let zeroBlocks = 0;
  let ended = false;

  const step = async (): Promise<boolean> => {
    if (current) {
      if (current.remaining > 0) {
        if (bufferedLength === 0) return false;
        const n = Math.min(current.remaining, bufferedLength);
        const piece = takeBytes(n);
        if (current.want || current.kind !== 'entry') current.chunks.push(Buffer.from(piece));
        current.remaining -= n;
        return true;
      }
      if (current.padding > 0) {
        if (bufferedLength < current.padding) return false;
        takeBytes(current.padding);
        current.padding = 0;
      }
      const done = current;
      current = null;
      const body = Buffer.concat(done.chunks);
      if (done.kind === 'longname') longName = text(body);
      else if (done.kind === 'pax') paxPath = parsePax(body).path ?? null;
      else if (done.want) await onEntry(done.entry, body);
      return true;
    }
    if (bufferedLength < 512) return false;
    const header = takeBytes(512);
    if (header.every((b) => b === 0)) {
      zeroBlocks++;
      if (zeroBlocks >= 2) ended = true;
      return true;
    }
    zeroBlocks = 0;
    const stored = octal(header.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (!(stored === sum)) fail('corrupt tar header (checksum mismatch): the archive is damaged; delete it and fetch it again');
    const size = octal(header.subarray(124, 136));
    if (!Number.isFinite(size)) fail('corrupt tar header (bad size field)');
    const flag = String.fromCharCode(header[156]!);
    let name = text(header.subarray(0, 100));
    if (text(header.subarray(257, 262)) === 'ustar') {
      const prefix = text(header.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
    }
    const padding = (512 - (size % 512)) % 512;
    if (flag === 'L') {
      current = { entry: { name, type: 'other', size }, want: false, chunks: [], remaining: size, padding, kind: 'longname' };
      return true;
    }
    if (flag === 'x') {
      current = { entry: { name, type: 'other', size }, want: false, chunks: [], remaining: size, padding, kind: 'pax' };
      return true;
    }
    if (flag === 'g') {
      current = { entry: { name, type: 'other', size }, want: false, chunks: [], remaining: size, padding, kind: 'entry' };
      return true;
    }
    if (longName !== null) name = longName;
    if (paxPath !== null) name = paxPath;
    longName = null;
    paxPath = null;
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other';
    const entry: TarEntry = { name, type, size: type === 'directory' ? 0 : size };
    const want = type === 'file' ? Boolean(await onEntry(entry)) : (await onEntry(entry), false);
    current = { entry, want, chunks: [], remaining: size, padding, kind: 'entry' };
    return true;
  };

  try {
    for await (const chunk of source) {
      buffered.push(chunk);
      bufferedLength += chunk.length;
      while (!ended && (await step()));
      if (ended) break;
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    fail(`corrupt or truncated archive (${(e as Error).message}); delete it and fetch it again`);
  } finally {
    file.destroy();
  }
  // Finish an entry whose bytes are all buffered.
  while (!ended && (await step()));
  if (current) fail(`truncated archive: ${(current as { entry: TarEntry }).entry.name} is cut short; delete it and fetch it again`);
}

/**
 * Extracts the regular files of `archive` that `select` accepts (all by default) into `dest`,
 * keeping their relative paths; returns the paths written. Paths escaping `dest` are refused.
 */
export async function extractTar(archive: string, dest: string, select: (name: string) => boolean = () => true): Promise<string[]> {
  const written: string[] = [];
  await readTar(archive, async (entry, contents) => {
    if (entry.type !== 'file' || !select(entry.name)) return false;
    const rel = normalize(entry.name);
    if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`${sep}..${sep}`)) {
      throw new DatasetError(`${archive}: refusing to extract ${entry.name} (path outside the folder)`, archive);
    }
    if (!contents) return true;
    const out = join(dest, rel);
    await mkdir(dirname(out), { recursive: true });
    const temporary = `${out}.part-${process.pid}`;
    await writeFile(temporary, contents);
    await rename(temporary, out);
    written.push(out);
    return true;
  });
  return written;
}
