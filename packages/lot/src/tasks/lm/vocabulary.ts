// The word vocabulary: `<eos>` is id 0, then the types by decreasing frequency; ties keep the
// order of first appearance (as Python's Counter.most_common, which the Transformer-XL code
// uses, does). An optional cap V keeps V ids in all, `<eos>` and `<unk>` included: `<eos>`, the
// V − 2 most frequent other types (the V − 1 most frequent when `<unk>` is itself one of them,
// as in PTB's files) and `<unk>`, which then stands for every type left out. When `<unk>` is
// needed but the text has none (no cap, a derived corpus), it is added as the last id. A minimum
// count (the Transformer-XL Vocab's min_freq) leaves out the rarer types the same way.
import { Fields, UsageError } from '../../harness/index.js';

export const EOS = '<eos>';
export const UNK = '<unk>';

/** Word types in order of first appearance, with their counts (the raw material of a vocabulary). */
export class TypeCounter {
  readonly words: string[] = [];
  readonly counts: number[] = [];
  private readonly index = new Map<string, number>();

  /** Counts one occurrence of `word`; returns its first-appearance number. */
  add(word: string): number {
    let i = this.index.get(word);
    if (i === undefined) {
      i = this.words.length;
      this.index.set(word, i);
      this.words.push(word);
      this.counts.push(0);
    }
    this.counts[i]!++;
    return i;
  }
}

export interface VocabularyOptions {
  /** Keep at most this many ids in all, `<eos>` and `<unk>` included (≥ 3). */
  maxSize?: number;
  /** Leave out the types seen fewer times than this (they become `<unk>`). */
  minCount?: number;
  /** Make sure `<unk>` is in the vocabulary (added last when the text has none). */
  unk?: boolean;
}

export interface VocabularyJSON {
  format: 'lot-vocabulary';
  version: 1;
  /** The word of each id, in id order. */
  words: string[];
}

export class Vocabulary {
  /** The word of each id. */
  readonly words: readonly string[];
  private readonly index: Map<string, number>;

  constructor(words: readonly string[]) {
    if (words[0] !== EOS) throw new UsageError(`a vocabulary starts with ${EOS}, got ${JSON.stringify(words[0])}`);
    const index = new Map<string, number>();
    words.forEach((w, i) => {
      if (index.has(w)) throw new UsageError(`a vocabulary holds ${JSON.stringify(w)} twice (ids ${index.get(w)} and ${i})`);
      index.set(w, i);
    });
    this.words = words;
    this.index = index;
  }

  /**
   * The vocabulary of counted types: `<eos>` first, then by decreasing count, ties in order of
   * first appearance; capped and with `<unk>` as the options say (see the file's comment).
   */
  static fromCounts(counter: TypeCounter, o: VocabularyOptions = {}): Vocabulary {
    if (o.maxSize !== undefined && (!Number.isInteger(o.maxSize) || o.maxSize < 3)) {
      throw new UsageError(`a vocabulary size must be an integer of at least 3 (<eos>, <unk> and one word), got ${o.maxSize}`);
    }
    if (o.minCount !== undefined && (!Number.isInteger(o.minCount) || o.minCount < 1)) {
      throw new UsageError(`a minimum count must be a positive integer, got ${o.minCount}`);
    }
    const order: number[] = [];
    counter.words.forEach((w, i) => {
      if (w !== EOS) order.push(i);
    });
    // Array.prototype.sort is stable: equal counts keep first-appearance order.
    order.sort((a, b) => counter.counts[b]! - counter.counts[a]!);
    const minCount = o.minCount ?? 1;
    const frequent = order.filter((i) => counter.counts[i]! >= minCount || counter.words[i] === UNK);
    let kept = frequent.map((i) => counter.words[i]!);
    const cap = o.maxSize;
    const addUnk = (o.unk === true || frequent.length < order.length) && !kept.includes(UNK);
    if (cap !== undefined && 1 + kept.length + (addUnk ? 1 : 0) > cap) {
      kept = kept.slice(0, cap - 1);
      if (!kept.includes(UNK)) kept = [...kept.slice(0, cap - 2), UNK];
    } else if (addUnk) kept.push(UNK);
    return new Vocabulary([EOS, ...kept]);
  }

  /** Number of ids. */
  get size(): number {
    return this.words.length;
  }
  get eos(): number {
    return 0;
  }
  /** The id of `<unk>`, or null when the vocabulary has none. */
  get unk(): number | null {
    return this.index.get(UNK) ?? null;
  }
  /** The id of `word`, or undefined when it is not in the vocabulary. */
  id(word: string): number | undefined {
    return this.index.get(word);
  }
  word(id: number): string {
    const w = this.words[id];
    if (w === undefined) throw new RangeError(`id ${id} is outside the vocabulary (size ${this.size})`);
    return w;
  }

  toJSON(): VocabularyJSON {
    return { format: 'lot-vocabulary', version: 1, words: [...this.words] };
  }

  /** Reads what `toJSON` wrote (e.g. `vocabulary.json` of a run folder); `where` names it in errors. */
  static fromJSON(raw: unknown, where = 'vocabulary'): Vocabulary {
    const f = Fields.of(raw, where);
    if (f.str('format') !== 'lot-vocabulary')
      throw new UsageError(`${where}: 'format' must be "lot-vocabulary", got ${JSON.stringify(f.raw('format'))}`);
    if (f.int('version') !== 1) throw new UsageError(`${where}: version ${f.int('version')} is not known (this lot reads version 1)`);
    const words = f.strList('words');
    try {
      return new Vocabulary(words);
    } catch (e) {
      throw new UsageError(`${where}: ${(e as Error).message}`);
    }
  }
}
