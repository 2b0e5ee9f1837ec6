// The `lot` command: dispatch, and the top-level error policy. A mistake the user
// can fix (bad flag, impossible value, unknown model, missing data) prints ONE line
// saying what to do and exits with 2; anything else prints one line too (exit 1),
// with the stack trace only when LOT_DEBUG=1.
import { readFileSync } from 'node:fs';
import { type CommandSpec, UsageError } from '../harness/index.js';
import { domainNames, findDomain } from './domains.js';
import type { CliIO } from './io.js';
import { didYouMean, EXIT } from './errors.js';
import { formatHelp, type Parsed, parseArgs } from './options.js';
import { DASHBOARD, DEMO, IMITABILITY, REPORT, RESUME, TOP_HELP, TRAIN_HELP, sweepSpec, trainSpec } from './specs.js';

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

const COMMANDS = ['train', 'sweep', 'resume', 'imitability', 'report', 'dashboard', 'demo', 'help'];

function parse(argv: string[], spec: CommandSpec, io: CliIO): Parsed | null {
  const parsed = parseArgs(argv, spec);
  if (parsed.help) {
    io.out(formatHelp(spec));
    return null;
  }
  return parsed;
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === 'help' && rest.length > 0) return dispatch([...rest, '--help'], io);
    io.out(TOP_HELP);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.out(version());
    return EXIT.ok;
  }
  switch (command) {
    case 'train':
    case 'sweep': {
      const [name, ...options] = rest;
      if (name === undefined || name === '--help' || name === '-h') {
        io.out(command === 'train' ? TRAIN_HELP : TRAIN_HELP.replaceAll('lot train', 'lot sweep'));
        return name === undefined ? EXIT.usage : EXIT.ok;
      }
      const domain = findDomain(name);
      if (!domain)
        throw new UsageError(
          `unknown domain '${name}' for \`lot ${command}\`${didYouMean(name, domainNames())}; the available ones are: ${domainNames().join(', ')}`,
        );
      if (command === 'sweep') {
        const parsed = parse(options, sweepSpec(domain), io);
        if (!parsed) return EXIT.ok;
        const { sweepCommand } = await import('./sweep.js');
        return sweepCommand(domain, parsed, io);
      }
      const parsed = parse(options, trainSpec(domain), io);
      if (!parsed) return EXIT.ok;
      const { trainCommand } = await import('./train.js');
      return trainCommand(domain, parsed, io);
    }
    case 'resume': {
      const parsed = parse(rest, RESUME, io);
      if (!parsed) return EXIT.ok;
      const { resumeCommand } = await import('./train.js');
      return resumeCommand(parsed, io);
    }
    case 'imitability': {
      const parsed = parse(rest, IMITABILITY, io);
      if (!parsed) return EXIT.ok;
      const { imitabilityCommand } = await import('./imitability.js');
      return imitabilityCommand(parsed, io);
    }
    case 'report': {
      const parsed = parse(rest, REPORT, io);
      if (!parsed) return EXIT.ok;
      const { reportCommand } = await import('./report.js');
      return reportCommand(parsed, io);
    }
    case 'dashboard': {
      const parsed = parse(rest, DASHBOARD, io);
      if (!parsed) return EXIT.ok;
      const { dashboardCommand } = await import('./dashboard.js');
      return dashboardCommand(parsed, io);
    }
    case 'demo': {
      const parsed = parse(rest, DEMO, io);
      if (!parsed) return EXIT.ok;
      const { demoCommand } = await import('./demo.js');
      return demoCommand(parsed, io);
    }
    default:
      throw new UsageError(`unknown command '${command}'${didYouMean(command, COMMANDS)}; run \`lot --help\` for the commands`);
  }
}

/** Runs the command; never throws. Returns the exit code. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`lot: ${e.message}`);
      return EXIT.usage;
    }
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    io.err(`lot: error: ${message}`);
    if (process.env.LOT_DEBUG) io.err(e instanceof Error ? (e.stack ?? '') : '');
    else io.err('lot: (set LOT_DEBUG=1 to see where it happened)');
    return EXIT.failure;
  }
}
