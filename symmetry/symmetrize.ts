/**
 * Symmetrized CIF text, byte for byte as pymatgen 2022.11.7's `str(CifWriter(s, symprec=0.1))`.
 *
 * `CifWriter` (pymatgen/io/cif.py) does, in order:
 * 1. `SpacegroupAnalyzer(s, symprec, angle_tolerance=5)`: symbol and number of the input.
 * 2. `get_refined_structure()`: spglib `refine_cell` (conventional cell, idealized lattice,
 *    symmetrized positions), then `get_sorted_structure()`.
 * 3. `SpacegroupAnalyzer(refined, symprec)`: the operators of the refined cell in spglib's order
 *    (translations through `Fraction.limit_denominator(1000)`, ±1 → 0), and
 *    `get_symmetrized_structure()` for the orbits (`equivalent_atoms`).
 * 4. One row per orbit: the member with the smallest `abs` fractional coordinates, rows sorted by
 *    (average electronegativity, -multiplicity, a, b, c).
 *
 * Every spglib step runs on the TypeScript port of spglib 2.0.2 (`./spglib/`), so the refined
 * cell, its setting and origin, and the operator order are spglib's own.
 *
 * @module
 */
import { Lattice, type Mat3, type Vec3 } from "../cif/lattice.ts";
import { limitDenominator } from "../cif/symop.ts";
import { type Site, siteElectroneg, Structure } from "../cif/structure.ts";
import { type AtomSiteRow, occupancyString, renderCifWriter } from "../cif/write_cif.ts";
import { pySorted } from "../cif/python_compat.ts";
import { type SpaceGroupInfo, spaceGroupOf, SymmetryError } from "./analyzer.ts";
import { opToXyz } from "./space_group_ops.ts";

/** Options for `symmetrizedCif` and `refinedStructure`. */
export interface SymmetrizeOptions {
  /**
   * Distance tolerance in Å.
   * @default {0.1}
   */
  symprec?: number;
  /**
   * Angle tolerance in degrees of the first analysis (`CifWriter(angle_tolerance=5)`).
   * @default {5}
   */
  angleTolerance?: number;
}

/** The refined cell and what `CifWriter` needs from its analysis. */
export interface RefinedResult {
  /** Symbol of the input structure (pymatgen `get_space_group_symbol()`). */
  symbol: string;
  /** Number of the input structure. */
  number: number;
  /** `get_refined_structure()`: conventional, idealized, sorted. */
  refined: Structure;
}

/**
 * pymatgen `SpacegroupAnalyzer(structure, symprec).get_refined_structure()`, with the input's
 * symbol and number.
 *
 * @param structure Input structure.
 * @param options `symprec` (default 0.1) and `angleTolerance` (default 5).
 * @returns The input's symbol/number and the refined, sorted conventional structure.
 * @throws {SymmetryError} When symmetry analysis fails.
 */
export function refinedStructure(structure: Structure, options: SymmetrizeOptions = {}): RefinedResult {
  const opts = { symprec: options.symprec ?? 0.1, angleTolerance: options.angleTolerance ?? 5 };
  const sg = spaceGroupOf(structure, opts);
  // spglib's refine_cell is its dataset's standardized cell (spglib.c standardize_cell copies
  // std_lattice, std_positions, std_types), so the analysis above already holds it
  const d = sg.dataset;
  const sites: Site[] = d.std_positions.map((p, i) => ({
    species: sg.uniqueSpecies[d.std_types[i] - 1],
    frac: [p[0], p[1], p[2]] as Vec3,
  }));
  const refined = new Structure(new Lattice(d.std_lattice.map((r) => [r[0], r[1], r[2]]) as Mat3), sites)
    .sorted();
  return { symbol: sg.symbol, number: sg.number, refined };
}

/** One symmetrically distinct site of the refined cell. */
interface UniqueSite {
  site: Site;
  mult: number;
}

