/**
 * Where spglib 2.0.2 (behind pymatgen 2022.11.7's `SpacegroupAnalyzer`) refuses a cell that
 * moyo would still analyse. Private to `evaluate/`.
 *
 * spglib's `get_dataset` starts with `cel_any_overlap_with_same_type(cell, symprec)`: two
 * atoms of the same type whose fractional difference, wrapped by rounding each component
 * (`mat_Nint`), is shorter than `symprec` in Cartesian length make spglib return NULL, and
 * pymatgen then fails with `TypeError: 'NoneType' object is not subscriptable`.
 *
 * @module
 */
import type { Structure } from "../cif/structure.ts";
import { speciesTypes } from "../symmetry/analyzer.ts";

/**
 * spglib's `cel_any_overlap_with_same_type`.
 *
 * @param structure The structure.
 * @param symprec Distance tolerance in Å.
 * @returns True when two same-type atoms overlap within `symprec`.
 */
export function anySameTypeOverlap(structure: Structure, symprec: number): boolean {
  const { types } = speciesTypes(structure.sites);
  const m = structure.lattice.matrix;
  const n = structure.sites.length;
  const s2 = symprec * symprec;
  for (let i = 0; i < n; i++) {
    const a = structure.sites[i].frac;
    for (let j = i + 1; j < n; j++) {
      if (types[i] !== types[j]) continue;
      const b = structure.sites[j].frac;
      let d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
      d0 -= nint(d0), d1 -= nint(d1), d2 -= nint(d2);
      const x = d0 * m[0][0] + d1 * m[1][0] + d2 * m[2][0];
      const y = d0 * m[0][1] + d1 * m[1][1] + d2 * m[2][1];
      const z = d0 * m[0][2] + d1 * m[1][2] + d2 * m[2][2];
      if (x * x + y * y + z * z < s2) return true;
    }
  }
  return false;
}

/** spglib `mat_Nint`: round half away from zero. */
function nint(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}
