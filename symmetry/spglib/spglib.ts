/**
 * The public entry points of spglib's `spglib.c` (spglib by Atsushi Togo, BSD-3-Clause; see
 * ./README.md) in TypeScript: the symmetry dataset, refined / standardized cells, symmetry
 * operations and the primitive cell, plus a python-spglib-shaped API ({@link getSymmetryDataset},
 * {@link refineCell}) for the rest of the project.
 *
 * The C-shaped functions take lattices with basis vectors as COLUMNS (spglib's C layout); the
 * python-shaped ones take and give ROWS, like python spglib.
 *
 * @module
 */
import type { Cell, IMat3, Mat3, Vec3 } from "./types.ts";
import { celAllocCell, celAnyOverlapWithSameType, celSetCell } from "./cell.ts";
import {
  matCopyMatrixD3,
  matCopyVectorD3,
  matInverseMatrixD3,
  matMultiplyMatrixD3,
  matTransposeMatrixD3,
} from "./mathfunc.ts";
import { ptgGetPointgroup } from "./pointgroup.ts";
import type { Primitive } from "./primitive.ts";
import type { Spacegroup } from "./spacegroup.ts";
import { spaTransformToPrimitive } from "./spacegroup.ts";
import { Centering, spgdbGetSpacegroupType } from "./spg_database.ts";
import { detDetermineAll } from "./determination.ts";
import type { ExactStructure } from "./refinement.ts";

/** spglib `SpglibDataset`, camelCased (lattices as columns). */
export interface SpglibDataset {
  spacegroupNumber: number;
  hallNumber: number;
  internationalSymbol: string;
  hallSymbol: string;
  choice: string;
  /** (a b c)_input = (a b c)_bravais · transformationMatrix. */
  transformationMatrix: Mat3;
  originShift: Vec3;
  nOperations: number;
  rotations: IMat3[];
  translations: Vec3[];
  nAtoms: number;
  /** Wyckoff letter indices (0 = a). */
  wyckoffs: number[];
  siteSymmetrySymbols: string[];
  equivalentAtoms: number[];
  crystallographicOrbits: number[];
  primitiveLattice: Mat3;
  mappingToPrimitive: number[];
  nStdAtoms: number;
  stdLattice: Mat3;
  stdTypes: number[];
  stdPositions: Vec3[];
  stdRotationMatrix: Mat3;
  stdMappingToPrimitive: number[];
  pointgroupSymbol: string;
}

/** A cell as C spglib's API takes it (lattice basis vectors as columns). */
export interface SpglibCell {
  lattice: Mat3;
  position: Vec3[];
  types: number[];
}

/** spglib `spg_get_dataset` / `spgat_get_dataset`: the symmetry dataset, or null on failure. */
export function spgGetDataset(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  symprec: number,
  angleTolerance = -1.0,
): SpglibDataset | null {
  return getDataset(lattice, position, types, numAtom, 0, symprec, angleTolerance);
}

/** spglib `spg_refine_cell` / `spgat_refine_cell`: the idealized standardized conventional cell, or null. */
export function spgRefineCell(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  symprec: number,
  angleTolerance = -1.0,
): SpglibCell | null {
  return standardizeCell(lattice, position, types, numAtom, symprec, angleTolerance);
}

/** spglib `spg_find_primitive` / `spgat_find_primitive`: the idealized standardized primitive cell, or null. */
export function spgFindPrimitive(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  symprec: number,
  angleTolerance = -1.0,
): SpglibCell | null {
  return standardizePrimitive(lattice, position, types, numAtom, symprec, angleTolerance);
}

/** spglib's `SpglibError` messages for the refusals this port reports (`spglib_error_code`). */
const ERROR_MESSAGES = {
  success: "no error",
  atomsTooClose: "too close distance between atoms",
  symmetrySearchFailed: "symmetry operation search failed",
} as const;

let errorCode: keyof typeof ERROR_MESSAGES = "success";

/**
 * spglib `spg_get_error_message(spg_get_error_code())`: why the last dataset search (every
 * entry point here starts with one) gave no answer, as python spglib's `get_error_message()`.
 *
 * @returns `"no error"`, `"too close distance between atoms"` (two atoms of one type closer than
 *   symprec) or `"symmetry operation search failed"`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getSymmetryDataset, spgGetErrorMessage } from "./spglib.ts";
 * const lattice = [[4, 0, 0], [0, 4, 0], [0, 0, 4]];
 * assert.equal(getSymmetryDataset({ lattice, positions: [[0, 0, 0], [0.001, 0, 0]], numbers: [1, 1] }, 0.1), null);
 * assert.equal(spgGetErrorMessage(), "too close distance between atoms"); // python spglib 2.0.2's words
 * assert.equal(getSymmetryDataset({ lattice, positions: [[0, 0, 0], [0.5, 0.5, 0.5]], numbers: [1, 1] }, 0.1)?.number, 229);
 * assert.equal(spgGetErrorMessage(), "no error");
 * ```
 */
