// Any plain-text file as a corpus: its lines are split whole (line k by splitOfUnit: 90 % train,
// every 20th line from the 19th to valid, from the 20th to test) and tokenized by the
// plain-English rule (tokenize.ts). Needs at least 20 lines, so that every split has one.
import { UsageError } from '../../harness/index.js';
import { type Split, type SplitFeed, SPLITS, splitOfUnit } from './encode.js';
import { forEachLine, readTextBytes } from './text.js';

/** The lines of each split of the text file `path`; a missing, empty, binary or too short file is a UsageError. */
export function textFileFeeds(path: string): Record<Split, SplitFeed> {
  const bytes = readTextBytes(path, 'the text corpus', 'give the path of a UTF-8 text file (text:FILE)');
  const lines = forEachLine(bytes, path, () => {});
  if (lines < 20) {
    throw new UsageError(
      `the text corpus ${path} has ${lines} line${lines === 1 ? '' : 's'}: it needs at least 20 (lines 19, 39, … go to valid, 20, 40, … to test)`,
    );
  }
  const feed = (split: Split): SplitFeed => ({
    where: `the ${split} split of ${path}`,
    lines: (visit) => {
      forEachLine(bytes, path, (line, k) => {
        if (splitOfUnit(k) === split) visit(line);
      });
    },
  });
  return Object.fromEntries(SPLITS.map((s) => [s, feed(s)])) as Record<Split, SplitFeed>;
}
