// The word-level corpora of the language-model domain, by name: where each comes from, how it
// is tokenized and split, and its vocabulary rule. `loadCorpus` returns the vocabulary and one id
// stream per split; batchify and the segment functions (segments.ts) take it from there.
import { UsageError } from '../../harness/index.js';
import { encodeSplits, type Split, type SplitFeed } from './encode.js';
import { type KjvOptions, kjvFeeds, readKjv } from './kjv.js';
import { locatePublished, type PublishedName, type PublishedOptions, publishedFeeds } from './published.js';
import { readSotu, sotuFeeds } from './sotu.js';
import { textFileFeeds } from './text-corpus.js';
import { plainWords, splitWords, type Tokenizer } from './tokenize.js';
import type { Vocabulary, VocabularyOptions } from './vocabulary.js';

export const CORPORA = ['ptb', 'wikitext-2', 'wikitext-103', 'kjv', 'sotu', 'text'] as const;
export type CorpusName = (typeof CORPORA)[number];

/** A corpus by name; `text` also needs the file's path. */
export interface CorpusSpec {
  name: CorpusName;
  path?: string;
}

interface CorpusRule {
  tokenizer: Tokenizer;
  vocabulary: VocabularyOptions;
  /** One line: tokenization, split and vocabulary, for logs and the README. */
  rules: string;
}

const PLAIN = 'plain-English tokens (lower case, punctuation as tokens)';
export const CORPUS_RULES: Record<CorpusName, CorpusRule> = {
  ptb: {
    tokenizer: splitWords,
    vocabulary: {},
    rules: 'whitespace tokens; the standard split; every type of train (<unk> is in the files)',
  },
  'wikitext-2': {
    tokenizer: splitWords,
    vocabulary: {},
    rules: 'whitespace tokens, case kept; the standard split; every type of train (<unk> is in the files)',
  },
  'wikitext-103': {
    tokenizer: splitWords,
    vocabulary: {},
    rules: 'whitespace tokens, case kept; the standard split; every type of train (<unk> is in the files)',
  },
  kjv: {
    tokenizer: plainWords,
    vocabulary: { maxSize: 10_000, unk: true },
    rules: `${PLAIN}, one verse a line; chapters k mod 20 = 18 valid, 19 test, else train; 10,000 ids (<eos>, the 9,998 most frequent train types, <unk>)`,
  },
  sotu: {
    tokenizer: plainWords,
    vocabulary: { minCount: 2, unk: true },
    rules: `${PLAIN}, one speech a line; speeches k mod 20 = 18 valid, 19 test, else train; train types seen at least twice, <eos>, <unk>`,
  },
  text: {
    tokenizer: plainWords,
    vocabulary: { minCount: 2, unk: true },
    rules: `${PLAIN}; lines k mod 20 = 18 valid, 19 test, else train; train types seen at least twice, <eos>, <unk>`,
  },
};

/** Parses a corpus as the command line names it: `ptb`, `wikitext-2`, `wikitext-103`, `kjv`, `sotu` or `text:FILE`. */
export function parseCorpus(text: string): CorpusSpec {
  const known = 'ptb, wikitext-2, wikitext-103, kjv, sotu, text:FILE';
  if (text === 'text') throw new UsageError(`the text corpus needs a file: text:FILE (known corpora: ${known})`);
  if (text.startsWith('text:')) {
    const path = text.slice(5);
    if (!path) throw new UsageError(`the text corpus needs a file: text:FILE`);
    return { name: 'text', path };
  }
  if ((CORPORA as readonly string[]).includes(text)) return { name: text as CorpusName };
  throw new UsageError(`unknown corpus '${text}' (known: ${known})`);
}

export const formatCorpus = (spec: CorpusSpec): string => (spec.name === 'text' ? `text:${spec.path}` : spec.name);

export interface CorpusOptions extends PublishedOptions, KjvOptions {
  /** Encode with this vocabulary (e.g. read back from a run folder) instead of building one. */
  vocab?: Vocabulary;
  /** Cap the vocabulary at this many ids in all (`<eos>` and `<unk>` included), instead of the corpus's rule. */
  vocabSize?: number;
  /** Leave out train types seen fewer times than this, instead of the corpus's rule. */
  minCount?: number;
  /** The SOTU speeches' folder (default: the npm package's data folder). */
  sotuDir?: string;
}

