/**
 * The passes of Cascade (`cascade` in ./cascade.ts): how each pass orders
 * the string's positions and cuts that order into blocks, and the parity of
 * Bob's differences over a run of that order. Bisection works on runs of
 * positions, so a pass answers in time proportional to the run (shuffled
 * passes) or to a 32nd of it (the unshuffled first pass and the half-string
 * passes, which work on packed words).
 *
 * @module
 */

import { popcount32 } from "./bits.ts";
import type { Xoshiro128 } from "./random.ts";

/** One pass's order of positions and its blocks, runs of that order. */
export interface CascadePass {
  /** Number of blocks. */
  readonly blocks: number;
  /** First position of a block. */
  start(block: number): number;
  /** Position after a block's last. */
  end(block: number): number;
  /** The block that holds a bit. */
  blockOf(bit: number): number;
  /** Where a bit stands in the pass's order. */
  rank(bit: number): number;
  /** Parity of the differences over positions `[lo, hi)` of one block. */
  parity(lo: number, hi: number): number;
  /** The bit at a position. */
  bitAt(position: number): number;
  /** Whether a bit at positions `[lo, hi)` is set in `bitmap`. */
  touches(lo: number, hi: number, bitmap: Uint32Array): boolean;
  /** Sets in `bitmap` the bits at positions `[lo, hi)`. */
  cover(lo: number, hi: number, bitmap: Uint32Array): void;
}

/**
 * Walks bits `[lo, hi)` of a word array one word `w` at a time, `keep`
 * selecting those of the range where `mask ^ invert` is set (all of them
 * without a mask), until `f` returns true.
 */
function eachWord(
  lo: number,
  hi: number,
  mask: Uint32Array | null,
  invert: number,
  f: (w: number, keep: number) => boolean,
): boolean {
  const first = lo >>> 5, last = (hi - 1) >>> 5;
  for (let w = first; w <= last && hi > lo; w++) {
    let keep = mask ? mask[w] ^ invert : ~0;
    if (w === first) keep &= ~0 << (lo & 31);
    if (w === last && (hi & 31) !== 0) keep &= (1 << (hi & 31)) - 1;
    if (f(w, keep)) return true;
  }
  return false;
}

/** Parity, touches and cover of the bits `[lo, hi)` selected by a mask. */
function wordOps(mask: Uint32Array | null, diff: Uint32Array) {
  return {
    parity: (lo: number, hi: number, invert: number) => {
      let acc = 0;
      eachWord(lo, hi, mask, invert, (w, keep) => {
        acc ^= diff[w] & keep;
        return false;
      });
      return popcount32(acc) & 1;
    },
    touches: (lo: number, hi: number, invert: number, bitmap: Uint32Array) =>
      eachWord(lo, hi, mask, invert, (w, keep) => (bitmap[w] & keep) !== 0),
    cover: (lo: number, hi: number, invert: number, bitmap: Uint32Array) => {
      eachWord(lo, hi, mask, invert, (w, keep) => {
        bitmap[w] |= keep;
        return false;
      });
    },
  };
}

/**
 * A public random permutation of `0..n-1` (Fisher-Yates), the same as with
 * `rng.below(i + 1)` at each step, from one batch of words.
 */
