/**
 * Upstream CrystaLLM's `is_atom_site_multiplicity_consistent` (`crystallm/_utils.py`, 8e81a86).
 *
 * @module
 */
import { isDummySymbol } from "../cif/elements.ts";
import { asParsed, type ParsedCif, PyError } from "./_parse.ts";
import { firstBlockValue, pmgText } from "./_pymatgen_cif.ts";
import { pyComposition } from "./is_formula_consistent.ts";

/** Python `int(str)`. */
function pyInt(s: string): number {
  const t = s.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) {
    throw new PyError("ValueError", `invalid literal for int() with base 10: '${s}'`);
  }
  return Number(t.replaceAll("_", ""));
}

/**
 * Whether the multiplicities in `_atom_site_symmetry_multiplicity`, summed per
 * `_atom_site_type_symbol` over every block, equal `Composition(_chemical_formula_sum).as_dict()`
 * exactly (same symbols, same amounts), as upstream.
 *
 * @param cif CIF text, or a {@link ParsedCif}.
 * @returns True when the counts agree.
 * @throws {PyError} As upstream: unreadable CIF, no blocks (`IndexError`), no formula sum
 *   (`KeyError`), a non-integer multiplicity (`ValueError`).
 * @example
 * ```ts
 * import { isAtomSiteMultiplicityConsistent } from "./is_atom_site_multiplicity_consistent.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_NaCl\n_chemical_formula_sum 'Na4 Cl4'\nloop_\n_atom_site_type_symbol\n_atom_site_label\n" +
 *   "_atom_site_symmetry_multiplicity\nNa Na0 4\nCl Cl1 4\n";
 * assert.equal(isAtomSiteMultiplicityConsistent(cif), true);
 * ```
 */
export function isAtomSiteMultiplicityConsistent(cif: string | ParsedCif): boolean {
  const blocks = asParsed(cif).blocks;
  const expected = new Map<string, number>();
  for (const [el, amt] of pyComposition(firstBlockValue(blocks, "_chemical_formula_sum")).entries()) {
    const key = isDummySymbol(el) ? `${el}0+` : el; // str(DummySpecies("Xx")) == "Xx0+"
    expected.set(key, (expected.get(key) ?? 0) + amt);
  }
  const actual = new Map<string, number>();
  for (const b of blocks) {
    const types = pmgText(b.data.get("_atom_site_type_symbol"));
    const mults = pmgText(b.data.get("_atom_site_symmetry_multiplicity"));
    if (types === undefined || mults === undefined) continue;
    // zip() over two columns, or over the characters of a scalar
    const ts = [...types], ms = [...mults];
    for (let i = 0; i < Math.min(ts.length, ms.length); i++) {
      actual.set(ts[i], (actual.get(ts[i]) ?? 0) + pyInt(ms[i]));
    }
  }
  if (expected.size !== actual.size) return false;
  for (const [k, v] of expected) if (actual.get(k) !== v) return false;
  return true;
}
