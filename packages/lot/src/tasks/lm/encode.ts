// Lines to id streams: every line's words, then `<eos>` (empty lines too), one stream per split.
// The vocabulary is built from the training split alone (or given, e.g. read back from a run
// folder); a word of another split that it lacks becomes `<unk>`.
import { UsageError } from '../../harness/index.js';
import type { Tokenizer } from './tokenize.js';
import { EOS, TypeCounter, Vocabulary, type VocabularyOptions } from './vocabulary.js';

export const SPLITS = ['train', 'valid', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * The fixed split of the corpora this project derives from raw text (KJV chapters, SOTU speeches,
 * the lines of a text file): unit k (0-based, in source order) goes to valid when k mod 20 = 18,
 * to test when k mod 20 = 19, to train otherwise (90 % / 5 % / 5 %, spread over the whole text).
 */
export function splitOfUnit(k: number): Split {
  const r = k % 20;
  return r === 18 ? 'valid' : r === 19 ? 'test' : 'train';
}

/** Calls `visit` for every line of one split, in order. */
export type LineFeed = (visit: (line: string) => void) => void;

export interface SplitFeed {
  lines: LineFeed;
  /** Where the lines come from, for messages ("/data/ptb/ptb.valid.txt", "KJV valid split"). */
  where: string;
}

export interface EncodedSplits {
  vocab: Vocabulary;
  streams: Record<Split, Int32Array>;
  /** Words of each split that the vocabulary lacks (mapped to `<unk>`), not counting `<unk>` itself. */
  outOfVocabulary: Record<Split, number>;
}

/** A growing Int32Array. */
class IdBuffer {
  private data = new Int32Array(1 << 16);
  length = 0;
  push(id: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = id;
  }
  /** The ids, trimmed to their length (a copy, so the spare capacity is freed). */
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

function encodeWith(vocab: Vocabulary, feed: SplitFeed, tokenize: Tokenizer): { stream: Int32Array; oov: number } {
  const out = new IdBuffer();
  const unk = vocab.unk;
  let oov = 0;
  let lineNumber = 0;
  feed.lines((line) => {
    lineNumber++;
    for (const w of tokenize(line)) {
      let id = vocab.id(w);
      if (id === undefined) {
        if (unk === null) {
          throw new UsageError(
            `${feed.where}, line ${lineNumber}: ${JSON.stringify(w)} is not in the vocabulary (built from the training split), which has no <unk> to stand for it`,
          );
        }
        id = unk;
        oov++;
      }
      out.push(id);
    }
    out.push(vocab.eos);
  });
  return { stream: out.finish(), oov };
}

/**
 * Encodes the three splits. Without `o.vocab`, the vocabulary is built from the training split
 * (see vocabulary.ts for the order and the cap). A split without a single line is a UsageError.
 */
export function encodeSplits(
  feeds: Record<Split, SplitFeed>,
  tokenize: Tokenizer,
  o: VocabularyOptions & { vocab?: Vocabulary } = {},
): EncodedSplits {
  let vocab: Vocabulary;
  let train: Int32Array;
  let trainOov = 0;
  if (o.vocab) {
    vocab = o.vocab;
    ({ stream: train, oov: trainOov } = encodeWith(vocab, feeds.train, tokenize));
  } else {
    // One pass: provisional ids in order of first appearance, then renumbered.
    const counter = new TypeCounter();
    const provisional = new IdBuffer();
    feeds.train.lines((line) => {
      for (const w of tokenize(line)) provisional.push(counter.add(w));
      provisional.push(counter.add(EOS));
    });
    vocab = Vocabulary.fromCounts(counter, o);
    const unk = vocab.unk ?? -1;
    const renumber = Int32Array.from(counter.words, (w) => vocab.id(w) ?? unk);
    train = provisional.finish();
    for (let i = 0; i < train.length; i++) {
      const id = renumber[train[i]!]!;
      if (id === unk && counter.words[train[i]!] !== vocab.words[unk]) trainOov++;
      train[i] = id;
    }
  }
  const valid = encodeWith(vocab, feeds.valid, tokenize);
  const test = encodeWith(vocab, feeds.test, tokenize);
  const streams = { train, valid: valid.stream, test: test.stream };
  for (const s of SPLITS) {
    if (streams[s].length === 0) throw new UsageError(`${feeds[s].where} holds no line: the ${s} split is empty`);
  }
  return { vocab, streams, outOfVocabulary: { train: trainOov, valid: valid.oov, test: test.oov } };
}