export function shuffledOrder(n: number, rng: Xoshiro128): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const words = rng.fill(new Uint32Array(Math.max(0, n - 1)));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((words[n - 1 - i] / 4294967296) * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Blocks of `size` consecutive positions of `order` (the identity when
 * null); `diff` is read at each call, so parities follow Bob's corrections.
 */
export function blockPass(
  n: number,
  size: number,
  diff: Uint32Array,
  order: Uint32Array | null,
): CascadePass {
  // The same properties in the same order for every kind of pass: flip()
  // reads them for all 24 passes at each correction.
  const blocks = Math.ceil(n / size);
  const start = (block: number) => block * size;
  const end = (block: number) => Math.min(n, (block + 1) * size);
  if (!order) {
    const words = wordOps(null, diff);
    return {
      blocks,
      start,
      end,
      blockOf: (bit) => (bit / size) | 0,
      rank: (bit) => bit,
      bitAt: (position) => position,
      parity: (lo, hi) => words.parity(lo, hi, 0),
      touches: (lo, hi, bitmap) => words.touches(lo, hi, 0, bitmap),
      cover: (lo, hi, bitmap) => words.cover(lo, hi, 0, bitmap),
    };
  }
  const position = new Uint32Array(n);
  for (let i = 0; i < n; i++) position[order[i]] = i;
  return {
    blocks,
    start,
    end,
    blockOf: (bit) => (position[bit] / size) | 0,
    rank: (bit) => position[bit],
    bitAt: (position) => order[position],
    parity: (lo, hi) => {
      let p = 0;
      for (let i = lo; i < hi; i++) {
        p ^= diff[order[i] >>> 5] >>> (order[i] & 31);
      }
      return p & 1;
    },
    touches: (lo, hi, bitmap) => {
      for (let i = lo; i < hi; i++) {
        if ((bitmap[order[i] >>> 5] >>> (order[i] & 31)) & 1) return true;
      }
      return false;
    },
    cover: (lo, hi, bitmap) => {
      for (let i = lo; i < hi; i++) {
        bitmap[order[i] >>> 5] |= 1 << (order[i] & 31);
      }
    },
  };
}

/**
 * Two blocks: the bits outside a public random mask, then those inside it,
 * each in index order. For the late half-string passes this does what a
 * shuffle does (a leftover pair of errors is split with probability 1/2)
 * with n/32 random words; ranks need a prefix count of the mask, built only
 * once a bisection reaches inside the pass.
 */
export function splitPass(
  n: number,
  mask: Uint32Array,
  diff: Uint32Array,
): CascadePass {
  const nWords = mask.length;
  let ones = 0;
  for (let w = 0; w < nWords; w++) ones += popcount32(mask[w]);
  const zeros = n - ones;
  let prefix: Uint32Array | undefined;
  const onesBefore = () => {
    if (!prefix) {
      prefix = new Uint32Array(nWords + 1);
      for (let w = 0; w < nWords; w++) {
        prefix[w + 1] = prefix[w] + popcount32(mask[w]);
      }
    }
    return prefix;
  };
  const rankInMask = (bit: number) => {
    const r = bit & 31;
    return onesBefore()[bit >>> 5] +
      (r === 0 ? 0 : popcount32(mask[bit >>> 5] & ((1 << r) - 1)));
  };
  // The bit index of member `j` of a block, or n past its end.
  const select = (block: number, j: number): number => {
    if (j >= (block ? ones : zeros)) return n;
    const before = onesBefore();
    const count = (w: number) => block ? before[w] : w * 32 - before[w];
    let lo = 0, hi = nWords;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (count(mid) <= j) lo = mid;
      else hi = mid;
    }
    let x = block ? mask[lo] : ~mask[lo];
    for (let k = j - count(lo); k > 0; k--) x &= x - 1;
    return lo * 32 + 31 - Math.clz32(x & -x);
  };
  // Positions [lo, hi) of one block as the bit interval that holds them.
  const bitRange = (lo: number, hi: number) => {
    const block = lo >= zeros ? 1 : 0;
    const base = block ? zeros : 0;
    return [block, select(block, lo - base), select(block, hi - base)];
  };
  const blockOf = (bit: number) => (mask[bit >>> 5] >>> (bit & 31)) & 1;
  const words = wordOps(mask, diff);
  return {
    blocks: 2,
    start: (block) => block ? zeros : 0,
    end: (block) => block ? n : zeros,
    blockOf,
    rank: (bit) =>
      blockOf(bit) ? zeros + rankInMask(bit) : bit - rankInMask(bit),
    bitAt: (position) => bitRange(position, position + 1)[1],
    parity: (lo, hi) => {
      const [block, from, to] = bitRange(lo, hi);
      return words.parity(from, to, block ? 0 : ~0);
    },
    touches: (lo, hi, bitmap) => {
      const [block, from, to] = bitRange(lo, hi);
      return words.touches(from, to, block ? 0 : ~0, bitmap);
    },
    cover: (lo, hi, bitmap) => {
      const [block, from, to] = bitRange(lo, hi);
      words.cover(from, to, block ? 0 : ~0, bitmap);
    },
  };
}
