// Helpers for the CLI, run-folder and imitability tests: the compiled `lot`
// command, a tiny synthetic Fashion-MNIST (IDX files in a temporary folder), and
// spawning the command.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIdx } from '../src/tasks/vision/datasets/idx.js';

/** packages/lot/bin/lot.js (tests run from packages/lot/dist/test). */
export const LOT_BIN = fileURLToPath(new URL('../../bin/lot.js', import.meta.url));

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `lot-${prefix}-`));

/**
 * A learnable 28×28 grey-scale dataset in Fashion-MNIST's IDX files: class k is a
 * bright horizontal band at rows 2k..2k+4 plus seeded noise.
 */
export function writeSyntheticFashionMnist(dir: string, train = 256, test = 128, seed = 1): string {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const make = (n: number) => {
    const images = new Uint8Array(n * 28 * 28);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * 10);
      labels[i] = k;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const band = y >= 2 * k + 4 && y < 2 * k + 8 ? 180 : 0;
          images[i * 784 + y * 28 + x] = Math.min(255, band + Math.floor(rand() * 60));
        }
      }
    }
    return { images, labels };
  };
  const tr = make(train);
  const te = make(test);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx(tr.images, [train, 28, 28]));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx(tr.labels, [train]));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx(te.images, [test, 28, 28]));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx(te.labels, [test]));
  return dir;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `lot ARGS` to completion. */
export function lot(args: string[], o: { cwd?: string; timeoutMs?: number } = {}): Result {
  const r = spawnSync(process.execPath, [LOT_BIN, ...args], {
    cwd: o.cwd,
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 120_000,
    env: { ...process.env, LOT_DEBUG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `lot ARGS` in the background. */
export function lotSpawn(args: string[], o: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [LOT_BIN, ...args], {
    cwd: o.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOT_DEBUG: '' },
  });
}

/** Arguments for a tiny, fast training run on the synthetic data. */
export const tinyTrainArgs = (dataDir: string, runsDir: string): string[] => [
  'train',
  'vision',
  '--data-dir',
  dataDir,
  '--no-download',
  '--runs-dir',
  runsDir,
  '--teacher',
  'smallcnn',
  '--batch-size',
  '64',
  '--eval-batch-size',
  '128',
  '--lr',
  '0.05',
  '--threads',
  '1',
  '--quiet',
];
