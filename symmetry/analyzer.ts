/**
 * Space-group analysis as pymatgen 2022.11.7's `SpacegroupAnalyzer(structure, symprec,
 * angle_tolerance=5)` does it, on the TypeScript port of spglib 2.0.2 (`./spglib/`): the same
 * number, H-M symbol (`Fm-3m`, `P6_3/mmc`, spglib's `international`), operations in spglib's
 * order, Wyckoff letters and orbits (`equivalent_atoms`).
 *
 * moyo (`./moyo.ts`, `@spglib/moyo-wasm`) is kept as an independent implementation that tests
 * compare against; it chooses other (equivalent) settings and has no angle tolerance, so the
 * printed CIFs that CrystaLLM trains on come from the spglib port.
 *
 * @module
 */
import type { Mat3, Vec3 } from "../cif/lattice.ts";
import type { Site, Structure } from "../cif/structure.ts";
import { AMOUNT_TOLERANCE } from "../cif/composition.ts";
import { getSymmetryDataset, type PyCell, type PySymmetryDataset, spgGetErrorMessage } from "./spglib/spglib.ts";
import { spgdbGetSpacegroupOperations, spgdbGetSpacegroupType } from "./spglib/spg_database.ts";
import { opToXyz } from "./space_group_ops.ts";

/** Thrown when symmetry analysis fails (bad input, or spglib finds no dataset); never a crash. */
export class SymmetryError extends Error {
  override name = "SymmetryError";
}

/** One Hall setting from spglib's database. */
export interface HallEntry {
  /** ITA space-group number. */
  number: number;
  /** spglib's `international_short` (what pymatgen prints). */
  international: string;
  /** Hall symbol, e.g. `-P 4 2 3`. */
  hall_symbol: string;
  /** Setting choice, e.g. `"1"`, `"2"`, `"H"`, `"R"`, `"b"`, or `""`. */
  choice: string;
  /**
   * spglib's database operators (`get_symmetry_from_database`) as `SymmOp.as_xyz_string()`, in
   * the database's order (for 15 F-centred settings a symmetry dataset lists the centring blocks
   * in another order; CIF writing uses the dataset's, see `spaceGroupOf`).
   */
  ops: string[];
}

/**
 * spglib's database entry for a Hall number, read from the spglib port's tables
 * (`./spglib/spg_database.ts`, checked against python spglib for all 530 settings by
 * `tools/gen_spg_database.py`).
 *
 * @param hallNumber 1–530.
 * @returns The entry.
 * @throws {SymmetryError} For a number outside 1–530.
 * @example Hall number 517 is Pm-3m
 * ```ts
 * import { hallEntry } from "./analyzer.ts";
 * if (hallEntry(517).international !== "Pm-3m") throw new Error();
 * ```
 */
export function hallEntry(hallNumber: number): HallEntry {
  const type = spgdbGetSpacegroupType(hallNumber);
  const ops = type.number === 0 ? null : spgdbGetSpacegroupOperations(hallNumber);
  if (!ops) throw new SymmetryError(`Unknown Hall number: ${hallNumber}`);
  return {
    number: type.number,
    international: type.internationalShort,
    hall_symbol: type.hallSymbol,
    choice: type.choice,
    ops: ops.rot.map((rot, i) => opToXyz({ rot: rot as Mat3, trans: ops.trans[i] as Vec3 })),
  };
}

/** A space-group operation on fractional coordinates: x' = R·x + t. */
export interface SpaceGroupOperation {
  /** Integer rotation matrix, row-major. */
  rot: Mat3;
  /** Translation. */
  trans: Vec3;
}

/** What `spaceGroupOf` reports. */
export interface SpaceGroupInfo {
  /** ITA number, 1–230. */
  number: number;
  /** H-M symbol as pymatgen's `get_space_group_symbol()` prints it (spglib `international`). */
  symbol: string;
  /** Hall number, 1–530 (spglib numbering). */
  hallNumber: number;
  /** Operations in the input cell, in spglib's order (`dataset.rotations/translations`). */
  operations: SpaceGroupOperation[];
  /** Wyckoff letter of each input site. */
  wyckoffs: string[];
  /** For each input site, the index of the representative of its orbit (spglib `equivalent_atoms`). */
  orbits: number[];
  /** Site-symmetry symbol of each input site. */
  siteSymmetrySymbols: string[];
  /** Atom type per input site (pymatgen's `SpacegroupAnalyzer` numbering, 1-based). */
  types: number[];
  /** The species of each type (`types[i] - 1` indexes this). */
  uniqueSpecies: [string, number][][];
  /** The whole spglib dataset (python spglib's keys; lattices as rows). */
  dataset: PySymmetryDataset;
}

/** Options for `spaceGroupOf`. */
export interface SpaceGroupOptions {
  /**
   * Distance tolerance in Å.
   * @default {0.1}
   */
  symprec?: number;
  /**
   * Angle tolerance in degrees (pymatgen's `SpacegroupAnalyzer` default; -1 is spglib's own default).
   * @default {5}
   */
  angleTolerance?: number;
}

