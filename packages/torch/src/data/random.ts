// Seeded randomness for data loading, in plain JavaScript so that worker
// threads (which do not load libtorch) draw exactly what the main thread draws.
//
// Streams are derived by hashing integers: the shuffle of epoch e uses
// seedFor(seed, SHUFFLE, e); the random transforms of batch b in epoch e use
// seedFor(seed, TRANSFORM, e, b, field, step). Results depend only on those
// numbers, never on worker count, scheduling or libtorch's global generator.

/** A 32-bit integer hash (the murmur3 finalizer). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers (any sign, up to 2^53) into one 32-bit seed. */
export function seedFor(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = fmix(h ^ Math.imul(lo + 0x9e3779b9, 0x27d4eb2d));
    h = fmix(h ^ Math.imul(hi + 0x7f4a7c15, 0x165667b1));
  }
  return h;
}

/** A small, fast generator: a Weyl sequence through the murmur3 finalizer (splitmix32). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return fmix(this.state);
  }
  /** A uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }
  /** A uniform integer in [0, n) for 1 <= n <= 2^32 (rejection sampling: no modulo bias). */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; ++i) p[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; --i) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Stream tags for seedFor. */
export const STREAM_SHUFFLE = 1;
export const STREAM_TRANSFORM = 2;

/** A 32-bit hash of a string (FNV-1a), to derive per-field streams from field names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; ++i) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of the random transforms of one field of one batch. */
export const fieldSeed = (batchSeed: number, key: string): number => seedFor(batchSeed, hashString(key));