export function spgGetErrorMessage(): string {
  return ERROR_MESSAGES[errorCode];
}

/** spglib `get_dataset` (sets the error code {@link spgGetErrorMessage} reports). */
function getDataset(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  hallNumber: number,
  symprec: number,
  angleTolerance: number,
): SpglibDataset | null {
  errorCode = "symmetrySearchFailed";
  const cell = celAllocCell(numAtom);
  if (cell === null) return null;
  celSetCell(cell, lattice, position, types);
  if (celAnyOverlapWithSameType(cell, symprec)) {
    errorCode = "atomsTooClose";
    return null;
  }
  const container = detDetermineAll(cell, hallNumber, symprec, angleTolerance);
  if (container === null) return null;
  const dataset = setDataset(cell, container.primitive, container.spacegroup, container.exactStructure);
  if (dataset !== null) errorCode = "success";
  return dataset;
}

/** spglib `set_dataset`. */
function setDataset(
  cell: Cell,
  primitive: Primitive,
  spacegroup: Spacegroup,
  exstr: ExactStructure,
): SpglibDataset | null {
  const invLat = matInverseMatrixD3(spacegroup.bravaisLattice, 0);
  if (invLat === null || primitive.cell === null) return null;
  const pointgroup = ptgGetPointgroup(spacegroup.pointgroupNumber);
  const sym = exstr.symmetry;
  const bravais = exstr.bravais;
  return {
    spacegroupNumber: spacegroup.number,
    hallNumber: spacegroup.hallNumber,
    internationalSymbol: spacegroup.internationalShort,
    hallSymbol: spacegroup.hallSymbol,
    choice: spacegroup.choice,
    transformationMatrix: matMultiplyMatrixD3(invLat, cell.lattice),
    originShift: matCopyVectorD3(spacegroup.originShift),
    nOperations: sym.size,
    rotations: sym.rot.slice(0, sym.size).map((r) => r.map((x) => x.slice())),
    translations: sym.trans.slice(0, sym.size).map((t) => matCopyVectorD3(t)),
    nAtoms: cell.size,
    wyckoffs: exstr.wyckoffs.slice(0, cell.size),
    siteSymmetrySymbols: exstr.siteSymmetrySymbols.slice(0, cell.size),
    equivalentAtoms: exstr.equivalentAtoms.slice(0, cell.size),
    crystallographicOrbits: exstr.crystallographicOrbits.slice(0, cell.size),
    primitiveLattice: matCopyMatrixD3(primitive.cell.lattice),
    mappingToPrimitive: primitive.mappingTable.slice(0, cell.size),
    nStdAtoms: bravais.size,
    stdLattice: matCopyMatrixD3(bravais.lattice),
    stdTypes: bravais.types.slice(0, bravais.size),
    stdPositions: bravais.position.slice(0, bravais.size).map((p) => matCopyVectorD3(p)),
    stdRotationMatrix: matCopyMatrixD3(exstr.rotation),
    stdMappingToPrimitive: exstr.stdMappingToPrimitive.slice(0, bravais.size),
    pointgroupSymbol: pointgroup.symbol,
  };
}

/** spglib `standardize_cell`: the dataset's standardized cell. */
function standardizeCell(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  symprec: number,
  angleTolerance: number,
): SpglibCell | null {
  const dataset = getDataset(lattice, position, types, numAtom, 0, symprec, angleTolerance);
  if (dataset === null) return null;
  return { lattice: dataset.stdLattice, position: dataset.stdPositions, types: dataset.stdTypes };
}

/** spglib `standardize_primitive`: the primitive cell of the dataset's standardized cell. */
function standardizePrimitive(
  lattice: Mat3,
  position: Vec3[],
  types: number[],
  numAtom: number,
  symprec: number,
  angleTolerance: number,
): SpglibCell | null {
  const dataset = getDataset(lattice, position, types, numAtom, 0, symprec, angleTolerance);
  if (dataset === null) return null;
  const centering = getCentering(dataset.hallNumber);
  if (centering === Centering.CENTERING_ERROR) return null;
  const bravais = celAllocCell(dataset.nStdAtoms);
  if (bravais === null) return null;
  celSetCell(bravais, dataset.stdLattice, dataset.stdPositions, dataset.stdTypes);
  const identity: Mat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const prim = spaTransformToPrimitive(bravais, identity, centering, symprec);
  if (prim === null) return null;
  return cellOut(prim.cell);
}

