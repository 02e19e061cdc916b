/**
 * Upstream CrystaLLM's `is_space_group_consistent` (`crystallm/_utils.py`, commit 8e81a86).
 *
 * @module
 */
import type { Structure } from "../cif/structure.ts";
import { type SpaceGroupInfo, spaceGroupOf } from "../symmetry/analyzer.ts";
import { asParsed, type ParsedCif, PyError } from "./_parse.ts";
import { firstBlockValue } from "./_pymatgen_cif.ts";

/**
 * Cells on which spglib 2.0.2 returns no dataset only after minutes of search (it retries at up
 * to 20 shrinking tolerances), so they are refused at once with the reason: a volume that is not
 * a positive finite number, a length above 10,000 Å or axes more than 1,000 times apart, and a
 * one-atom cell with a lattice vector shorter than `symprec` (the atom overlaps its own image;
 * pymatgen spends 22 CPU-s there to fail). Everything else, the 0.1 Å, 2,000 Å and 179° cells of
 * generated CIFs included, is analysed.
 *
 * @returns Why the cell is refused, or `undefined` to analyse it.
 */
function hopelessCell(structure: Structure, symprec: number): string | undefined {
  const v = structure.volume;
  if (!(Number.isFinite(v) && v > 0)) return `cell volume ${v} is not a positive finite number`;
  const abc = structure.lattice.abc;
  if (Math.max(...abc) > 1e4) return `a cell length above 10,000 Å (${Math.max(...abc)})`;
  if (Math.max(...abc) > 1000 * Math.min(...abc)) return "cell axes more than 1,000 times apart";
  if (structure.length === 1) {
    const [a, b, c] = structure.lattice.matrix;
    for (let i = -2; i <= 2; i++) {
      for (let j = -2; j <= 2; j++) {
        for (let k = -2; k <= 2; k++) {
          if (!i && !j && !k) continue;
          const x = [0, 1, 2].map((n) => i * a[n] + j * b[n] + k * c[n]);
          if (Math.hypot(x[0], x[1], x[2]) < symprec) return "the only atom overlaps its own lattice image";
        }
      }
    }
  }
  return undefined;
}

/**
 * `SpacegroupAnalyzer(structure, symprec).get_space_group_symbol()` with spglib 2.0.2's
 * refusals: where spglib returns no dataset (two atoms of the same species closer than
 * `symprec`: the spglib port says "too close distance between atoms"), pymatgen fails with
 * `TypeError: 'NoneType' object is not subscriptable`.
 *
 * @param structure The structure.
 * @param symprec Distance tolerance in Å.
 * @returns Number and symbol.
 * @throws {PyError} `TypeError` where spglib gives up (no dataset, a singular or non-finite cell).
 */
export function detectSpaceGroup(structure: Structure, symprec = 0.1): SpaceGroupInfo {
  // degenerate and extreme cells (a = 0.1 or 2,000 Å, an angle of 5° or 179°) go to the spglib
  // port as pymatgen hands them to spglib; where spglib finds nothing, so do we
  const hopeless = hopelessCell(structure, symprec);
  if (hopeless) throw new PyError("TypeError", `'NoneType' object is not subscriptable (${hopeless})`);
  try {
    return spaceGroupOf(structure, { symprec });
  } catch (e) {
    throw new PyError("TypeError", `'NoneType' object is not subscriptable (${(e as Error).message})`);
  }
}

/**
 * Whether `_symmetry_space_group_name_H-M` equals the space group found at symprec 0.1
 * (pymatgen's `get_space_group_symbol()`, e.g. `Fm-3m`), compared after stripping spaces
 * at both ends only, as upstream.
 *
 * @param cif CIF text, or a {@link ParsedCif}.
 * @returns True when stated and detected symbols are equal.
 * @throws {PyError} As upstream: no structure, no stated symbol (`KeyError`), spglib failure (`TypeError`).
 * @example
 * ```ts
 * import { isSpaceGroupConsistent } from "./is_space_group_consistent.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_Po\n_symmetry_space_group_name_H-M Pm-3m\n_cell_length_a 3.35\n_cell_length_b 3.35\n" +
 *   "_cell_length_c 3.35\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n" +
 *   "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nPo0 Po 0 0 0\n";
 * assert.equal(isSpaceGroupConsistent(cif), true);
 * ```
 */
export function isSpaceGroupConsistent(cif: string | ParsedCif): boolean {
  const p = asParsed(cif);
  const structure = p.structure;
  const stated = firstBlockValue(p.blocks, "_symmetry_space_group_name_H-M");
  if (Array.isArray(stated)) throw new PyError("AttributeError", "'list' object has no attribute 'strip'");
  const detected = p.memo("spaceGroup@0.1", () => detectSpaceGroup(structure, 0.1));
  return stated.trim() === detected.symbol.trim();
}
