// Lines to words. Two rules:
// - `splitWords`: the reference's, for files that are already tokenized (PTB, WikiText):
//   Python's `line.split()`, i.e. split on runs of whitespace as Python defines it (JavaScript's
//   \s without U+FEFF, plus U+001C–U+001F and U+0085); nothing else changes.
// - `plainWords`: for raw English (KJV, SOTU, any text file). Unicode NFKC; typographic quotes
//   and dashes made plain (’ ‘ ′ → ', “ ” „ ″ → ", ‐ ‑ ‒ – — ― − → -); lower case; control and
//   format characters become spaces; then a word is a run of letters, marks and digits that may
//   hold an apostrophe between two letters or digits (lord's, don't) and a `.` or `,` between two
//   digits (1,000.50); every other visible character is a token of its own (so `fellow-citizens`
//   is `fellow - citizens`, `u.s.` is `u . s .`, `"yes,"` is `" yes , "`). Nothing is dropped.

const PY_SPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WORD = new RegExp(`[^${PY_SPACE_CLASS}]+`, 'g');

/** Python's `line.split()`: the non-whitespace runs of `line`. */
export const splitWords = (line: string): string[] => line.match(PY_WORD) ?? [];

const PLAIN: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u2019\u201b\u2032]/g, "'"],
  [/[\u201c\u201d\u201e\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/[\p{Cc}\p{Cf}]/gu, ' '],
];

const PLAIN_TOKEN = /(?:[\p{L}\p{M}\p{N}]+(?:'(?=[\p{L}\p{M}\p{N}])|(?<=\p{N})[.,](?=\p{N}))?)+|\S/gu;

/** The plain-English rule: normalized, lower-cased words and punctuation tokens of `line`. */
export function plainWords(line: string): string[] {
  let s = line.normalize('NFKC');
  for (const [pattern, replacement] of PLAIN) s = s.replace(pattern, replacement);
  return s.toLowerCase().match(PLAIN_TOKEN) ?? [];
}

/** How a line becomes words. */
export type Tokenizer = (line: string) => string[];
