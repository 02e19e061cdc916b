/**
 * Upstream CrystaLLM's `is_valid` (`crystallm/_utils.py`, commit 8e81a86).
 *
 * @module
 */
import { asParsed, type ParsedCif } from "./_parse.ts";
import { bondLengthReasonablenessScore } from "./bond_length_reasonableness_score.ts";
import { isAtomSiteMultiplicityConsistent } from "./is_atom_site_multiplicity_consistent.ts";
import { isFormulaConsistent } from "./is_formula_consistent.ts";
import { isSpaceGroupConsistent } from "./is_space_group_consistent.ts";

/** Options for {@link isValid}. */
export interface ValidOptions {
  /** Smallest bond-length score that passes. @default {1.0} */
  bondLengthAcceptabilityCutoff?: number;
}

/**
 * Upstream's validity: formula consistent, then multiplicities consistent, then a bond-length
 * score ≥ the cutoff, then the stated space group found at symprec 0.1 — checked in that
 * order, so the first failing check decides and later ones (and their errors) are not reached.
 *
 * @param cif CIF text, or a {@link ParsedCif}.
 * @param options The bond-score cutoff.
 * @returns True when all four checks pass.
 * @throws {PyError} The first error one of the checks raises, as upstream.
 * @example
 * ```ts
 * import { isValid } from "./is_valid.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => isValid("not a cif"));
 * ```
 */
export function isValid(cif: string | ParsedCif, options: ValidOptions = {}): boolean {
  const p = asParsed(cif);
  if (!isFormulaConsistent(p)) return false;
  if (!isAtomSiteMultiplicityConsistent(p)) return false;
  if (bondLengthReasonablenessScore(p) < (options.bondLengthAcceptabilityCutoff ?? 1.0)) return false;
  return isSpaceGroupConsistent(p);
}
