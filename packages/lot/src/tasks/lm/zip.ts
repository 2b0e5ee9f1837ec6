// Extracts named files from a zip archive (the WikiText archives are zips): the central
// directory is read, each wanted entry is inflated (stored or deflated, no zip64, no
// encryption), its size and CRC-32 checked, written to a temporary file and renamed into place,
// so a cut or corrupt archive never leaves a file that looks finished.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { UsageError } from '../../harness/index.js';

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

function centralDirectory(zip: Buffer, path: string): Entry[] {
  const bad = (why: string): UsageError => new UsageError(`${path} is not a readable zip archive (${why}): delete it and fetch it again`);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: Entry[] = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) throw bad(`central directory entry ${k} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    const entry: Entry = {
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      headerOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.headerOffset === 0xffffffff)
      throw bad('zip64 is not supported');
    entries.push(entry);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/**
 * Extracts the entries of `zipPath` whose base names are in `wanted` into `destDir` (flat, under
 * their base names). Returns the written paths by base name; a wanted name that is not in the
 * archive, or a damaged entry, is a UsageError naming the archive.
 */
export async function extractZipFiles(zipPath: string, wanted: readonly string[], destDir: string): Promise<Record<string, string>> {
  const zip = await readFile(zipPath);
  const entries = centralDirectory(zip, zipPath);
  const out: Record<string, string> = {};
  for (const name of wanted) {
    const entry = entries.find((e) => e.name.split('/').pop() === name);
    if (!entry) throw new UsageError(`${zipPath} holds no ${name}: is it the right archive?`);
    const h = entry.headerOffset;
    if (h + 30 > zip.length || zip.readUInt32LE(h) !== 0x04034b50)
      throw new UsageError(`${zipPath}: the entry ${entry.name} is damaged; delete the archive`);
    const start = h + 30 + zip.readUInt16LE(h + 26) + zip.readUInt16LE(h + 28);
    const raw = zip.subarray(start, start + entry.compressedSize);
    let data: Buffer;
    try {
      if (entry.method === 0) data = raw;
      else if (entry.method === 8) data = inflateRawSync(raw);
      else throw new Error(`compression method ${entry.method} is not supported`);
    } catch (e) {
      throw new UsageError(`${zipPath}: cannot extract ${entry.name} (${(e as Error).message}); delete the archive and fetch it again`);
    }
    if (data.length !== entry.size || crc32(data) >>> 0 !== entry.crc) {
      throw new UsageError(`${zipPath}: ${entry.name} is corrupt (size or CRC-32 mismatch); delete the archive and fetch it again`);
    }
    const dest = join(destDir, name);
    const temporary = `${dest}.part-${process.pid}`;
    try {
      await writeFile(temporary, data);
      await rename(temporary, dest);
    } catch (e) {
      await rm(temporary, { force: true });
      throw new UsageError(`cannot write ${dest} (${(e as Error).message})`);
    }
    out[name] = dest;
  }
  return out;
}
