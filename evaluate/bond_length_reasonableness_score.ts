/**
 * Upstream CrystaLLM's `bond_length_reasonableness_score` (`crystallm/_utils.py`, 8e81a86).
 *
 * @module
 */
import { electronegativity, element, isDummySymbol } from "../cif/elements.ts";
import type { Structure } from "../cif/structure.ts";
import { asParsed, type ParsedCif, PyError } from "./_parse.ts";
import { crystalNNInfo, specieOf } from "./_crystal_nn.ts";

/** Options for {@link bondLengthReasonablenessScore}; upstream's defaults. */
export interface BondScoreOptions {
  /** Allowed relative deviation from the expected bond length. @default {0.32} */
  tolerance?: number;
  /** Bonds with hydrogen pass when shorter than this multiple of the expected length. @default {2.5} */
  hFactor?: number;
}

function radius(
  symbol: string,
  key: "atomic_radius" | "average_cationic_radius" | "average_anionic_radius",
): number {
  const v = element(symbol)?.[key];
  // None + float raises TypeError in Python
  if (v == null) throw new PyError("TypeError", "unsupported operand type(s) for +: 'NoneType' and 'float'");
  return v;
}

/** The shortest distance between sites i and j over periodic images (`PeriodicSite.distance`). */
function shortestDistance(structure: Structure, i: number, j: number): number {
  const m = structure.lattice.matrix;
  const a = structure.sites[i].frac, b = structure.sites[j].frac;
  const d = [0, 1, 2].map((k) => {
    const x = b[k] - a[k];
    return x - Math.round(x);
  });
  let best = Infinity;
  for (let u = -2; u <= 2; u++) {
    for (let v = -2; v <= 2; v++) {
      for (let w = -2; w <= 2; w++) {
        const f0 = d[0] + u, f1 = d[1] + v, f2 = d[2] + w;
        const x = f0 * m[0][0] + f1 * m[1][0] + f2 * m[2][0];
        const y = f0 * m[0][1] + f1 * m[1][1] + f2 * m[2][1];
        const z = f0 * m[0][2] + f1 * m[1][2] + f2 * m[2][2];
        const d2 = x * x + y * y + z * z;
        if (d2 < best) best = d2;
      }
    }
  }
  return Math.sqrt(best);
}

/**
 * The fraction of CrystalNN bonds whose length is within `tolerance` of the expected length:
 * the sum of average cationic and anionic radii when the electronegativity difference is
 * ≥ 1.7 (the more electronegative atom as the anion), else the sum of atomic radii; bonds to
 * hydrogen only need a ratio below `hFactor`. Bond lengths are the shortest periodic
 * distance between the two sites (pymatgen's `site.distance(other)`), as upstream measures them. Bonds from a site to its own periodic images are
 * skipped; every other bond is counted from both ends.
 *
 * @param cif CIF text, or a {@link ParsedCif}.
 * @param options Tolerance and hydrogen factor.
 * @returns A score in [0, 1].
 * @throws {PyError} As upstream: no structure, a dummy species (`AttributeError: element`), a
 *   radius of zero (`ZeroDivisionError`), no bonds at all (`ZeroDivisionError: division by zero`).
 * @example Rock salt
 * ```ts
 * import { bondLengthReasonablenessScore } from "./bond_length_reasonableness_score.ts";
 * import assert from "node:assert/strict";
 * const cif = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n" +
 *   "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M Fm-3m\n" +
 *   "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n'x, y+1/2, z+1/2'\n'x+1/2, y, z+1/2'\n'x+1/2, y+1/2, z'\n" +
 *   "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n" +
 *   "Na0 Na 0 0 0\nCl1 Cl 0.5 0.5 0.5\n";
 * assert.equal(bondLengthReasonablenessScore(cif), 1);
 * ```
 */
export function bondLengthReasonablenessScore(
  cif: string | ParsedCif,
  options: BondScoreOptions = {},
): number {
  const { tolerance = 0.32, hFactor = 2.5 } = options;
  const p = asParsed(cif);
  return p.memo(`bondScore@${tolerance},${hFactor}`, () => bondScore(p.structure, tolerance, hFactor));
}

function bondScore(structure: Structure, tolerance: number, hFactor: number): number {
  // CrystalNN's _get_radius asks a DummySpecies for its .element, which it lacks
  for (const s of structure.sites) {
    if (s.species.some(([el]) => isDummySymbol(el))) throw new PyError("AttributeError", "element");
  }
  const minRatio = 1 - tolerance, maxRatio = 1 + tolerance;
  let score = 0, bondCount = 0;
  for (let i = 0; i < structure.length; i++) {
    const a = specieOf(structure, i);
    const xa = electronegativity(a);
    for (const nb of crystalNNInfo(structure, i)) {
      if (nb.siteIndex === i) continue;
      const b = specieOf(structure, nb.siteIndex);
      const xb = electronegativity(b);
      const isHydrogen = a === "H" || b === "H";
      let expected: number;
      if (Math.abs(xa - xb) >= 1.7) {
        expected = xa < xb
          ? radius(a, "average_cationic_radius") + radius(b, "average_anionic_radius")
          : radius(a, "average_anionic_radius") + radius(b, "average_cationic_radius");
      } else {
        expected = radius(a, "atomic_radius") + radius(b, "atomic_radius");
      }
      if (expected === 0) throw new PyError("ZeroDivisionError", "float division by zero");
      // pymatgen PeriodicSite.distance(other): the shortest periodic distance between the two
      // sites, not the length to the neighbour image CrystalNN found
      const ratio = shortestDistance(structure, i, nb.siteIndex) / expected;
      if (isHydrogen) {
        if (ratio < hFactor) score++;
      } else if (minRatio < ratio && ratio < maxRatio) score++;
      bondCount++;
    }
  }
  if (bondCount === 0) throw new PyError("ZeroDivisionError", "division by zero");
  return score / bondCount;
}
