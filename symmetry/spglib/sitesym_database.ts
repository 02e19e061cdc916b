/**
 * Site-symmetry (Wyckoff position) database: spglib's `sitesym_database.c` (spglib by Atsushi
 * Togo, BSD-3-Clause; see ./README.md) in TypeScript. The table
 * (`data/sitesym_database_table.json`) was dumped from python3-spglib 2.0.2 by
 * `tools/sitesym_database_gen.py`. For each Hall number, its Wyckoff positions in reverse
 * alphabetical order (general position first), each as one representative coordinate triplet
 * (rot·x + trans), its multiplicity and site-symmetry symbol.
 *
 * @module
 */
import type { IMat3, Vec3 } from "./types.ts";
import table from "./data/sitesym_database_table.json" with { type: "json" };

const INDICES = table.indices as number[][];
const COORDINATES = table.coordinates as [number, number[], number[], string][];

/** spglib `ssmdb_get_coordinate`: the representative coordinate of Wyckoff entry `index`, with its multiplicity. */
export function ssmdbGetCoordinate(index: number): { rot: IMat3; trans: Vec3; multiplicity: number } {
  const [m, r, t] = COORDINATES[index];
  return {
    rot: [[r[0], r[1], r[2]], [r[3], r[4], r[5]], [r[6], r[7], r[8]]],
    trans: t.slice() as Vec3,
    multiplicity: m,
  };
}

/** spglib `ssmdb_get_wyckoff_indices`: [first entry, number of Wyckoff positions] of a Hall number. */
export function ssmdbGetWyckoffIndices(index: number): number[] {
  return INDICES[index].slice();
}

/** spglib `ssmdb_get_site_symmetry_symbol`: site-symmetry symbol of Wyckoff entry `index`. */
export function ssmdbGetSiteSymmetrySymbol(index: number): string {
  return COORDINATES[index][3];
}
