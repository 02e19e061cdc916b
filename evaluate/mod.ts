/**
 * Evaluation of generated CIFs with upstream CrystaLLM's checks (commit 8e81a86), in pymatgen
 * 2022.11.7's semantics.
 *
 * ```ts
 * import { evaluateCif, isSensible } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isSensible("_cell_length_a 0.1\n"), false);
 * assert.equal(evaluateCif("data_X\n").parse_ok, false);
 * ```
 *
 * @module
 */
export * from "./evaluate.ts"; // evaluate(), evaluateCif(): rows, set metrics, CSV
export * from "./is_sensible.ts"; // isSensible(): cell lengths and angles in bounds
export * from "./is_formula_consistent.ts"; // isFormulaConsistent(): data_ name, sum, structural agree
export * from "./is_atom_site_multiplicity_consistent.ts"; // isAtomSiteMultiplicityConsistent()
export * from "./is_space_group_consistent.ts"; // isSpaceGroupConsistent(): stated = found at 0.1
export * from "./bond_length_reasonableness_score.ts"; // bondLengthReasonablenessScore(): CrystalNN bonds
export * from "./is_valid.ts"; // isValid(): all four, upstream's order
export { ParsedCif, type PmgBlock, type PmgValue } from "./_parse.ts"; // one parse shared by several checks
export { PyError } from "./_pymatgen_cif.ts"; // what the checks throw, named as Python's exceptions
