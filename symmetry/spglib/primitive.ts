/**
 * The primitive cell of a crystal: its pure translations, the smallest lattice they span
 * (Delaunay-reduced), the atoms trimmed into it, and the operations of a symmetry expressed in
 * that cell, with spglib's tolerance-reduction retries. Reimplements spglib 2.0.2's
 * `src/primitive.c` (Atsushi Togo, BSD-3-Clause; see ./README.md). Bulk crystals only.
 *
 * @module
 */
import type { Cell, IMat3, Mat3, Symmetry, Vec3, VecDBL } from "./types.ts";
import {
  matAllocVecDBL,
  matCastMatrix3dTo3i,
  matCastMatrix3iTo3d,
  matCheckIdentityMatrixI3,
  matCopyMatrixD3,
  matCopyMatrixI3,
  matCopyVectorD3,
  matDabs,
  matDmod1,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matInverseMatrixD3,
  matMultiplyMatrixD3,
  matMultiplyMatrixDi3,
  matMultiplyMatrixVectorD3,
  matNint,
} from "./mathfunc.ts";
import { celAllocCell, celTrimCell } from "./cell.ts";
import { delDelaunayReduce } from "./delaunay.ts";
import { symAllocSymmetry, symGetPureTranslation, symReducePureTranslation } from "./symmetry.ts";

/** Factor applied to the tolerance at each retry. */
const REDUCE_RATE = 0.95;
/** Retries of the primitive search. */
const NUM_ATTEMPT = 20;

const IDENTITY: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

/** spglib `Primitive`: a primitive cell and how the original atoms map onto it. */
export interface Primitive {
  /** The primitive cell (an empty 0-atom cell until found; spglib's NULL). */
  cell: Cell;
  /** For each atom of the original cell, the index of its atom in the primitive cell. */
  mappingTable: number[];
  /** Number of atoms of the original cell. */
  size: number;
  /** The (possibly reduced) tolerance the primitive cell was found with. */
  tolerance: number;
  /** The angle tolerance passed in (degrees; negative: metric test). */
  angleTolerance: number;
  /** Lattice of the original cell (columns); null until found (spglib's NULL). */
  origLattice: Mat3 | null;
}

/**
 * spglib `prm_alloc_primitive`: an empty primitive for `size` original atoms (mapping −1, a
 * 0-atom cell where spglib has a NULL cell, and a null original lattice).
 */
export function prmAllocPrimitive(size: number): Primitive {
  return {
    cell: { size: 0, lattice: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], types: [], position: [] },
    mappingTable: new Array<number>(Math.max(size, 0)).fill(-1),
    size,
    tolerance: 0,
    angleTolerance: -1.0,
    origLattice: null,
  };
}

/**
 * spglib `prm_get_primitive`: the primitive cell of `cell`, retrying with the tolerance
 * reduced by 0.95 up to 20 times; null on failure.
 */
export function prmGetPrimitive(cell: Cell, symprec: number, angleTolerance: number): Primitive | null {
  return getPrimitive(cell, symprec, angleTolerance);
}

/**
 * spglib `prm_get_primitive_with_pure_trans`: fills `primitive` (cell, mapping table,
 * tolerances, original lattice) from the pure translations `pureTrans` of `cell`; returns
 * `primitive`, or null on failure.
 */
export function prmGetPrimitiveWithPureTrans(
  primitive: Primitive,
  cell: Cell,
  pureTrans: VecDBL,
  symprec: number,
  angleTolerance: number,
): Primitive | null {
  if (pureTrans.size === 1) {
    const smallest = getCellWithSmallestLattice(cell, symprec);
    if (smallest === null) return null;
    primitive.cell = smallest;
    for (let i = 0; i < cell.size; i++) primitive.mappingTable[i] = i;
  } else {
    const found = getPrimitiveCell(cell, pureTrans, symprec, angleTolerance);
    if (found === null) return null;
    primitive.cell = found.cell;
    for (let i = 0; i < cell.size; i++) primitive.mappingTable[i] = found.mappingTable[i];
  }
  primitive.tolerance = symprec;
  primitive.angleTolerance = angleTolerance;
  primitive.origLattice = matCopyMatrixD3(cell.lattice);
  return primitive;
}

/**
 * spglib `prm_get_primitive_symmetry`: the operations of `symmetry` (given on some cell) as
 * operations of its primitive cell, one per rotation, and `tMat` taking coordinates of the
 * given cell to the primitive one (x_p = tMat·x); null on failure.
 */