/**
 * pymatgen `SpacegroupAnalyzer._get_symmetry()` translations: `Fraction.limit_denominator(1000)`
 * of each component, and ±1 becomes 0.
 */
function pymatgenTranslation(t: readonly number[]): Vec3 {
  return t.map((c) => {
    const [n, d] = limitDenominator(c, 1000);
    const v = n / d;
    return Math.abs(v) === 1 ? 0 : v;
  }) as Vec3;
}

/**
 * The `_symmetry_equiv_pos_as_xyz` strings `CifWriter` prints for an analysis.
 *
 * @param sg The analysis of the refined structure.
 * @returns One `SymmOp.as_xyz_string()` per operation, in spglib's order.
 */
export function cifWriterOps(sg: SpaceGroupInfo): string[] {
  return sg.operations.map((o) => opToXyz({ rot: o.rot, trans: pymatgenTranslation(o.trans) }));
}

/**
 * `str(CifWriter(structure, symprec))` of pymatgen 2022.11.7.
 *
 * @param structure The structure (any setting; it is refined first).
 * @param options `symprec` (default 0.1, what CrystaLLM uses), `angleTolerance` (default 5).
 * @returns The symmetrized CIF text.
 * @throws {SymmetryError} When symmetry analysis fails.
 * @example Rock salt primitive cell → Fm-3m conventional cell
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { symmetrizedCif } from "./symmetrize.ts";
 * const s = new Structure(Lattice.fromParameters(3.99, 3.99, 3.99, 60, 60, 60), [
 *   { species: [["Na", 1]], frac: [0, 0, 0] },
 *   { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
 * ]);
 * const cif = symmetrizedCif(s);
 * if (!cif.includes("_symmetry_space_group_name_H-M   Fm-3m")) throw new Error();
 * if (!cif.includes("  Na  Na0  4  0.00000000  0.00000000  0.00000000  1")) throw new Error();
 * ```
 */
export function symmetrizedCif(structure: Structure, options: SymmetrizeOptions = {}): string {
  const symprec = options.symprec ?? 0.1;
  const { symbol, number, refined } = refinedStructure(structure, options);
  // CifWriter's second SpacegroupAnalyzer(struct, symprec): default angle tolerance
  const sg = spaceGroupOf(refined, { symprec });
  const ops = cifWriterOps(sg);
  const orbits = sg.orbits;
  // SymmetrizedStructure.equivalent_sites: np.unique(equivalent_atoms) order, members by index
  const groups = new Map<number, Site[]>();
  for (const rep of [...new Set(orbits)].sort((x, y) => x - y)) groups.set(rep, []);
  orbits.forEach((rep, i) => groups.get(rep)!.push(refined.sites[i]));
  const absKey = (s: Site) => s.frac.map(Math.abs);
  const tupleLess = (x: number[], y: number[]) => {
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return x[k] < y[k];
    return false;
  };
  const unique: UniqueSite[] = [...groups.values()].map((sites) => ({
    site: pySorted(sites, (p, q) => tupleLess(absKey(p), absKey(q)))[0],
    mult: sites.length,
  }));
  const key = (
    u: UniqueSite,
  ) => [siteElectroneg(u.site), -u.mult, u.site.frac[0], u.site.frac[1], u.site.frac[2]];
  const rows: AtomSiteRow[] = [];
  let count = 0;
  for (const u of pySorted(unique, (p, q) => tupleLess(key(p), key(q)))) {
    for (const [el, occ] of u.site.species) {
      rows.push({
        typeSymbol: el,
        label: `${el}${count}`,
        multiplicity: u.mult,
        frac: u.site.frac,
        occupancy: occupancyString(occ),
      });
      count++;
    }
  }
  return renderCifWriter({
    lattice: refined.lattice,
    composition: refined.composition,
    sgSymbol: symbol,
    sgNumber: number,
    ops,
    sites: rows,
  });
}

export { SymmetryError };
