/**
 * moyo (`@spglib/moyo-wasm`, spglib's Rust successor) as an independent second opinion on space
 * groups. The harness's own answers come from the spglib 2.0.2 port (`./analyzer.ts`), because
 * pymatgen, and so CrystaLLM's data, uses spglib's settings and its angle tolerance; tests
 * compare the two on the corpora (`moyo_test.ts`).
 *
 * @module
 */
import { moyoModule } from "./_moyo_wasm.js";
import { analyze_cell, initSync, type MoyoDataset } from "@spglib/moyo-wasm";
import type { Mat3, Vec3 } from "../cif/lattice.ts";
import type { Structure } from "../cif/structure.ts";
import { speciesTypes, SymmetryError } from "./analyzer.ts";

// The module is compiled by the source-phase import in _moyo_wasm.js; instantiation is synchronous, once.
initSync({ module: moyoModule });

/** The cell moyo works on: lattice rows, fractional positions, integer atom types. */
export interface MoyoCellInput {
  /** Rows are the lattice vectors a, b, c in Å. */
  lattice: Mat3;
  positions: Vec3[];
  /** Atom types (1-based, as pymatgen numbers unique species). */
  numbers: number[];
}

/**
 * Run moyo on a cell.
 *
 * @param cell Lattice, fractional positions and integer types.
 * @param symprec Distance tolerance in Å.
 * @returns moyo's dataset in the `"Spglib"` setting.
 * @throws {SymmetryError} When the input is not finite or moyo reports an error.
 */
export function analyzeCell(cell: MoyoCellInput, symprec: number): MoyoDataset {
  if (!(symprec > 0) || !Number.isFinite(symprec)) throw new SymmetryError(`Invalid symprec: ${symprec}`);
  if (cell.positions.length === 0) throw new SymmetryError("Cannot analyze symmetry: no sites");
  if (cell.positions.length !== cell.numbers.length) {
    throw new SymmetryError("Cannot analyze symmetry: positions and numbers differ in length");
  }
  const basis = cell.lattice.flat();
  if (!basis.every(Number.isFinite) || !cell.positions.every((p) => p.every(Number.isFinite))) {
    throw new SymmetryError("Cannot analyze symmetry: non-finite lattice or coordinates");
  }
  const det = basis[0] * (basis[4] * basis[8] - basis[5] * basis[7]) -
    basis[1] * (basis[3] * basis[8] - basis[5] * basis[6]) +
    basis[2] * (basis[3] * basis[7] - basis[4] * basis[6]);
  if (!(Math.abs(det) > 1e-8)) {
    throw new SymmetryError(`Cannot analyze symmetry: singular lattice (volume ${det})`);
  }
  const json = JSON.stringify({ lattice: { basis }, positions: cell.positions, numbers: cell.numbers });
  try {
    return analyze_cell(json, symprec, "Spglib");
  } catch (e) {
    throw new SymmetryError(`Cannot analyze symmetry: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

/**
 * moyo's space-group number and Hall number of a structure (types numbered as pymatgen does).
 *
 * @param structure The structure.
 * @param symprec Distance tolerance in Å (default 0.1).
 * @returns ITA number and Hall number in moyo's `"Spglib"` setting.
 * @throws {SymmetryError} When the input is degenerate or moyo fails.
 */
export function moyoSpaceGroupOf(
  structure: Structure,
  symprec = 0.1,
): { number: number; hallNumber: number } {
  const d = analyzeCell({
    lattice: structure.lattice.matrix,
    positions: structure.sites.map((s) => s.frac as Vec3),
    numbers: speciesTypes(structure.sites).types,
  }, symprec);
  return { number: d.number, hallNumber: d.hall_number };
}
