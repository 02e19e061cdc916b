/**
 * Seeded random numbers, the same on every platform: dataset splits, subsets and the
 * randomized tests draw from these so that a seed reproduces the draw.
 *
 * @module
 */

/**
 * mulberry32: a small, fast, well-known 32-bit PRNG. Deterministic for a seed on
 * every platform, which is all a dataset split needs.
 *
 * @param seed Any integer (taken modulo 2^32).
 * @returns A function giving floats in [0, 1).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32, shuffled } from "./random.ts";
 * const a = mulberry32(42), b = mulberry32(42);
 * assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
 * assert.deepEqual(shuffled([1, 2, 3, 4], mulberry32(1)).sort(), [1, 2, 3, 4]);
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `rand`. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
