/**
 * Upstream CrystaLLM's `is_formula_consistent` (`crystallm/_utils.py`, commit 8e81a86).
 *
 * @module
 */
import { Composition } from "../cif/composition.ts";
import { asParsed, type ParsedCif, PyError } from "./_parse.ts";
import { firstBlockValue } from "./_pymatgen_cif.ts";

/**
 * Upstream's `extract_data_formula`: the formula in the `data_` line (`data_([A-Za-z0-9]+)\n`).
 *
 * @param cif CIF text.
 * @returns The block name, e.g. `Na2Cl2`.
 * @throws {PyError} `Exception: could not find data_ in:…` when there is none.
 */
export function extractDataFormula(cif: string): string {
  const m = /data_([A-Za-z0-9]+)\n/.exec(cif);
  if (m) return m[1];
  throw new PyError("Exception", `could not find data_ in:\n${cif}`);
}

/** `Composition(text)` of pymatgen, errors as Python's. */
export function pyComposition(text: string | string[]): Composition {
  if (Array.isArray(text)) throw new PyError("TypeError", "expected string or bytes-like object");
  try {
    return Composition.parse(text);
  } catch (e) {
    throw new PyError("ValueError", (e as Error).message);
  }
}

/**
 * Whether the `data_` name, `_chemical_formula_sum` and `_chemical_formula_structural` have
 * the same reduced formula (pymatgen `Composition.reduced_formula`), read as upstream reads
 * them (`CifParser.from_string(cif).as_dict()`, first block).
 *
 * @param cif CIF text, or a {@link ParsedCif} to share parsing between checks.
 * @returns True when all three agree.
 * @throws {PyError} As upstream: unreadable CIF, no `data_` name, a missing tag (`KeyError`).
 * @example
 * ```ts
 * import { isFormulaConsistent } from "./is_formula_consistent.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_Na2Cl2\n_chemical_formula_structural NaCl\n_chemical_formula_sum 'Na2 Cl2'\n";
 * assert.equal(isFormulaConsistent(cif), true);
 * ```
 */
export function isFormulaConsistent(cif: string | ParsedCif): boolean {
  const p = asParsed(cif);
  const blocks = p.blocks;
  const data = pyComposition(extractDataFormula(p.text));
  const sum = pyComposition(firstBlockValue(blocks, "_chemical_formula_sum"));
  const structural = pyComposition(firstBlockValue(blocks, "_chemical_formula_structural"));
  return data.reducedFormula === sum.reducedFormula && sum.reducedFormula === structural.reducedFormula;
}
