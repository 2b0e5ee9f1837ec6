// Helpers for the dashboard's tests: a server-sent-events client that keeps every event it
// received and waits for the ones a test expects, raw HTTP requests (paths sent as written, not
// normalized as fetch would), and polling until a condition holds.
import { request } from 'node:http';

export interface FeedEvent {
  type: string;
  data: any;
}

/** Resolves when `check` returns a value other than undefined/false; rejects after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class FeedClient {
  readonly events: FeedEvent[] = [];
  ended = false;
  private close: () => void = () => {};

  /** Connects to `url` (…/api/events); resolves once the response has started. */
  static open(url: string): Promise<FeedClient> {
    const client = new FeedClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`feed answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            client.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('end', () => (client.ended = true));
        res.on('close', () => (client.ended = true));
        resolve(client);
      });
      req.on('error', (e) => (client.ended ? undefined : reject(e)));
      client.close = () => req.destroy();
      req.end();
    });
  }

  private parse(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) this.events.push({ type, data: JSON.parse(data.join('\n')) });
  }

  /** The events received from index `from` on. */
  since(from: number): FeedEvent[] {
    return this.events.slice(from);
  }

  /** Waits for an event of `type` (after index `from`) that `match` accepts. */
  next(type: string, match: (data: any) => boolean = () => true, from = 0, timeoutMs = 10_000): Promise<FeedEvent> {
    return waitFor(() => this.since(from).find((e) => e.type === type && match(e.data)), `a '${type}' event`, timeoutMs);
  }

  disconnect(): void {
    this.close();
  }
}

/** GET `path` exactly as written (no normalization of `..` or of percent-escapes). */
export function rawGet(
  base: string,
  path: string,
  host?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