export function prmGetPrimitiveSymmetry(
  symmetry: Symmetry,
  symprec: number,
): { tMat: Mat3; primSymmetry: Symmetry } | null {
  const pureTrans = collectPureTranslations(symmetry);
  if (pureTrans === null) return null;
  const primsymSize = Math.trunc(symmetry.size / pureTrans.size);

  // tMat⁻¹: the primitive lattice of the translations, in the given cell's coordinates
  const tMatInv = getPrimitiveInTranslationSpace(pureTrans, symmetry.size, symprec);
  if (tMatInv === null) return null;
  const tMat = matInverseMatrixD3(tMatInv, symprec);
  if (tMat === null) return null;

  const primSymmetry = collectPrimitiveSymmetry(symmetry, primsymSize);
  if (primSymmetry === null) return null;

  // R_p = T·R·T⁻¹, t_p = T·t
  for (let i = 0; i < primSymmetry.size; i++) {
    const tmp = matMultiplyMatrixD3(matMultiplyMatrixDi3(tMat, primSymmetry.rot[i]), tMatInv);
    primSymmetry.rot[i] = matCastMatrix3dTo3i(tmp);
    primSymmetry.trans[i] = matMultiplyMatrixVectorD3(tMat, primSymmetry.trans[i]);
  }
  return { tMat, primSymmetry };
}

/**
 * spglib `prm_get_primitive_lattice_vectors`: the Delaunay-reduced primitive lattice spanned
 * by the pure translations `pureTrans` of `cell`, and their number `multi` after any
 * tolerance reductions; null on failure.
 */
export function prmGetPrimitiveLatticeVectors(
  cell: Cell,
  pureTrans: VecDBL,
  symprec: number,
  angleTolerance: number,
): { primLattice: Mat3; multi: number } | null {
  return getPrimitiveLatticeVectors(cell, pureTrans, symprec, angleTolerance);
}

function getPrimitive(cell: Cell, symprec: number, angleTolerance: number): Primitive | null {
  const primitive = prmAllocPrimitive(cell.size);
  let tolerance = symprec;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    const pureTrans = symGetPureTranslation(cell, tolerance);
    if (pureTrans !== null) {
      if (prmGetPrimitiveWithPureTrans(primitive, cell, pureTrans, tolerance, angleTolerance) !== null) {
        return primitive;
      }
    }
    tolerance *= REDUCE_RATE;
  }
  return null;
}

/** The cell on its Delaunay-reduced lattice, positions wrapped into [0, 1); null on failure. */
function getCellWithSmallestLattice(cell: Cell, symprec: number): Cell | null {
  const minLat = delDelaunayReduce(cell.lattice, symprec);
  if (minLat === null) return null;

  const invLat = matInverseMatrixD3(minLat, 0)!;
  const transMat = matMultiplyMatrixD3(invLat, cell.lattice);

  const smallest = celAllocCell(cell.size);
  if (smallest === null) return null;
  smallest.lattice = matCopyMatrixD3(minLat);
  for (let i = 0; i < cell.size; i++) {
    smallest.types[i] = cell.types[i];
    smallest.position[i] = matMultiplyMatrixVectorD3(transMat, cell.position[i]).map(matDmod1) as Vec3;
  }
  return smallest;
}

/** The primitive cell spanned by the pure translations, with the atom mapping; null on failure. */
function getPrimitiveCell(
  cell: Cell,
  pureTrans: VecDBL,
  symprec: number,
  angleTolerance: number,
): { cell: Cell; mappingTable: number[] } | null {
  const found = getPrimitiveLatticeVectors(cell, pureTrans, symprec, angleTolerance);
  if (found === null) return null;
  return celTrimCell(found.primLattice, cell, symprec);
}

function getPrimitiveLatticeVectors(
  cell: Cell,
  pureTrans: VecDBL,
  symprec: number,
  angleTolerance: number,
): { primLattice: Mat3; multi: number } | null {
  let tolerance = symprec;
  let pureTransReduced: VecDBL = { size: pureTrans.size, vec: pureTrans.vec.map((v) => matCopyVectorD3(v)) };

  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    const multi = pureTransReduced.size;
    const vectors = getTranslationCandidates(pureTransReduced);

    const primLattice = findPrimitiveLatticeVectors(vectors, cell, tolerance);
    if (primLattice !== null) {
      // reduced with the tolerance passed in, not the reduced one
      const reduced = delDelaunayReduce(primLattice, symprec);
      if (reduced === null) return null;
      return { primLattice: reduced, multi };
    }

    const next = symReducePureTranslation(cell, pureTransReduced, tolerance, angleTolerance);
    if (next === null) return null;
    pureTransReduced = next;
    tolerance *= REDUCE_RATE;
  }
  return null;
}

/**
 * The first triple of candidate vectors (in index order) spanning a cell whose volume is the
 * original's divided by the number of pure translations, as lattice columns; null if none.
 */
