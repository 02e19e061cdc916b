/**
 * Upstream CrystaLLM's `is_space_group_consistent` (`crystallm/_utils.py`, commit 8e81a86).
 *
 * @module
 */
import type { Structure } from "../cif/structure.ts";
import { type SpaceGroupInfo, spaceGroupOf } from "../symmetry/analyzer.ts";
import { asParsed, type ParsedCif, PyError } from "./_parse.ts";
import { firstBlockValue } from "./_pymatgen_cif.ts";
import { anySameTypeOverlap } from "./_spglib_compat.ts";

/** Lengths in [0.5, 1000] Å, at most 200× apart, every face-to-face height ≥ 0.5 Å. */
function analysableCell(structure: Structure): boolean {
  const abc = structure.lattice.abc;
  if (!abc.every((x) => x >= 0.5 && x <= 1000) || Math.max(...abc) > 200 * Math.min(...abc)) return false;
  const [a, b, c] = structure.lattice.matrix;
  const cross = (
    u: number[],
    v: number[],
  ) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const vol = structure.volume;
  if (!(vol > 0)) return false;
  for (const [u, v] of [[b, c], [c, a], [a, b]]) {
    const w = cross(u, v);
    if (!(vol / Math.hypot(w[0], w[1], w[2]) >= 0.5)) return false;
  }
  return true;
}

/**
 * `SpacegroupAnalyzer(structure, symprec).get_space_group_symbol()` with spglib 2.0.2's
 * refusal: when two atoms of the same species sit closer than `symprec`, spglib returns no
 * dataset and pymatgen fails with `TypeError: 'NoneType' object is not subscriptable`.
 *
 * @param structure The structure.
 * @param symprec Distance tolerance in Å.
 * @returns Number and symbol.
 * @throws {PyError} `TypeError` where spglib gives up; moyo's own failures likewise.
 */
export function detectSpaceGroup(structure: Structure, symprec = 0.1): SpaceGroupInfo {
  if (anySameTypeOverlap(structure, symprec)) {
    throw new PyError("TypeError", "'NoneType' object is not subscriptable");
  }
  // moyo-wasm 0.15 can hang on extreme cells (a = 0.2 Å, or 1000–3000 Å beside 0.5–8 Å axes);
  // spglib itself returns no dataset for long oblique cells (a ≳ 300 Å beside 4 Å axes) and
  // crashes on tiny ones; a nearly flat cell (β = 0.3°) keeps moyo busy for minutes. So cells
  // outside upstream's is_sensible length bounds, with axes more than 200 times apart, or thinner
  // than 0.5 Å between opposite faces are not analysed and fail as spglib's do.
  if (!analysableCell(structure)) {
    throw new PyError(
      "TypeError",
      "'NoneType' object is not subscriptable (harness: degenerate cell not analysed)",
    );
  }
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