export interface Corpus {
  spec: CorpusSpec;
  vocab: Vocabulary;
  /** One id stream per split: every line's words, then `<eos>`. */
  streams: Record<Split, Int32Array>;
  /** Words of each split that the vocabulary lacks (now `<unk>`). */
  outOfVocabulary: Record<Split, number>;
  /** Where it was read from. */
  source: string;
  /** The corpus's tokenization, split and vocabulary rule, in one line. */
  rules: string;
}

async function feedsOf(spec: CorpusSpec, o: CorpusOptions): Promise<{ feeds: Record<Split, SplitFeed>; source: string }> {
  switch (spec.name) {
    case 'ptb':
    case 'wikitext-2':
    case 'wikitext-103': {
      const name: PublishedName = spec.name;
      const { files, dir } = await locatePublished(name, o);
      return { feeds: publishedFeeds(name, files), source: dir };
    }
    case 'kjv': {
      const { verses, source } = await readKjv(o);
      return { feeds: kjvFeeds(verses), source };
    }
    case 'sotu': {
      const { speeches, source } = readSotu(o.sotuDir);
      return { feeds: sotuFeeds(speeches), source };
    }
    case 'text': {
      if (!spec.path) throw new UsageError('the text corpus needs a file: text:FILE');
      return { feeds: textFileFeeds(spec.path), source: spec.path };
    }
    default:
      throw new UsageError(`unknown corpus '${String((spec as CorpusSpec).name)}' (known: ${CORPORA.join(', ')})`);
  }
}

/**
 * Reads, tokenizes, splits and encodes a corpus (see CORPUS_RULES and the README in this
 * folder). Every problem the user can fix (missing data, a bad file, an unknown name) is a
 * UsageError of one line saying what to do.
 */
export async function loadCorpus(spec: CorpusSpec | string, o: CorpusOptions = {}): Promise<Corpus> {
  const s = typeof spec === 'string' ? parseCorpus(spec) : spec;
  const rule = CORPUS_RULES[s.name];
  if (!rule) throw new UsageError(`unknown corpus '${String(s.name)}' (known: ${CORPORA.join(', ')})`);
  const { feeds, source } = await feedsOf(s, o);
  const vocabulary: VocabularyOptions = { ...rule.vocabulary };
  if (o.vocabSize !== undefined) vocabulary.maxSize = o.vocabSize;
  if (o.minCount !== undefined) vocabulary.minCount = o.minCount;
  const encoded = encodeSplits(feeds, rule.tokenizer, { ...vocabulary, ...(o.vocab ? { vocab: o.vocab } : {}) });
  return { spec: s, vocab: encoded.vocab, streams: encoded.streams, outOfVocabulary: encoded.outOfVocabulary, source, rules: rule.rules };
}

export interface SplitStats {
  /** Ids in the stream, `<eos>` included. */
  tokens: number;
  /** Distinct ids in the stream. */
  types: number;
  /** Occurrences of `<unk>`. */
  unk: number;
}

/** Tokens, types and `<unk>`s per split, and the vocabulary size. */
export function corpusStats(c: Corpus): { vocab: number } & Record<Split, SplitStats> {
  const unk = c.vocab.unk;
  const one = (stream: Int32Array): SplitStats => {
    const seen = new Uint8Array(c.vocab.size);
    let types = 0;
    let unks = 0;
    for (let i = 0; i < stream.length; i++) {
      const id = stream[i]!;
      if (!seen[id]) {
        seen[id] = 1;
        types++;
      }
      if (id === unk) unks++;
    }
    return { tokens: stream.length, types, unk: unks };
  };
  return { vocab: c.vocab.size, train: one(c.streams.train), valid: one(c.streams.valid), test: one(c.streams.test) };
}

/** One line for logs: the corpus, its size and where it came from. */
export function describeCorpus(c: Corpus): string {
  const t = (s: Split): string => c.streams[s].length.toLocaleString('en-US');
  return `${formatCorpus(c.spec)}: ${t('train')} / ${t('valid')} / ${t('test')} tokens (train / valid / test), ${c.vocab.size.toLocaleString('en-US')} word types, from ${c.source}`;
}
