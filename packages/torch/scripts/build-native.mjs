// Builds the native addon against the libtorch that find-libtorch.mjs finds.
// Skips the compile when the addon is newer than every source and was built
// against the same libtorch, so repeated `npm install`s stay fast.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch } from './find-libtorch.mjs';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(packageDir, 'build', 'Release', 'lot_torch.node');
const stamp = join(packageDir, 'build', 'libtorch.json');

let libtorch;
try {
  libtorch = findLibtorch();
  if (libtorch.distributed.missing === 'libgloo-dev' && installGlooHeaders()) libtorch = findLibtorch();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
if (libtorch.distributed.missing) {
  console.warn(
    `@lot/torch: building without torch.distributed: Gloo's headers are missing (apt-get install ${libtorch.distributed.missing}, then npm install again)`,
  );
}

/** Debian's libgloo-dev, installed when running as root with apt (as CI does); false otherwise. */
function installGlooHeaders() {
  if (process.getuid?.() !== 0 || process.env.LOT_TORCH_DISTRIBUTED === 'off') return false;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return false;
  console.log('@lot/torch: installing Gloo headers for torch.distributed (apt-get install libgloo-dev)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'libgloo-dev'], { stdio: 'inherit', env }).status === 0;
  return install() || (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status === 0 && install());
}

const { distributed } = libtorch;
const gypi = {
  variables: {
    libtorch_include: [...libtorch.include, ...distributed.include],
    libtorch_lib: libtorch.lib,
    // CUDA's libraries are linked even though no symbol of theirs is referenced: loading them
    // registers libtorch's CUDA backend (the linker drops them with --as-needed otherwise).
    libtorch_libraries: [...(libtorch.cuda ? ['-Wl,--no-as-needed'] : []), ...libtorch.libraries.map((l) => `-l${l}`)],
    libtorch_defines: [
      ...(distributed.gloo ? ['LOT_DISTRIBUTED', 'USE_DISTRIBUTED', 'USE_C10D_GLOO'] : []),
      ...(distributed.nccl ? ['LOT_NCCL', 'USE_C10D_NCCL', 'USE_CUDA'] : []),
    ],
  },
};
writeFileSync(join(packageDir, 'native', 'libtorch.gypi'), `${JSON.stringify(gypi, null, 2)}\n`);

function newestSource() {
  let newest = statSync(join(packageDir, 'binding.gyp')).mtimeMs;
  for (const name of readdirSync(join(packageDir, 'native'))) {
    if (/\.(cc|h)$/.test(name)) newest = Math.max(newest, statSync(join(packageDir, 'native', name)).mtimeMs);
  }
  return newest;
}

const upToDate =
  existsSync(addon) &&
  existsSync(stamp) &&
  readFileSync(stamp, 'utf8') === JSON.stringify(libtorch) &&
  statSync(addon).mtimeMs > newestSource();
if (upToDate && !process.argv.includes('--force')) {
  console.log(`@lot/torch: native addon up to date (libtorch from ${libtorch.source})`);
  process.exit(0);
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a dependency */
  }
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  candidates.push(
    npmDir,
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  return candidates.find((c) => existsSync(c));
}

const gyp = nodeGyp();
if (!gyp) {
  console.error('@lot/torch: node-gyp was not found (it ships with npm). Install it with: npm install -g node-gyp');
  process.exit(1);
}
console.log(`@lot/torch: building the native addon against libtorch from ${libtorch.source}`);
const jobs = String(Math.max(1, Number(process.env.JOBS) || 2));
// Same libtorch as the last build: recompile only what changed (make), else start clean.
const sameLibtorch =
  existsSync(stamp) &&
  readFileSync(stamp, 'utf8') === JSON.stringify(libtorch) &&
  existsSync(join(packageDir, 'build', 'Makefile')) &&
  statSync(join(packageDir, 'build', 'Makefile')).mtimeMs > statSync(join(packageDir, 'binding.gyp')).mtimeMs;
const args = [gyp, sameLibtorch ? 'build' : 'rebuild', '--release', '-j', jobs];
// Build against the headers of the running Node when they are installed
// beside it (as on our machines), so node-gyp needs no download.
const nodeDir = process.env.npm_config_nodedir ?? join(dirname(process.execPath), '..');
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const r = spawnSync(process.execPath, args, { cwd: packageDir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('@lot/torch: the native build failed (see the compiler output above).');
  process.exit(r.status ?? 1);
}
writeFileSync(stamp, JSON.stringify(libtorch));