/** spglib `get_centering`. */
function getCentering(hallNumber: number): Centering {
  return spgdbGetSpacegroupType(hallNumber).centering;
}

function cellOut(c: Cell): SpglibCell {
  return {
    lattice: matCopyMatrixD3(c.lattice),
    position: c.position.slice(0, c.size).map((p) => matCopyVectorD3(p)),
    types: c.types.slice(0, c.size),
  };
}

// ---------------------------------------------------------------------------------------------
// python spglib's layout (lattice rows in and out)

/** A cell in python spglib's layout: lattice ROWS a, b, c (plain arrays; every row has 3 entries). */
export interface PyCell {
  lattice: number[][];
  positions: number[][];
  numbers: number[];
}

/** python spglib 2.0.2's `get_symmetry_dataset` dictionary (lattices as rows). */
export interface PySymmetryDataset {
  number: number;
  hall_number: number;
  international: string;
  hall: string;
  choice: string;
  transformation_matrix: number[][];
  origin_shift: number[];
  rotations: number[][][];
  translations: number[][];
  wyckoffs: string[];
  site_symmetry_symbols: string[];
  crystallographic_orbits: number[];
  equivalent_atoms: number[];
  primitive_lattice: number[][];
  mapping_to_primitive: number[];
  std_lattice: number[][];
  std_types: number[];
  std_positions: number[][];
  std_rotation_matrix: number[][];
  std_mapping_to_primitive: number[];
  pointgroup: string;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * python spglib's `get_symmetry_dataset(cell, symprec, angle_tolerance)` (spglib `spg_get_dataset`):
 * the dataset with python's keys and layout, or null when spglib finds none.
 */
export function getSymmetryDataset(
  cell: PyCell,
  symprec = 1e-5,
  angleTolerance = -1.0,
): PySymmetryDataset | null {
  const d = spgGetDataset(
    matTransposeMatrixD3(cell.lattice as Mat3),
    cell.positions as Vec3[],
    cell.numbers,
    cell.numbers.length,
    symprec,
    angleTolerance,
  );
  if (d === null) return null;
  return {
    number: d.spacegroupNumber,
    hall_number: d.hallNumber,
    international: d.internationalSymbol.trim(),
    hall: d.hallSymbol.trim(),
    choice: d.choice.trim(),
    transformation_matrix: d.transformationMatrix,
    origin_shift: d.originShift,
    rotations: d.rotations,
    translations: d.translations,
    wyckoffs: d.wyckoffs.map((w) => LETTERS[w] ?? ""),
    site_symmetry_symbols: d.siteSymmetrySymbols.map((s) => s.trim()),
    crystallographic_orbits: d.crystallographicOrbits,
    equivalent_atoms: d.equivalentAtoms,
    primitive_lattice: matTransposeMatrixD3(d.primitiveLattice),
    mapping_to_primitive: d.mappingToPrimitive,
    std_lattice: matTransposeMatrixD3(d.stdLattice),
    std_types: d.stdTypes,
    std_positions: d.stdPositions,
    std_rotation_matrix: d.stdRotationMatrix,
    std_mapping_to_primitive: d.stdMappingToPrimitive,
    pointgroup: d.pointgroupSymbol.trim(),
  };
}

/**
 * python spglib's `refine_cell(cell, symprec, angle_tolerance)` (spglib `spg_refine_cell`): the
 * idealized standardized conventional cell (lattice rows), or null.
 */
export function refineCell(cell: PyCell, symprec = 1e-5, angleTolerance = -1.0): PyCell | null {
  const r = spgRefineCell(
    matTransposeMatrixD3(cell.lattice as Mat3),
    cell.positions as Vec3[],
    cell.numbers,
    cell.numbers.length,
    symprec,
    angleTolerance,
  );
  if (r === null) return null;
  return { lattice: matTransposeMatrixD3(r.lattice), positions: r.position, numbers: r.types };
}

/**
 * python spglib's `find_primitive(cell, symprec, angle_tolerance)` (spglib `spg_find_primitive`):
 * the idealized standardized primitive cell (lattice rows), or null.
 */
export function findPrimitive(cell: PyCell, symprec = 1e-5, angleTolerance = -1.0): PyCell | null {
  const r = spgFindPrimitive(
    matTransposeMatrixD3(cell.lattice as Mat3),
    cell.positions as Vec3[],
    cell.numbers,
    cell.numbers.length,
    symprec,
    angleTolerance,
  );
  if (r === null) return null;
  return { lattice: matTransposeMatrixD3(r.lattice), positions: r.position, numbers: r.types };
}
