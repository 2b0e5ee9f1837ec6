// Downloads with a checksum: written to a temporary file, verified, then renamed into place,
// so an interrupted or corrupt download never looks like a finished one.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isFile, verifyChecksum } from './files.js';
import { defaultLog } from './log.js';

export interface DownloadOptions {
  /** Gives up when no byte arrives for this long (ms). Default 30 s. */
  idleTimeoutMs?: number;
  /** Progress and status lines. Default: stderr. */
  log?: (line: string) => void;
}

/** Thrown when no mirror gave the file: no network, DNS failure, timeout, HTTP error, or only corrupt bytes. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

async function fetchTo(url: string, temporary: string, idleTimeoutMs: number, log: (line: string) => void): Promise<void> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), idleTimeoutMs);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleTimeoutMs);
  };
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const total = Number(response.headers.get('content-length') ?? 0);
    const out = createWriteStream(temporary);
    let received = 0;
    let lastReport = Date.now();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        received += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        if (Date.now() - lastReport > 2000) {
          lastReport = Date.now();
          const mb = (received / 1e6).toFixed(1);
          log(total ? `  ${mb} / ${(total / 1e6).toFixed(1)} MB` : `  ${mb} MB`);
        }
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    if (total && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = controller.signal.aborted
      ? `no data for ${idleTimeoutMs / 1000} s`
      : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new DownloadError(`${url}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fetches `dest` from the first mirror that answers with the right bytes, verifying `checksum`
 * (md5 or sha256 hex). A file already at `dest` with the right checksum is kept (a wrong one is
 * fetched again). Throws DownloadError, naming each mirror's failure, when none gave the file.
 */
export async function download(urls: readonly string[], dest: string, checksum: string, o: DownloadOptions = {}): Promise<string> {
  const log = o.log ?? defaultLog;
  if (isFile(dest)) {
    try {
      await verifyChecksum(dest, checksum);
      return dest;
    } catch {
      log(`${dest} is incomplete or corrupt; fetching it again`);
      await rm(dest, { force: true });
    }
  }
  await mkdir(dirname(dest), { recursive: true });
  const temporary = `${dest}.part-${process.pid}`;
  const failures: string[] = [];
  for (const url of urls) {
    log(`downloading ${url}`);
    try {
      await fetchTo(url, temporary, o.idleTimeoutMs ?? 30_000, log);
    } catch (e) {
      await rm(temporary, { force: true });
      failures.push((e as Error).message);
      continue;
    }
    try {
      await verifyChecksum(temporary, checksum);
    } catch (e) {
      await rm(temporary, { force: true });
      failures.push(`${url}: ${(e as Error).message.replace(temporary, 'download')}`);
      continue;
    }
    await rename(temporary, dest);
    return dest;
  }
  throw new DownloadError(`could not download ${dest.split('/').pop()}: ${failures.join('; ')}`);
}

/** A function of `download`'s shape (a stand-in for tests, say). */
export type Downloader = typeof download;
