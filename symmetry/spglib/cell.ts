/**
 * Cells, atom overlap tests and cell trimming: spglib's `cell.c` (spglib by Atsushi Togo,
 * BSD-3-Clause; see ./README.md) in TypeScript. Bulk crystals only (no layer groups).
 *
 * @module
 */
import type { Cell, Mat3, Vec3, VecDBL } from "./types.ts";
import {
  matAllocVecDBL,
  matCastMatrix3dTo3i,
  matCopyMatrixD3,
  matDabs,
  matDmod1,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matInverseMatrixD3,
  matMultiplyMatrixD3,
  matMultiplyMatrixVectorD3,
  matNint,
} from "./mathfunc.ts";

const INCREASE_RATE = 2.0;
const REDUCE_RATE = 0.95;
const NUM_ATTEMPT = 100;

/** spglib `SiteTensorType` (magnetic site tensors; only NOSPIN is used here). */
export const SiteTensorType = { NOSPIN: -1, COLLINEAR: 0, NONCOLLINEAR: 1 } as const;
/** spglib `SiteTensorType`. */
export type SiteTensorType = number;

/** spglib `cel_alloc_cell`: a zeroed cell of `size` atoms, or null when size < 1. */
export function celAllocCell(size: number, _tensorRank: SiteTensorType = SiteTensorType.NOSPIN): Cell | null {
  if (size < 1) return null;
  const position: Vec3[] = [];
  for (let i = 0; i < size; i++) position.push([0, 0, 0]);
  return {
    size,
    lattice: [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
    types: new Array<number>(size).fill(0),
    position,
  };
}

/** spglib `cel_set_cell`: copies lattice and types into `cell`, positions reduced by `mat_Nint`. */
export function celSetCell(cell: Cell, lattice: Mat3, position: Vec3[], types: number[]): void {
  cell.lattice = matCopyMatrixD3(lattice);
  for (let i = 0; i < cell.size; i++) {
    const p = position[i];
    cell.position[i] = [p[0] - matNint(p[0]), p[1] - matNint(p[1]), p[2] - matNint(p[2])];
    cell.types[i] = types[i];
  }
}

/** spglib `cel_copy_cell`: a new cell with the same contents (positions reduced by `mat_Nint`). */
export function celCopyCell(cell: Cell): Cell | null {
  const c = celAllocCell(cell.size);
  if (c === null) return null;
  celSetCell(c, cell.lattice, cell.position, cell.types);
  return c;
}

/** spglib `cel_is_overlap`: true when a and b (fractional) are closer than symprec (Cartesian, nearest image by `mat_Nint`). */
export function celIsOverlap(a: Vec3, b: Vec3, lattice: Mat3, symprec: number): boolean {
  let d0 = a[0] - b[0];
  let d1 = a[1] - b[1];
  let d2 = a[2] - b[2];
  // mat_Nint inlined (hot path): round half away from zero
  d0 -= d0 < 0 ? Math.trunc(d0 - 0.5) : Math.trunc(d0 + 0.5);
  d1 -= d1 < 0 ? Math.trunc(d1 - 0.5) : Math.trunc(d1 + 0.5);
  d2 -= d2 < 0 ? Math.trunc(d2 - 0.5) : Math.trunc(d2 + 0.5);
  const x = lattice[0][0] * d0 + lattice[0][1] * d1 + lattice[0][2] * d2;
  const y = lattice[1][0] * d0 + lattice[1][1] * d1 + lattice[1][2] * d2;
  const z = lattice[2][0] * d0 + lattice[2][1] * d1 + lattice[2][2] * d2;
  return Math.sqrt(x * x + y * y + z * z) < symprec;
}

/** spglib `cel_is_overlap_with_same_type`: `cel_is_overlap` for atoms of equal type, else false. */
export function celIsOverlapWithSameType(
  a: Vec3,
  b: Vec3,
  typeA: number,
  typeB: number,
  lattice: Mat3,
  symprec: number,
): boolean {
  return typeA === typeB ? celIsOverlap(a, b, lattice, symprec) : false;
}

/** spglib `cel_any_overlap`: true when some pair of atoms overlaps. */
export function celAnyOverlap(cell: Cell, symprec: number): boolean {
  for (let i = 0; i < cell.size; i++) {
    for (let j = i + 1; j < cell.size; j++) {
      if (celIsOverlap(cell.position[i], cell.position[j], cell.lattice, symprec)) return true;
    }
  }
  return false;
}

/** spglib `cel_any_overlap_with_same_type`: true when some pair of atoms of equal type overlaps. */
export function celAnyOverlapWithSameType(cell: Cell, symprec: number): boolean {
  for (let i = 0; i < cell.size; i++) {
    for (let j = i + 1; j < cell.size; j++) {
      if (
        celIsOverlapWithSameType(
          cell.position[i],
          cell.position[j],
          cell.types[i],
          cell.types[j],
          cell.lattice,
          symprec,
        )
      ) {
        return true;
      }
    }
  }
  return false;
}

/**
 * spglib `cel_trim_cell`: the cell on `trimmedLattice` (a sublattice-free smaller cell), with
 * overlapping atoms merged (positions averaged), and for each original atom the index of its
 * atom in the trimmed cell. Null on failure.
 */
export function celTrimCell(
  trimmedLattice: Mat3,
  cell: Cell,
  symprec: number,
): { cell: Cell; mappingTable: number[] } | null {
  return trimCell(trimmedLattice, cell, symprec);
}

function trimCell(
  trimmedLattice: Mat3,
  cell: Cell,
  symprec: number,
): { cell: Cell; mappingTable: number[] } | null {
  const ratio = Math.abs(matNint(matGetDeterminantD3(cell.lattice) / matGetDeterminantD3(trimmedLattice)));

  const inv = matInverseMatrixD3(trimmedLattice, symprec);
  if (inv === null) return null;
  const tmpMatInt = matCastMatrix3dTo3i(matMultiplyMatrixD3(inv, cell.lattice));
  if (Math.abs(matGetDeterminantI3(tmpMatInt)) !== ratio) return null;

  // cell.size must be divisible by ratio
  if (ratio === 0 || Math.trunc(cell.size / ratio) * ratio !== cell.size) return null;

  const trimmed = celAllocCell(Math.trunc(cell.size / ratio));
  if (trimmed === null) return null;

  const position = translateAtomsInTrimmedLattice(cell, trimmedLattice);
  trimmed.lattice = matCopyMatrixD3(trimmedLattice);

  const overlapTable = getOverlapTable(position, cell.size, cell.types, trimmed, symprec);
  if (overlapTable === null) return null;

  const mappingTable = new Array<number>(cell.size).fill(0);
  let indexAtom = 0;
  for (let i = 0; i < cell.size; i++) {
    if (overlapTable[i] === i) {
      mappingTable[i] = indexAtom;
      trimmed.types[indexAtom] = cell.types[i];
      indexAtom++;
    } else {
      mappingTable[i] = mappingTable[overlapTable[i]];
    }
  }

  setPositions(trimmed, position, mappingTable, overlapTable);
  return { cell: trimmed, mappingTable };
}

/** Averages the positions of overlapping atoms into the trimmed cell. */
function setPositions(
  trimmed: Cell,
  position: VecDBL,
  mappingTable: number[],
  overlapTable: number[],
): void {
  for (let i = 0; i < trimmed.size; i++) trimmed.position[i] = [0, 0, 0];

  for (let i = 0; i < position.size; i++) {
    const j = mappingTable[i];
    const k = overlapTable[i];
    for (let l = 0; l < 3; l++) {
      // one atom near 0 and its partner near 1 (or vice versa)
      if (matDabs(position.vec[k][l] - position.vec[i][l]) > 0.5) {
        if (position.vec[i][l] < position.vec[k][l]) {
          trimmed.position[j][l] += position.vec[i][l] + 1;
        } else {
          trimmed.position[j][l] += position.vec[i][l] - 1;
        }
      } else {
        trimmed.position[j][l] += position.vec[i][l];
      }
    }
  }

  const multi = Math.trunc(position.size / trimmed.size);
  for (let i = 0; i < trimmed.size; i++) {
    for (let j = 0; j < 3; j++) {
      trimmed.position[i][j] /= multi;
      trimmed.position[i][j] = matDmod1(trimmed.position[i][j]);
    }
  }
}

/** The cell's atoms in fractional coordinates of `trimmedLattice`, reduced by `mat_Dmod1`. */
function translateAtomsInTrimmedLattice(cell: Cell, trimmedLattice: Mat3): VecDBL {
  const position = matAllocVecDBL(cell.size);
  // precision 0: never null
  const tmp = matInverseMatrixD3(trimmedLattice, 0) as Mat3;
  const axisInv = matMultiplyMatrixD3(tmp, cell.lattice);
  for (let i = 0; i < cell.size; i++) {
    position.vec[i] = matMultiplyMatrixVectorD3(axisInv, cell.position[i]).map(matDmod1) as Vec3;
  }
  return position;
}

/**
 * For each atom, the first atom of the same type that it overlaps with in the trimmed lattice,
 * tuning the tolerance until each group has exactly `ratio` members. Null when that fails.
 */
function getOverlapTable(
  position: VecDBL,
  cellSize: number,
  cellTypes: number[],
  trimmed: Cell,
  symprec: number,
): number[] | null {
  let trimTolerance = symprec;
  const ratio = Math.trunc(cellSize / trimmed.size);
  const overlapTable = new Array<number>(cellSize).fill(0);

  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    for (let i = 0; i < cellSize; i++) {
      overlapTable[i] = i;
      for (let j = 0; j < cellSize; j++) {
        if (cellTypes[i] === cellTypes[j]) {
          if (celIsOverlap(position.vec[i], position.vec[j], trimmed.lattice, trimTolerance)) {
            if (overlapTable[j] === j) {
              overlapTable[i] = j;
              break;
            }
          }
        }
      }
    }

    let retry = false;
    for (let i = 0; i < cellSize; i++) {
      if (overlapTable[i] !== i) continue;
      let numOverlap = 0;
      for (let j = 0; j < cellSize; j++) {
        if (i === overlapTable[j]) numOverlap++;
      }
      if (numOverlap === ratio) continue;
      if (numOverlap < ratio) {
        trimTolerance *= INCREASE_RATE;
        retry = true;
        break;
      }
      if (numOverlap > ratio) {
        trimTolerance *= REDUCE_RATE;
        retry = true;
        break;
      }
    }
    if (!retry) return overlapTable;
  }
  return null;
}
