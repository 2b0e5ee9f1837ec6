// The dashboard's web server (fastify): the page and its scripts (served from this package and
// from the vega and vega-lite packages, so that it works offline), the runs' API, the live feed,
// and read-only access to files under the runs folder, each through the path gate (paths.ts).
//
//   GET /                       the page (src/dashboard/page/)
//   GET /vendor/<file>.js       vega and vega-lite's browser builds
//   GET /api/runs               every run's row and every sweep
//   GET /api/records?run=ID     a run's records (whole lines of metrics.jsonl)
//   GET /api/events             the live feed (server-sent events, events.ts)
//   GET /api/sweep?sweep=ID     a sweep with its ablation table
//   GET /api/sweep/plot.svg?sweep=ID&x=alpha|n   its ablation plot
//   GET /files/PATH             a file under the runs folder (config.json, a sweep's logs, a report's plots)
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type AblationAxis, AblationCache } from './ablation.js';
import { type Feed, startFeed } from './events.js';
import { RunsRoot } from './paths.js';
import { RunWatch } from './run-watch.js';
import { FolderWatch } from './watch.js';

export interface DashboardOptions {
  /** The runs folder. */
  root: string;
  /** Milliseconds between polls of the live feed. Default 1000. */
  intervalMs?: number;
  /**
   * Answer only requests addressed to this machine by a loopback name (Host: localhost,
   * 127.0.0.1, [::1]), so that a web page elsewhere cannot reach the server through a DNS name
   * rebound to 127.0.0.1. On by default; off when serving other machines (--host).
   */
  loopbackOnly?: boolean;
  /** Where unexpected errors are reported. */
  onError?: (e: unknown) => void;
}

/** The page's own files (not compiled: plain browser modules). */
export const PAGE_DIR = fileURLToPath(new URL('../../../src/dashboard/page/', import.meta.url));

const require = createRequire(import.meta.url);
/** The browser builds the page loads, from the installed packages (no CDN). */
const VENDOR: Record<string, string> = {
  'vega.min.js': require.resolve('vega/build/vega.min.js'),
  'vega-lite.js': require.resolve('vega-lite/build/vega-lite.js'),
};

// vega compiles its expressions with Function(), hence 'unsafe-eval'; nothing loads from elsewhere.
const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// Files from the runs folder are data: shown, never run (an SVG may hold scripts).
const FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const hostName = (host: string | undefined): string => (host ?? '').replace(/:\d+$/, '').toLowerCase();

const queryString = (query: unknown, name: string): string | null => {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : null;
};

const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });

export async function createDashboard(o: DashboardOptions): Promise<FastifyInstance> {
  const root = new RunsRoot(o.root);
  const intervalMs = o.intervalMs ?? 1000;
  const onError = o.onError ?? (() => {});
  // Feeds never end on their own: the server ends them when it closes.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const feeds = new Set<Feed>();
  app.addHook('preClose', async () => {
    for (const f of feeds) f.stop();
    await Promise.all([...feeds].map((f) => f.done));
  });

  app.addHook('onRequest', async (req, reply) => {
    if (o.loopbackOnly !== false && !LOOPBACK_NAMES.has(hostName(req.headers.host))) {
      return fail(reply, 403, 'this dashboard answers only to localhost, 127.0.0.1 or [::1] (start it with --host to serve other names)');
    }
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', req.url.startsWith('/files/') ? FILE_CSP : PAGE_CSP);
  });

  app.setErrorHandler((e, _req, reply) => {
    onError(e);
    return fail(reply, 500, e instanceof Error ? e.message.split('\n')[0]! : String(e));
  });
  app.setNotFoundHandler((_req, reply) => fail(reply, 404, 'not found'));

  // The page: only the files that are there at start (no wildcard route to probe).
  await app.register(fastifyStatic, { root: PAGE_DIR, prefix: '/', wildcard: false, index: 'index.html', cacheControl: false });
  for (const [name, path] of Object.entries(VENDOR)) {
    app.get(`/vendor/${name}`, (_req, reply) => reply.sendFile(basename(path), dirname(path), { maxAge: '1d' }));
  }

  // One watcher answers the API's requests; each feed has its own (its own offsets).
  const state = new FolderWatch(root);
  let polling: Promise<unknown> | null = null;
  const fresh = async (): Promise<FolderWatch> => {
    polling ??= state.poll().finally(() => (polling = null));
    await polling;
    return state;
  };
  const ablations = new AblationCache(root);

  app.get('/api/runs', async () => {
    const s = await fresh();
    return { root: root.dir, runs: [...s.rows.values()], sweeps: [...s.sweeps.values()] };
  });

  app.get('/api/records', async (req, reply) => {
    const id = queryString(req.query, 'run');
    if (id === null) return fail(reply, 400, 'give the run: /api/records?run=ID');
    const gate = root.resolve(id);
    if (!gate.ok) return fail(reply, gate.status, gate.reason);
    const u = await new RunWatch(root, id).poll(null);
    if (u.gone || !u.row) return fail(reply, 404, 'no run folder there');
    return { id, row: u.row, records: u.records };
  });

  app.get('/api/events', (_req, reply) => {
    reply.hijack(); // the feed writes the response itself, for as long as the page stays
    const feed = startFeed(root, reply.raw, { intervalMs, onError });
    feeds.add(feed);
    void feed.done.finally(() => feeds.delete(feed));
  });

  const sweepOf = async (query: unknown, reply: FastifyReply) => {
    const id = queryString(query, 'sweep');
    if (id === null) {
      await fail(reply, 400, 'give the sweep: ?sweep=ID');
      return null;
    }
    const gate = root.resolve(id);
    if (!gate.ok) {
      await fail(reply, gate.status, gate.reason);
      return null;
    }
    const sweep = (await fresh()).sweeps.get(id);
    if (!sweep) await fail(reply, 404, 'no sweep folder (sweep.json) there');
    return sweep ?? null;
  };

  app.get('/api/sweep', async (req, reply) => {
    const sweep = await sweepOf(req.query, reply);
    if (!sweep) return reply;
    return { ...sweep, ablation: ablations.view(sweep) };
  });

  app.get('/api/sweep/plot.svg', async (req, reply) => {
    const x = queryString(req.query, 'x');
    if (x !== 'alpha' && x !== 'n') return fail(reply, 400, 'x must be alpha or n');
    const sweep = await sweepOf(req.query, reply);
    if (!sweep) return reply;
    const svg = await ablations.svg(sweep, x as AblationAxis);
    if (svg === null) return fail(reply, 404, 'no finished LoT run in this sweep yet');
    return reply.type('image/svg+xml').header('cache-control', 'no-cache').send(svg);
  });

  app.get('/files/*', async (req, reply) => {
    const rel = (req.params as Record<string, string>)['*'] ?? '';
    const gate = root.resolveFile(rel);
    if (!gate.ok) return fail(reply, gate.status, gate.reason);
    const type = FILE_TYPES[extname(gate.path).toLowerCase()] ?? 'application/octet-stream';
    return reply.type(type).header('cache-control', 'no-cache').send(createReadStream(gate.path));
  });

  return app;
}
