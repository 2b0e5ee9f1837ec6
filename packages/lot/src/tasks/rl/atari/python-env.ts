// The project's own Python for the Arcade Learning Environment: a virtual environment in the
// cache folder ($LOT_ATARI_VENV, else <cache>/atari-venv, the cache being sources' defaultCacheDir():
// $LOT_DATA_DIR, else $XDG_CACHE_HOME/lot, else ~/.cache/lot), outside the repository, made on
// first use with `python3 -m venv` and filled by pip from its configured indexes (PyPI, or a local
// mirror set in pip.conf) with ale-py (the emulator and its ROMs), gymnasium, OpenCV and NumPy.
// A marker file records what was installed; while it is there and names the same requirements, the
// venv is used as it is. The venv is built in a sibling folder and renamed into place, so an
// interrupted or concurrent install never leaves a half-made venv where the marker says done.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultCacheDir } from '../../../sources/files.js';
import { defaultLog } from '../../../sources/log.js';
import { findProgram, runProgram } from '../../../sources/programs.js';

/** What pip installs (gymnasium 1.x: the worker uses its 1.x wrappers; ale-py ≥ 0.10 registers its envs with gymnasium.register_envs). */
export const ATARI_REQUIREMENTS: readonly string[] = ['ale-py>=0.10', 'gymnasium>=1.0,<2', 'opencv-python-headless', 'numpy'];

const MARKER = 'lot-atari.json';

/** Python, or the packages the Atari environments need, could not be made available; the message says what to do. */
export class AtariPythonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AtariPythonError';
  }
}

/** A ready venv: its interpreter and what is installed in it. */
export interface AtariPython {
  /** The venv's folder. */
  venv: string;
  /** Its interpreter (<venv>/bin/python). */
  python: string;
  /** Python's version and the installed versions of the packages ('python', 'ale-py', 'gymnasium', 'opencv-python-headless', 'numpy'). */
  versions: Record<string, string>;
}

interface Marker {
  requirements: string[];
  versions: Record<string, string>;
}

/** Where the venv lives: $LOT_ATARI_VENV, else <defaultCacheDir()>/atari-venv. */
export function atariVenvDir(): string {
  return process.env.LOT_ATARI_VENV || join(defaultCacheDir(), 'atari-venv');
}

/** The venv's interpreter (it may not exist yet). */
export const venvPython = (venv: string): string =>
  process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');

function readMarker(venv: string): Marker | null {
  try {
    const m = JSON.parse(readFileSync(join(venv, MARKER), 'utf8')) as Marker;
    return Array.isArray(m.requirements) && m.versions ? m : null;
  } catch {
    return null;
  }
}

const sameRequirements = (m: Marker): boolean =>
  m.requirements.length === ATARI_REQUIREMENTS.length && m.requirements.every((r, i) => r === ATARI_REQUIREMENTS[i]);

/** The venv if it is complete (marker with the current requirements, interpreter present), else null. Spawns nothing. */
export function findAtariPython(venv = atariVenvDir()): AtariPython | null {
  const m = readMarker(venv);
  const python = venvPython(venv);
  return m && sameRequirements(m) && existsSync(python) ? { venv, python, versions: m.versions } : null;
}

/** The most telling line of a failed command's output: pip's last ERROR line, else the last line that is not a retry warning. */
function why(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING: Retrying/.test(l));
  return lines.filter((l) => l.startsWith('ERROR:')).slice(-1)[0] ?? lines.slice(-1)[0] ?? '';
}

// Run by the venv's interpreter after pip: imports everything the worker imports, checks that ale-py
// has its ROMs, and prints the versions as JSON.
const CHECK = `
import json, sys
from importlib.metadata import version
import ale_py, cv2, gymnasium, numpy
gymnasium.register_envs(ale_py)
from ale_py import roms
roms.get_rom_path("breakout")
v = {"python": "%d.%d.%d" % sys.version_info[:3]}
for p in ("ale-py", "gymnasium", "opencv-python-headless", "numpy"):
    v[p] = version(p)
print(json.dumps(v))
`;

