// Starting the dashboard on a port: the runs folder must be there, and the mistakes a user can
// fix (a port in use, an address this machine does not have) are one-line UsageErrors.
import { existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { UsageError } from '../harness/errors.js';
import { createDashboard } from './server.js';

export interface StartOptions {
  root: string;
  port: number;
  /** The address to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  intervalMs?: number;
  onError?: (e: unknown) => void;
}

export interface Dashboard {
  app: FastifyInstance;
  /** http://HOST:PORT/ as a browser on this machine reaches it. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

export async function startDashboard(o: StartOptions): Promise<Dashboard> {
  if (!existsSync(o.root) || !statSync(o.root).isDirectory()) {
    throw new UsageError(`no folder ${o.root}: give the folder that holds your runs (\`lot dashboard runs\`, the default of --runs-dir)`);
  }
  const host = o.host ?? DEFAULT_HOST;
  const app = await createDashboard({
    root: o.root,
    loopbackOnly: LOOPBACK.has(host),
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  try {
    await app.listen({ port: o.port, host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${o.port} is in use on ${host}: pass --port with another one (--port 0 picks a free one)`);
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on port ${o.port}: pass --port with one above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new UsageError(
        `cannot listen on ${host}: not an address of this machine; pass --host with one (127.0.0.1, or 0.0.0.0 for all)`,
      );
    }
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  return { app, url: urlOf(host, port), port, close: () => app.close() };
}