/** pymatgen `Composition.__eq__`: same elements, amounts within `amount_tolerance`. */
function sameSpecies(a: [string, number][], b: [string, number][]): boolean {
  const amt = (s: [string, number][], el: string) => s.reduce((t, [e, o]) => e === el ? t + o : t, 0);
  for (const [el] of a) if (Math.abs(amt(a, el) - amt(b, el)) > AMOUNT_TOLERANCE) return false;
  for (const [el] of b) if (Math.abs(amt(a, el) - amt(b, el)) > AMOUNT_TOLERANCE) return false;
  return true;
}

/**
 * Atom types as pymatgen's `SpacegroupAnalyzer.__init__` numbers them: species (element +
 * occupancy, so a disordered site is its own type) in order of first appearance, 1-based.
 *
 * @param sites The sites.
 * @returns The type of each site and the species of each type.
 */
export function speciesTypes(
  sites: readonly Site[],
): { types: number[]; uniqueSpecies: [string, number][][] } {
  const uniqueSpecies: [string, number][][] = [];
  const types: number[] = [];
  for (const s of sites) {
    let k = uniqueSpecies.findIndex((u) => sameSpecies(u, s.species));
    if (k < 0) {
      uniqueSpecies.push(s.species);
      k = uniqueSpecies.length - 1;
    }
    types.push(k + 1);
  }
  return { types, uniqueSpecies };
}

/**
 * The cell spglib sees for a structure (pymatgen `SpacegroupAnalyzer._cell`), checked.
 *
 * @param structure The structure.
 * @param symprec Distance tolerance.
 * @returns The cell and the species of each type.
 * @throws {SymmetryError} For no sites, non-finite numbers, a singular lattice or a bad symprec.
 */
export function spglibCell(
  structure: Structure,
  symprec: number,
): { cell: PyCell; types: number[]; uniqueSpecies: [string, number][][] } {
  if (!(symprec > 0) || !Number.isFinite(symprec)) throw new SymmetryError(`Invalid symprec: ${symprec}`);
  if (structure.sites.length === 0) throw new SymmetryError("Cannot analyze symmetry: no sites");
  const lattice = structure.lattice.matrix.map((r) => [...r]);
  const positions = structure.sites.map((s) => [...s.frac]);
  if (!lattice.flat().every(Number.isFinite) || !positions.every((p) => p.every(Number.isFinite))) {
    throw new SymmetryError("Cannot analyze symmetry: non-finite lattice or coordinates");
  }
  const [a, b, c] = lattice;
  const det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
    a[2] * (b[0] * c[1] - b[1] * c[0]);
  if (!(Math.abs(det) > 1e-8)) {
    throw new SymmetryError(`Cannot analyze symmetry: singular lattice (volume ${det})`);
  }
  const { types, uniqueSpecies } = speciesTypes(structure.sites);
  return { cell: { lattice, positions, numbers: types }, types, uniqueSpecies };
}

/**
 * The space group of a structure, as pymatgen's `SpacegroupAnalyzer(structure, symprec)` sees it.
 *
 * @param structure The structure (any cell; partial occupancies are their own atom types).
 * @param options `symprec` (default 0.1, CrystaLLM's value) and `angleTolerance` (default 5).
 * @returns Number, symbol, Hall number, operations, Wyckoff letters and orbits.
 * @throws {SymmetryError} When the structure is degenerate or spglib finds no dataset.
 * @example Rock salt
 * ```ts
 * import { Lattice } from "../cif/lattice.ts";
 * import { Structure } from "../cif/structure.ts";
 * import { spaceGroupOf } from "./analyzer.ts";
 * const s = new Structure(Lattice.fromParameters(5.64, 5.64, 5.64, 90, 90, 90), [
 *   ...[[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]].map((f) => ({ species: [["Na", 1]] as [string, number][], frac: f as [number, number, number] })),
 *   ...[[0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]].map((f) => ({ species: [["Cl", 1]] as [string, number][], frac: f as [number, number, number] })),
 * ]);
 * const sg = spaceGroupOf(s);
 * if (sg.symbol !== "Fm-3m" || sg.number !== 225) throw new Error();
 * ```
 */
export function spaceGroupOf(structure: Structure, options: SpaceGroupOptions = {}): SpaceGroupInfo {
  const symprec = options.symprec ?? 0.1;
  const { cell, types, uniqueSpecies } = spglibCell(structure, symprec);
  let d: PySymmetryDataset | null;
  try {
    d = getSymmetryDataset(cell, symprec, options.angleTolerance ?? 5);
  } catch (e) {
    throw new SymmetryError(`Cannot analyze symmetry: ${(e as Error).message}`, { cause: e });
  }
  if (d === null) {
    throw new SymmetryError(
      `Cannot analyze symmetry: spglib finds no space group (symmetry dataset is None: ${spgGetErrorMessage()})`,
    );
  }
  return {
    number: d.number,
    symbol: d.international,
    hallNumber: d.hall_number,
    operations: d.rotations.map((r, i) => ({
      rot: r.map((row) => [...row]) as Mat3,
      trans: [...d!.translations[i]] as Vec3,
    })),
    wyckoffs: d.wyckoffs,
    orbits: d.equivalent_atoms,
    siteSymmetrySymbols: d.site_symmetry_symbols,
    types,
    uniqueSpecies,
    dataset: d,
  };
}
