// Finds a libtorch to build against, in the order DESIGN.md gives:
// LIBTORCH, an installed Python torch, a torch wheel in pip's find-links folder
// (unzipped into a cache folder this package owns), the system's libtorch-dev.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = join(packageDir, '.libtorch');

function layout(root, source) {
  const include = join(root, 'include');
  const lib = join(root, 'lib');
  if (!existsSync(join(include, 'ATen', 'ATen.h'))) return undefined;
  if (!existsSync(join(lib, 'libtorch_cpu.so')) && !existsSync(join(lib, 'libtorch.so'))) return undefined;
  return { source, root, include: [include, join(include, 'torch', 'csrc', 'api', 'include')], lib };
}

function fromEnv() {
  const root = process.env.LIBTORCH;
  if (!root) return undefined;
  const found = layout(resolve(root), `LIBTORCH=${root}`);
  if (!found) throw new Error(`LIBTORCH=${root} has no include/ATen/ATen.h and lib/libtorch_cpu.so; point it at an unpacked libtorch.`);
  return found;
}

function fromPython() {
  for (const python of ['python3', 'python']) {
    const r = spawnSync(python, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' });
    if (r.status === 0) {
      const found = layout(r.stdout.trim(), `Python torch (${python})`);
      if (found) return found;
    }
  }
  return undefined;
}

function pipFindLinks() {
  const dirs = new Set();
  for (const entry of (process.env.PIP_FIND_LINKS ?? '').split(/\s+/)) if (entry) dirs.add(entry);
  for (const python of ['python3', 'python']) {
    const r = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    for (const line of r.stdout.split('\n')) {
      const m = /find-links='([^']*)'/.exec(line);
      if (m) for (const entry of m[1].split(/\s+/)) if (entry) dirs.add(entry);
    }
    break;
  }
  return [...dirs].map((d) => d.replace(/^file:\/\//, '')).filter((d) => existsSync(d));
}

function versionKey(name) {
  const m = /^torch-(\d+)\.(\d+)\.(\d+)/.exec(name);
  return m ? Number(m[1]) * 1e6 + Number(m[2]) * 1e3 + Number(m[3]) : 0;
}

function fromWheel() {
  const wheels = [];
  for (const dir of pipFindLinks()) {
    for (const name of readdirSync(dir)) {
      if (/^torch-\d.*-linux.*x86_64\.whl$|^torch-\d.*manylinux.*x86_64\.whl$/.test(name)) wheels.push(join(dir, name));
    }
  }
  if (wheels.length === 0) return undefined;
  wheels.sort((a, b) => versionKey(b.split('/').pop()) - versionKey(a.split('/').pop()));
  const wheel = wheels[0];
  const target = join(
    cacheDir,
    wheel
      .split('/')
      .pop()
      .replace(/\.whl$/, ''),
  );
  const done = join(target, '.complete');
  if (!existsSync(done)) {
    process.stderr.write(`@lot/torch: unpacking libtorch from ${wheel} into ${target}\n`);
    const partial = `${target}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const unzip = spawnSync('unzip', ['-q', '-o', wheel, 'torch/include/*', 'torch/lib/*', '-d', partial], { stdio: 'inherit' });
    if (unzip.error || unzip.status !== 0) {
      const script =
        'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nz.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(("torch/include/", "torch/lib/"))])';
      execFileSync('python3', ['-c', script, wheel, partial], { stdio: 'inherit' });
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(join(partial, 'torch'), target);
    rmSync(partial, { recursive: true, force: true });
    writeFileSync(done, `${wheel}\n`);
  }
  return layout(target, `wheel ${wheel}`);
}

function fromSystem() {
  for (const lib of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']) {
    if (existsSync(join(lib, 'libtorch.so')) && existsSync('/usr/include/ATen/ATen.h')) {
      return { source: 'system libtorch-dev', root: '/usr', include: ['/usr/include', '/usr/include/torch/csrc/api/include'], lib };
    }
  }
  return undefined;
}

export function findLibtorch() {
  const found = fromEnv() ?? fromPython() ?? fromWheel() ?? fromSystem();
  if (!found) {
    throw new Error(
      [
        '@lot/torch needs libtorch and found none. Any one of these works:',
        '  1. set LIBTORCH to an unpacked libtorch (a folder with include/ and lib/);',
        '  2. install Python torch:  pip install torch',
        "  3. put a torch wheel (torch-*.whl) in pip's find-links folder (PIP_FIND_LINKS or pip config);",
        '  4. install the system package:  apt-get install libtorch-dev',
        'then run npm install again.',
      ].join('\n'),
    );
  }
  const libs = readdirSync(found.lib);
  found.libraries = ['c10', 'torch_cpu', 'torch'].filter((l) => libs.includes(`lib${l}.so`));
  found.cuda = libs.includes('libtorch_cuda.so');
  if (found.cuda) found.libraries.push('torch_cuda', 'c10_cuda');
  found.distributed = distributedSupport(found);
  return found;
}

const c10dHeader = (found) => join(found.include[0], 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp');

/** Where Gloo's headers are (Debian's libgloo-dev), or undefined. */
export function glooIncludeDir() {
  return ['/usr/include', '/usr/local/include'].find((d) => existsSync(join(d, 'gloo', 'config.h')));
}

function firstDirWith(file, dirs) {
  return dirs.find((d) => d && existsSync(join(d, file)));
}

/**
 * c10d in this libtorch: Gloo when the wheel has c10d's headers and Gloo's are installed
 * (the wheel compiles Gloo in but ships none of its headers); NCCL too for a CUDA libtorch when
 * NCCL's and CUDA's headers are found (pip's nvidia-* packages or a CUDA toolkit).
 * LOT_TORCH_DISTRIBUTED=off or LOT_TORCH_NCCL=off builds without them.
 */
function distributedSupport(found) {
  if (process.env.LOT_TORCH_DISTRIBUTED === 'off' || !existsSync(c10dHeader(found))) return { gloo: false, nccl: false, include: [] };
  const gloo = glooIncludeDir();
  if (!gloo) return { gloo: false, nccl: false, include: [], missing: 'libgloo-dev' };
  const include = [];
  let nccl = false;
  if (found.cuda && process.env.LOT_TORCH_NCCL !== 'off') {
    const nvidia = join(found.root, '..', 'nvidia');
    const cudaHome = process.env.CUDA_HOME ?? process.env.CUDA_PATH ?? '/usr/local/cuda';
    const ncclDir = firstDirWith('nccl.h', [join(nvidia, 'nccl', 'include'), join(cudaHome, 'include'), '/usr/include']);
    const cudaDir = firstDirWith('cuda_runtime_api.h', [
      join(cudaHome, 'include'),
      join(nvidia, 'cuda_runtime', 'include'),
      join(nvidia, 'cu13', 'include'),
      '/usr/include',
    ]);
    if (ncclDir && cudaDir) {
      nccl = true;
      include.push(ncclDir, cudaDir);
    }
  }
  return { gloo: true, nccl, include };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(JSON.stringify(findLibtorch(), null, 2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
