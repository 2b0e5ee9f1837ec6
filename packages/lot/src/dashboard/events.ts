// The live feed of one page, as server-sent events: on connecting, everything there is (a
// `hello`, every run with its records, every sweep, then `ready`); after that, every poll's
// changes only: new and changed runs, the records appended to their metrics.jsonl, resets
// (truncated or replaced files) and runs or sweeps that are gone. Each connection follows the
// folder with its own byte offsets, so a page that reconnects simply starts over.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunsRoot } from './paths.js';
import { type DashboardEvent, FolderWatch } from './watch.js';

export interface FeedOptions {
  /** Milliseconds between polls of the runs folder. */
  intervalMs: number;
  /** A comment line after this long without events, so that proxies and browsers keep the connection. */
  heartbeatMs?: number;
  /** Where a poll's unexpected error goes (the feed keeps going). */
  onError?: (e: unknown) => void;
}

/** A feed running on one response; `stop()` ends it (the server closing, or the page going away). */
export interface Feed {
  stop(): void;
  done: Promise<void>;
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function startFeed(root: RunsRoot, res: ServerResponse, o: FeedOptions): Feed {
  const abort = new AbortController();
  const stop = () => abort.abort();
  res.on('close', stop);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no', // no buffering in a reverse proxy
  });
  const watch = new FolderWatch(root);
  let lastWrite = Date.now();
  const write = async (text: string): Promise<void> => {
    lastWrite = Date.now();
    if (!res.write(text)) await once(res, 'drain', { signal: abort.signal });
  };
  const run = async (): Promise<void> => {
    await write(`retry: 2000\n\n${frame('hello', { root: root.dir, intervalMs: o.intervalMs })}`);
    let first = true;
    while (!abort.signal.aborted) {
      let events: DashboardEvent[] = [];
      try {
        events = await watch.poll();
      } catch (e) {
        o.onError?.(e);
      }
      for (const e of events) await write(frame(e.type, e.data));
      if (first) await write(frame('ready', {}));
      first = false;
      if (Date.now() - lastWrite > (o.heartbeatMs ?? 15_000)) await write(': ping\n\n');
      await sleep(o.intervalMs, undefined, { signal: abort.signal });
    }
  };
  const done = run()
    .catch((e: unknown) => {
      if (!abort.signal.aborted) o.onError?.(e);
    })
    .finally(() => {
      res.off('close', stop);
      res.end();
    });
  return { stop, done };
}
