// Finds a Chromium for the dashboard's browser test (puppeteer-core drives it; nothing is
// downloaded at `npm install`), installing Debian's `chromium` package when none is found and
// this runs as root with apt-get, as CI does on a fresh Debian 12 machine.
//
//   node scripts/ensure-chromium.mjs [--no-install]
//
// Prints the browser's path and exits 0; otherwise prints one line saying how to get one and
// exits 1. $LOT_CHROMIUM (or $PUPPETEER_EXECUTABLE_PATH) names a browser to use instead.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function find() {
  for (const env of ['LOT_CHROMIUM', 'PUPPETEER_EXECUTABLE_PATH']) {
    const path = process.env[env];
    if (path) return executable(path) ? path : null; // named but unusable: say so rather than pick another
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of NAMES) for (const dir of [...dirs, '/usr/bin']) if (executable(join(dir, name))) return join(dir, name);
  return null;
}

/** apt-get with its output on stderr (stdout carries only the path); true when it succeeded. */
function apt(args) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function install() {
  process.stderr.write('ensure-chromium: installing Debian package chromium (apt-get install chromium)\n');
  const args = ['install', '-y', '--no-install-recommends', 'chromium'];
  // A fresh machine has no package lists yet: update once and retry.
  return apt(args) || (apt(['update']) && apt(args));
}

const named = process.env.LOT_CHROMIUM ?? process.env.PUPPETEER_EXECUTABLE_PATH;
let path = find();
const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!path && !named && !process.argv.includes('--no-install') && isRoot && hasApt && install()) path = find();
if (path) {
  process.stdout.write(`${path}\n`);
  process.exit(0);
}
process.stderr.write(
  named
    ? `no executable browser at ${named} ($LOT_CHROMIUM / $PUPPETEER_EXECUTABLE_PATH)\n`
    : 'no Chromium found: install it (as root: `apt-get install -y chromium`, or `node scripts/ensure-chromium.mjs`), or set LOT_CHROMIUM to a Chromium or Chrome executable\n',
);
process.exit(1);