function findPrimitiveLatticeVectors(vectors: VecDBL, cell: Cell, symprec: number): Mat3 | null {
  const size = vectors.size;
  const initialVolume = matDabs(matGetDeterminantD3(cell.lattice));

  let minVectors: Vec3[] | null = null;
  search: for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      for (let k = j + 1; k < size; k++) {
        const tmpLattice: Mat3 = [
          matMultiplyMatrixVectorD3(cell.lattice, vectors.vec[i]),
          matMultiplyMatrixVectorD3(cell.lattice, vectors.vec[j]),
          matMultiplyMatrixVectorD3(cell.lattice, vectors.vec[k]),
        ];
        const volume = matDabs(matGetDeterminantD3(tmpLattice));
        if (volume > symprec && matNint(initialVolume / volume) === size - 2) {
          minVectors = [vectors.vec[i], vectors.vec[j], vectors.vec[k]];
          break search;
        }
      }
    }
  }
  if (minVectors === null) return null;

  let relativeLattice: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) relativeLattice[j][i] = minVectors[i][j];
  }

  // clean the relative lattice through its integer inverse when that has the right determinant
  const invMatDbl = matInverseMatrixD3(relativeLattice, 0)!;
  const invMatInt = matCastMatrix3dTo3i(invMatDbl);
  if (Math.abs(matGetDeterminantI3(invMatInt)) === size - 2) {
    relativeLattice = matInverseMatrixD3(matCastMatrix3iTo3d(invMatInt), 0)!;
  }
  return matMultiplyMatrixD3(cell.lattice, relativeLattice);
}

/** The non-zero pure translations followed by the three unit lattice vectors. */
function getTranslationCandidates(pureTrans: VecDBL): VecDBL {
  const multi = pureTrans.size;
  const vectors = matAllocVecDBL(multi + 2);
  for (let i = 0; i < multi - 1; i++) vectors.vec[i] = matCopyVectorD3(pureTrans.vec[i + 1]);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) vectors.vec[i + multi - 1][j] = i === j ? 1 : 0;
  }
  return vectors;
}

/** Translations of the operations whose rotation is the identity, in order. */
function collectPureTranslations(symmetry: Symmetry): VecDBL | null {
  const vec: Vec3[] = [];
  for (let i = 0; i < symmetry.size; i++) {
    if (matCheckIdentityMatrixI3(symmetry.rot[i], IDENTITY)) vec.push(matCopyVectorD3(symmetry.trans[i]));
  }
  if (vec.length < 1) return null;
  return { size: vec.length, vec };
}

/** The primitive lattice of the pure translations on a unit cube (= T⁻¹); null on failure. */
function getPrimitiveInTranslationSpace(
  pureTrans: VecDBL,
  symmetrySize: number,
  symprec: number,
): Mat3 | null {
  const cell = celAllocCell(pureTrans.size);
  if (cell === null) return null;

  const primsymSize = Math.trunc(symmetrySize / pureTrans.size);
  if (symmetrySize !== primsymSize * pureTrans.size) return null;

  for (let i = 0; i < pureTrans.size; i++) {
    cell.types[i] = 1;
    cell.position[i] = matCopyVectorD3(pureTrans.vec[i]);
  }
  cell.lattice = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

  const primitive = getPrimitive(cell, symprec, -1.0);
  if (primitive === null || primitive.cell.size !== 1) return null;
  return matCopyMatrixD3(primitive.cell.lattice);
}

/** The first operation of each distinct rotation, in order; null unless there are `primsymSize`. */
function collectPrimitiveSymmetry(symmetry: Symmetry, primsymSize: number): Symmetry | null {
  const primSymmetry = symAllocSymmetry(primsymSize);
  if (primSymmetry === null) return null;

  let numPsym = 1;
  primSymmetry.rot[0] = matCopyMatrixI3(symmetry.rot[0]);
  primSymmetry.trans[0] = matCopyVectorD3(symmetry.trans[0]);
  for (let i = 1; i < symmetry.size; i++) {
    let isFound = true;
    for (let j = 0; j < numPsym; j++) {
      if (matCheckIdentityMatrixI3(primSymmetry.rot[j], symmetry.rot[i])) {
        isFound = false;
        break;
      }
    }
    if (isFound) {
      if (numPsym === primsymSize) return null;
      primSymmetry.rot[numPsym] = matCopyMatrixI3(symmetry.rot[i]);
      primSymmetry.trans[numPsym] = matCopyVectorD3(symmetry.trans[i]);
      numPsym++;
    }
  }
  if (numPsym !== primsymSize) return null;
  return primSymmetry;
}