/**
 * The venv the Atari worker runs in, made on first use: `python3 -m venv` (or $LOT_PYTHON) and
 * `pip install` of ATARI_REQUIREMENTS from pip's configured indexes, then an import check. Later
 * calls find the marker and return at once. Throws AtariPythonError, whose message says what to
 * do, when Python 3 (with venv and pip) is missing or pip cannot install the packages.
 */
export async function ensureAtariPython(log: (line: string) => void = defaultLog): Promise<AtariPython> {
  const venv = atariVenvDir();
  const found = findAtariPython(venv);
  if (found) return found;

  const base = process.env.LOT_PYTHON || 'python3';
  const basePath = findProgram(base);
  if (!basePath) {
    throw new AtariPythonError(
      `the Atari environments need Python 3, and ${base} was not found${base.includes('/') ? '' : ' on PATH'}: install python3 with its venv module (Debian: apt-get install python3 python3-venv), or set LOT_PYTHON to a Python 3 interpreter`,
    );
  }
  const version = await runProgram(basePath, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], 60_000);
  const [major, minor] = version.stdout.trim().split('.').map(Number);
  if (version.code !== 0 || major !== 3 || minor === undefined || minor < 9) {
    throw new AtariPythonError(
      `the Atari environments need Python 3.9 or newer; ${basePath} ${version.code === 0 ? `is ${version.stdout.trim()}` : `did not run (${why(version.stdout, version.stderr)})`}: install a newer python3, or set LOT_PYTHON to one`,
    );
  }

  // No venv, an unfinished one, or one made for other requirements: build afresh beside it.
  const building = `${venv}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  const started = Date.now();
  try {
    log(`atari: making the Python environment for the emulator in ${venv} (first use; pip install ${ATARI_REQUIREMENTS.join(' ')})...`);
    const mk = await runProgram(basePath, ['-m', 'venv', building], 300_000);
    if (mk.code !== 0) {
      throw new AtariPythonError(
        `${basePath} -m venv failed (${why(mk.stdout, mk.stderr) || `exit code ${mk.code}`}): install Python's venv module (Debian: apt-get install python3-venv), or set LOT_PYTHON to a Python 3 that has it`,
      );
    }
    const py = venvPython(building);
    const pip = await runProgram(py, ['-m', 'pip', 'install', '--disable-pip-version-check', ...ATARI_REQUIREMENTS], 30 * 60_000);
    if (pip.code !== 0) {
      const reason = pip.timedOut ? 'it ran out of time (30 min)' : why(pip.stdout, pip.stderr) || `exit code ${pip.code}`;
      throw new AtariPythonError(
        `pip could not install ${ATARI_REQUIREMENTS.join(' ')} (${reason}): the Atari environments need pip to reach an index with ale-py and gymnasium (PyPI, or a local mirror set in pip.conf); connect to one and run again`,
      );
    }
    const check = await runProgram(py, ['-c', CHECK], 300_000);
    let versions: Record<string, string>;
    try {
      versions = JSON.parse(check.stdout.trim().split('\n').slice(-1)[0] ?? '') as Record<string, string>;
    } catch {
      throw new AtariPythonError(
        `the packages installed, but importing them failed (${why(check.stdout, check.stderr) || `exit code ${check.code}`}): delete ${building} and run again, or check that ale-py ships its ROMs`,
      );
    }
    writeFileSync(join(building, MARKER), `${JSON.stringify({ requirements: [...ATARI_REQUIREMENTS], versions }, null, 2)}\n`);
    // Another process may have finished first: use its venv rather than replace one in use.
    const other = findAtariPython(venv);
    if (other) return other;
    rmSync(venv, { recursive: true, force: true });
    try {
      renameSync(building, venv);
    } catch (e) {
      const raced = findAtariPython(venv);
      if (!raced) throw e;
      return raced;
    }
    log(
      `atari: ready in ${Math.round((Date.now() - started) / 1000)} s: ${Object.entries(versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    return { venv, python: venvPython(venv), versions };
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
