// `lot dashboard [RUNS-DIR]`: starts the web server (src/dashboard) and serves until Ctrl-C.
import { DEFAULT_HOST, startDashboard } from '../dashboard/index.js';
import { EXIT } from './errors.js';
import type { CliIO } from './io.js';
import type { Parsed } from './options.js';

export async function dashboardCommand(p: Parsed, io: CliIO): Promise<number> {
  const root = p.positionals[0] ?? 'runs';
  const host = p.values.string('host');
  const dashboard = await startDashboard({
    root,
    port: p.values.number('port'),
    host,
    onError: (e) => io.err(`lot: dashboard: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`),
  });
  io.err(`lot: dashboard of ${root} at ${dashboard.url} (Ctrl-C stops it)`);
  if (host !== DEFAULT_HOST && host !== 'localhost' && host !== '::1') {
    io.err(`lot: listening on ${host}: whoever reaches this machine there can read the runs in ${root}`);
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of signals) process.once(s, () => resolve(s));
  });
  // A second signal while closing quits at once.
  for (const s of signals) process.once(s, () => process.exit(EXIT.interrupted));
  await dashboard.close();
  io.err(`lot: dashboard stopped (${signal})`);
  return EXIT.ok;
}
