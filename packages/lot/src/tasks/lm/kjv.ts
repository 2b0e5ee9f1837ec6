// The King James Bible from Debian's `bible-kjv` package, read through its `bible` program:
// `bible -f "Gen1:1-Rev22:21"` prints the 31,102 verses, one a line, each as
// `<book><chapter>:<verse> <text>` (e.g. `Ge1:1 In the beginning God created ...`, `1Sm3:4 ...`).
// The reference is dropped and each verse is one line of the corpus (so `<eos>` ends a verse).
// Split by whole chapters (1,189 of them, Gen 1 … Rev 22 in order): see splitOfUnit.
import { UsageError } from '../../harness/index.js';
import { findProgram, installDebianPackage, runProgram } from '../../sources/programs.js';
import { type Split, type SplitFeed, SPLITS, splitOfUnit } from './encode.js';

export const KJV_PACKAGE = 'bible-kjv';
export const KJV_RANGE = 'Gen1:1-Rev22:21';
export const KJV_VERSES = 31_102;
export const KJV_CHAPTERS = 1_189;

export interface Verse {
  /** The program's book abbreviation (Ge, Exo, …, 1Sm, …, Rev). */
  book: string;
  chapter: number;
  verse: number;
  text: string;
  /** The chapter's number in the whole Bible, 0-based (Gen 1 is 0, Rev 22 is 1,188). */
  chapterIndex: number;
}

const VERSE_LINE = /^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$/;

/** The verses of `bible -f` output; an unexpected line is a UsageError. */
export function parseBibleOutput(output: string, where = `bible -f ${KJV_RANGE}`): Verse[] {
  const verses: Verse[] = [];
  let chapterIndex = -1;
  let previous = '';
  output.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = VERSE_LINE.exec(line);
    if (!m)
      throw new UsageError(
        `line ${i + 1} of ${where} is not a verse (${JSON.stringify(line.slice(0, 60))}): is this Debian's ${KJV_PACKAGE}?`,
      );
    const chapterKey = `${m[1]}${m[2]}`;
    if (chapterKey !== previous) {
      chapterIndex++;
      previous = chapterKey;
    }
    verses.push({ book: m[1]!, chapter: Number(m[2]), verse: Number(m[3]), text: m[4]!, chapterIndex });
  });
  return verses;
}

export interface KjvOptions {
  /** The `bible` program (default: `bible` on $PATH). */
  bible?: string;
  /** Install Debian's bible-kjv when `bible` is missing and this process is root (default true). */
  install?: boolean;
  /** For tests: the apt-get to run. */
  aptGet?: string;
  log?: (line: string) => void;
  timeoutMs?: number;
}

/** All 31,102 verses, from the `bible` program (installed first when missing, allowed and possible). */
export async function readKjv(o: KjvOptions = {}): Promise<{ verses: Verse[]; source: string }> {
  const name = o.bible ?? 'bible';
  let program = findProgram(name);
  const fix = `install Debian's ${KJV_PACKAGE} package (as root: apt-get install -y ${KJV_PACKAGE}), or choose another corpus`;
  if (!program && o.bible === undefined && o.install !== false) {
    const r = await installDebianPackage(KJV_PACKAGE, { ...(o.log ? { log: o.log } : {}), ...(o.aptGet ? { aptGet: o.aptGet } : {}) });
    if (!r.installed) throw new UsageError(`the KJV corpus needs the \`bible\` program of Debian's ${KJV_PACKAGE} package: ${r.message}`);
    program = findProgram(name) ?? findProgram('/usr/bin/bible');
  }
  if (!program) throw new UsageError(`the KJV corpus needs the \`bible\` program (${name} not found): ${fix}`);
  const r = await runProgram(program, ['-f', KJV_RANGE], o.timeoutMs ?? 60_000);
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : r.stderr.trim().split('\n').slice(-1)[0] || `exit code ${r.code}`;
    throw new UsageError(`\`${program} -f ${KJV_RANGE}\` failed (${why}): ${fix}`);
  }
  const verses = parseBibleOutput(r.stdout, `the output of ${program} -f ${KJV_RANGE}`);
  const chapters = verses.length ? verses[verses.length - 1]!.chapterIndex + 1 : 0;
  if (verses.length !== KJV_VERSES || chapters !== KJV_CHAPTERS) {
    throw new UsageError(
      `${program} -f ${KJV_RANGE} printed ${verses.length} verses in ${chapters} chapters, not ${KJV_VERSES} in ${KJV_CHAPTERS}: is this Debian's ${KJV_PACKAGE}?`,
    );
  }
  return { verses, source: `${program} -f ${KJV_RANGE} (Debian ${KJV_PACKAGE})` };
}

/** The verses of each split (whole chapters; see splitOfUnit), one verse a line. */
export function kjvFeeds(verses: readonly Verse[]): Record<Split, SplitFeed> {
  const feed = (split: Split): SplitFeed => ({
    where: `the KJV ${split} split`,
    lines: (visit) => {
      for (const v of verses) if (splitOfUnit(v.chapterIndex) === split) visit(v.text);
    },
  });
  return Object.fromEntries(SPLITS.map((s) => [s, feed(s)])) as Record<Split, SplitFeed>;
}
