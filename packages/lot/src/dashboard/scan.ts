// What the runs folder holds now: its run folders (config.json) and sweep folders (sweep.json),
// as '/'-separated ids relative to it. Unlike harness/folder.ts's findRunFolders, which stops at
// the shallowest level holding runs (what `lot report` wants), the dashboard shows runs at every
// level at once (runs/<group>/<run> beside runs/demo/<time>/<run>). Symbolic links are not
// followed, so nothing outside the folder is listed; folders vanishing mid-walk are skipped.
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST } from '../harness/sweep.js';

export interface Scan {
  runs: string[];
  sweeps: string[];
}

/** Levels searched below the runs folder: runs/demo/<time>/<run> is 3. */
export const SCAN_DEPTH = 4;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // deleted or unreadable while we looked
  }
}

/** The run and sweep folders under `root`, sorted; the root itself counts as run '' or sweep ''. */
export function scanRunsFolder(root: string, depth = SCAN_DEPTH): Scan {
  const runs: string[] = [];
  const sweeps: string[] = [];
  const visit = (dir: string, id: string, level: number): void => {
    const here = entries(dir);
    // RunFolder.isRun's test (a config.json), read off the listing and without following a link.
    if (here.some((e) => e.isFile() && e.name === 'config.json')) {
      runs.push(id);
      return; // a run folder holds no other runs
    }
    if (here.some((e) => e.isFile() && e.name === MANIFEST)) sweeps.push(id);
    if (level >= depth) return;
    for (const e of here) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue; // Dirent of a symlink is not a directory
      visit(join(dir, e.name), id ? `${id}/${e.name}` : e.name, level + 1);
    }
  };
  visit(root, '', 0);
  return { runs: runs.sort(), sweeps: sweeps.sort() };
}
