/**
 * Upstream CrystaLLM's `is_sensible` (`crystallm/_utils.py`, commit 8e81a86).
 *
 * @module
 */
import { PyError } from "./_pymatgen_cif.ts";

/** Cell bounds of {@link isSensible}; CrystaLLM's `bin/evaluate_cifs.py` defaults. */
export interface SensibleOptions {
  /** Shortest allowed cell length in Å. @default {0.5} */
  lengthLo?: number;
  /** Longest allowed cell length in Å. @default {1000} */
  lengthHi?: number;
  /** Smallest allowed cell angle in degrees. @default {10} */
  angleLo?: number;
  /** Largest allowed cell angle in degrees. @default {170} */
  angleHi?: number;
}

/** Python `float(s)` for the `[\d.]+` strings upstream's regexes capture. */
function pyFloatDigits(s: string): number {
  const x = /^(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : NaN;
  if (Number.isNaN(x)) throw new PyError("ValueError", `could not convert string to float: '${s}'`);
  return x;
}

/**
 * Whether every `_cell_length_[abc]` lies in [0.5, 1000] Å and every `_cell_angle_*` in
 * [10, 170]°, read with upstream's regexes (`_cell_length_[abc]\s+([\d\.]+)`): a value the
 * regex does not capture (a sign, letters) is not checked at all, as upstream.
 *
 * @param cif CIF text.
 * @param options Bounds.
 * @returns True when all captured values are inside the bounds (also when none are).
 * @throws {PyError} `ValueError` when a captured value is not a number (`1.2.3`), as upstream.
 * @example
 * ```ts
 * import { isSensible } from "./is_sensible.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isSensible("_cell_length_a 5.0\n_cell_angle_alpha 5.0\n"), false);
 * assert.equal(isSensible("_cell_length_a 5.0\n_cell_angle_alpha 90\n"), true);
 * ```
 */
export function isSensible(cif: string, options: SensibleOptions = {}): boolean {
  const { lengthLo = 0.5, lengthHi = 1000, angleLo = 10, angleHi = 170 } = options;
  for (const m of cif.matchAll(/_cell_length_[abc]\s+([\d.]+)/g)) {
    const x = pyFloatDigits(m[1]);
    if (x < lengthLo || x > lengthHi) return false;
  }
  for (const m of cif.matchAll(/_cell_angle_(alpha|beta|gamma)\s+([\d.]+)/g)) {
    const x = pyFloatDigits(m[2]);
    if (x < angleLo || x > angleHi) return false;
  }
  return true;
}
