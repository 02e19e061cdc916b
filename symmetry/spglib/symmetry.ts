/**
 * Space-group operations of a crystal: the lattice point group (with spglib's metric and angle
 * tests), the translations that go with each rotation (via the overlap checker), and the
 * reduction of operation sets, in spglib's order. Reimplements spglib 2.0.2's `src/symmetry.c`
 * (Atsushi Togo, BSD-3-Clause; see ./README.md). Bulk crystals only (no layer groups).
 *
 * @module
 */
import type { Cell, IMat3, Mat3, PointSymmetry, Symmetry, Vec3, VecDBL } from "./types.ts";
import {
  matAllocVecDBL,
  matCastMatrix3dTo3i,
  matCastMatrix3iTo3d,
  matCheckIdentityMatrixI3,
  matCopyMatrixI3,
  matCopyVectorD3,
  matDabs,
  matDmod1,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matGetMetric,
  matGetSimilarMatrixD3,
  matInverseMatrixD3,
  matIsIntMatrix,
  matMultiplyMatrixD3,
  matMultiplyMatrixVectorId3,
  vec3,
} from "./mathfunc.ts";
import { celIsOverlapWithSameType } from "./cell.ts";
import { type OverlapChecker, ovlCheckTotalOverlap, ovlOverlapCheckerInit } from "./overlap.ts";
import { delDelaunayReduce } from "./delaunay.ts";

/** Factor applied to a positive angle tolerance when too many lattice symmetries are found. */
const ANGLE_REDUCE_RATE = 0.95;
/** Attempts of the lattice point-group search. */
const NUM_ATTEMPT = 100;
/** π as spglib spells it. */
const PI = 3.14159265358979323846;

/** Candidate images of a basis vector (spglib's 26 `relative_axes`, in spglib's order). */
const RELATIVE_AXES: readonly (readonly number[])[] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [-1, 0, 0],
  [0, -1, 0],
  [0, 0, -1],
  [0, 1, 1],
  [1, 0, 1],
  [1, 1, 0],
  [0, -1, -1],
  [-1, 0, -1],
  [-1, -1, 0],
  [0, 1, -1],
  [-1, 0, 1],
  [1, -1, 0],
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
  [1, 1, 1],
  [-1, -1, -1],
  [-1, 1, 1],
  [1, -1, 1],
  [1, 1, -1],
  [1, -1, -1],
  [-1, 1, -1],
  [-1, -1, 1],
];

const IDENTITY: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

/** Module-level angle tolerance of `sym_set_angle_tolerance` (degrees; negative: metric test). */
let angleTolerance = -1.0;

/** spglib `sym_set_angle_tolerance`: stores a module-level angle tolerance (degrees). */
export function symSetAngleTolerance(tolerance: number): void {
  angleTolerance = tolerance;
}

/** spglib `sym_get_angle_tolerance`: the module-level angle tolerance (initially -1). */
export function symGetAngleTolerance(): number {
  return angleTolerance;
}

/** spglib `sym_alloc_symmetry`: `size` zero operations, or null when size < 1. */
export function symAllocSymmetry(size: number): Symmetry | null {
  if (size < 1) return null;
  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (let i = 0; i < size; i++) {
    rot.push([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    trans.push([0, 0, 0]);
  }
  return { size, rot, trans };
}

/**
 * spglib `sym_get_operation`: the space-group operations of `primitive` (rotations of its
 * lattice point group, each with every translation that maps the crystal onto itself), or
 * null on failure. `angleTolerance` in degrees; negative selects spglib's metric-only test.
 */
export function symGetOperation(primitive: Cell, symprec: number, angleTolerance: number): Symmetry | null {
  return getOperations(primitive, symprec, angleTolerance);
}

/**
 * spglib `sym_reduce_operation`: the operations of `symmetry` that survive the lattice point
 * group and the full overlap check at `symprec`, ordered by lattice rotation; null on failure.
 */
export function symReduceOperation(
  primitive: Cell,
  symmetry: Symmetry,
  symprec: number,
  angleTolerance: number,
): Symmetry | null {
  return reduceOperation(primitive, symmetry, symprec, angleTolerance, false);
}

/** spglib `sym_get_pure_translation`: the lattice translations of `cell` that map it onto itself. */
export function symGetPureTranslation(cell: Cell, symprec: number): VecDBL | null {
  // spglib only warns when cell.size is not a multiple of the count
  return getTranslation(IDENTITY, cell, symprec, true);
}

/**
 * spglib `sym_reduce_pure_translation`: the pure translations of `pureTrans` that still map
 * `cell` onto itself at `symprec`; null on failure.
 */
export function symReducePureTranslation(
  cell: Cell,
  pureTrans: VecDBL,
  symprec: number,
  angleTolerance: number,
): VecDBL | null {
  const multi = pureTrans.size;
  const symmetry = symAllocSymmetry(multi);
  if (symmetry === null) return null;
  for (let i = 0; i < multi; i++) {
    symmetry.rot[i] = matCopyMatrixI3(IDENTITY);
    symmetry.trans[i] = matCopyVectorD3(pureTrans.vec[i]);
  }
  const reduced = reduceOperation(cell, symmetry, symprec, angleTolerance, true);
  if (reduced === null) return null;
  const out = matAllocVecDBL(reduced.size);
  for (let i = 0; i < reduced.size; i++) out.vec[i] = matCopyVectorD3(reduced.trans[i]);
  return out;
}

function getOperations(primitive: Cell, symprec: number, angleSymprec: number): Symmetry | null {
  const latticeSym = getLatticeSymmetry(primitive, symprec, angleSymprec);
  if (latticeSym.size === 0) return null;
  return getSpaceGroupOperations(latticeSym, primitive, symprec);
}

function reduceOperation(
  primitive: Cell,
  symmetry: Symmetry,
  symprec: number,
  angleSymprec: number,
  isPureTrans: boolean,
): Symmetry | null {
  let pointSymmetry: PointSymmetry;
  if (isPureTrans) {
    pointSymmetry = { size: 1, rot: [matCopyMatrixI3(IDENTITY)] };
  } else {
    pointSymmetry = getLatticeSymmetry(primitive, symprec, angleSymprec);
    if (pointSymmetry.size === 0) return null;
  }

  const rot: IMat3[] = [];
  const trans: Vec3[] = [];
  for (let i = 0; i < pointSymmetry.size; i++) {
    for (let j = 0; j < symmetry.size; j++) {
      if (!matCheckIdentityMatrixI3(pointSymmetry.rot[i], symmetry.rot[j])) continue;
      if (isOverlapAllAtoms(symmetry.trans[j], symmetry.rot[j], primitive, symprec, false) === 1) {
        rot.push(matCopyMatrixI3(symmetry.rot[j]));
        trans.push(matCopyVectorD3(symmetry.trans[j]));
      }
    }
  }

  const reduced = symAllocSymmetry(rot.length);
  if (reduced === null) return null;
  reduced.rot = rot;
  reduced.trans = trans;
  return reduced;
}

/** Translations t with rot·x + t mapping the crystal onto itself, or null when none. */
function getTranslation(rot: IMat3, cell: Cell, symprec: number, isIdentity: boolean): VecDBL | null {
  const isFound = new Array<boolean>(cell.size).fill(false);
  const minAtomIndex = getIndexWithLeastAtoms(cell);
  if (minAtomIndex === -1) return null;

  // the image of the rarest atom is the origin the translations are measured from
  const origin = matMultiplyMatrixVectorId3(rot, cell.position[minAtomIndex]);

  const numTrans = searchTranslationPart(isFound, cell, rot, minAtomIndex, origin, symprec, isIdentity);
  if (numTrans === -1 || numTrans === 0) return null;

  const trans = matAllocVecDBL(numTrans);
  let k = 0;
  for (let i = 0; i < cell.size; i++) {
    if (!isFound[i]) continue;
    for (let j = 0; j < 3; j++) trans.vec[k][j] = matDmod1(cell.position[i][j] - origin[j]);
    k++;
  }
  return trans;
}

/** Marks in `atomsFound` each atom whose offset from `origin` is a symmetry translation; -1 on failure. */
function searchTranslationPart(
  atomsFound: boolean[],
  cell: Cell,
  rot: IMat3,
  minAtomIndex: number,
  origin: Vec3,
  symprec: number,
  isIdentity: boolean,
): number {
  const checker: OverlapChecker | null = ovlOverlapCheckerInit(cell);
  if (checker === null) return -1;

  let numTrans = 0;
  for (let i = 0; i < cell.size; i++) {
    if (atomsFound[i]) continue;
    if (cell.types[i] !== cell.types[minAtomIndex]) continue;

    const trans = vec3((j) => cell.position[i][j] - origin[j]);
    const isOverlap = ovlCheckTotalOverlap(checker, trans, rot, symprec, isIdentity ? 1 : 0);
    if (isOverlap === -1) return -1;
    if (isOverlap) {
      atomsFound[i] = true;
      numTrans++;
      if (isIdentity) numTrans += searchPureTranslations(atomsFound, cell, trans, symprec);
    }
  }
  return numTrans;
}

/** Follows the chains atom → atom + trans from each found atom, marking the atoms reached. */
function searchPureTranslations(atomsFound: boolean[], cell: Cell, trans: Vec3, symprec: number): number {
  let numTrans = 0;
  const copyAtomsFound = atomsFound.slice();

  for (let initialAtom = 0; initialAtom < cell.size; initialAtom++) {
    if (!copyAtomsFound[initialAtom]) continue;

    let iAtom = initialAtom;
    for (let i = 0; i < cell.size; i++) {
      const vec = vec3((j) => cell.position[iAtom][j] + trans[j]);
      for (let j = 0; j < cell.size; j++) {
        if (
          celIsOverlapWithSameType(
            vec,
            cell.position[j],
            cell.types[iAtom],
            cell.types[j],
            cell.lattice,
            symprec,
          )
        ) {
          if (!atomsFound[j]) {
            atomsFound[j] = true;
            numTrans++;
          }
          iAtom = j;
          break;
        }
      }
      if (iAtom === initialAtom) break;
    }
  }
  return numTrans;
}

/** 1 when (rot, trans) maps every atom onto an atom of its type, 0 when not, -1 on failure. */
function isOverlapAllAtoms(
  trans: Vec3,
  rot: IMat3,
  cell: Cell,
  symprec: number,
  isIdentity: boolean,
): number {
  const checker = ovlOverlapCheckerInit(cell);
  if (checker === null) return -1;
  return ovlCheckTotalOverlap(checker, trans, rot, symprec, isIdentity ? 1 : 0);
}

/** Index of the first atom of the type with the fewest atoms (the earliest such type wins ties). */
function getIndexWithLeastAtoms(cell: Cell): number {
  const mapping = new Array<number>(cell.size).fill(0);
  for (let i = 0; i < cell.size; i++) {
    for (let j = 0; j < cell.size; j++) {
      if (cell.types[i] === cell.types[j]) {
        mapping[j]++;
        break;
      }
    }
  }
  let min = mapping[0];
  let minIndex = 0;
  for (let i = 0; i < cell.size; i++) {
    if (min > mapping[i] && mapping[i] > 0) {
      min = mapping[i];
      minIndex = i;
    }
  }
  return minIndex;
}

function getSpaceGroupOperations(
  latticeSym: PointSymmetry,
  primitive: Cell,
  symprec: number,
): Symmetry | null {
  const trans: (VecDBL | null)[] = [];
  let totalNumSym = 0;
  for (let i = 0; i < latticeSym.size; i++) {
    trans[i] = getTranslation(latticeSym.rot[i], primitive, symprec, false);
    if (trans[i] !== null) totalNumSym += trans[i]!.size;
  }

  const symmetry = symAllocSymmetry(totalNumSym);
  if (symmetry === null) return null;

  let numSym = 0;
  for (let i = 0; i < latticeSym.size; i++) {
    const t = trans[i];
    if (t === null) continue;
    for (let j = 0; j < t.size; j++) {
      symmetry.trans[numSym + j] = matCopyVectorD3(t.vec[j]);
      symmetry.rot[numSym + j] = matCopyMatrixI3(latticeSym.rot[i]);
    }
    numSym += t.size;
  }
  return symmetry;
}

/** The point group of the lattice of `cell` (size 0 on failure), in spglib's search order. */
function getLatticeSymmetry(cell: Cell, symprec: number, angleSymprec: number): PointSymmetry {
  const failed: PointSymmetry = { size: 0, rot: [] };

  const minLattice = delDelaunayReduce(cell.lattice, symprec);
  if (minLattice === null) return failed;

  const metricOrig = matGetMetric(minLattice);
  let angleTol = angleSymprec;

  // Column a of minLattice·axes is minLattice·RELATIVE_AXES[a], and the metric of
  // minLattice·axes is made of dot products of such columns: computed once, in the same
  // floating-point order as mat_multiply_matrix_di3 and mat_get_metric.
  const cols = RELATIVE_AXES.map((ax) =>
    [0, 1, 2].map((r) => minLattice[r][0] * ax[0] + minLattice[r][1] * ax[1] + minLattice[r][2] * ax[2])
  );
  const dots = cols.map((a) => cols.map((b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2]));
  // an axis whose length differs from the original's by more than symprec never passes
  const lengthOk = [0, 1, 2].map((p) =>
    dots.map((_, a) => matDabs(Math.sqrt(metricOrig[p][p]) - Math.sqrt(dots[a][a])) <= symprec)
  );

  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    const rot: IMat3[] = [];
    let tooMany = false;
    search: for (let i = 0; i < 26; i++) {
      if (!lengthOk[0][i]) continue;
      for (let j = 0; j < 26; j++) {
        if (!lengthOk[1][j]) continue;
        for (let k = 0; k < 26; k++) {
          if (!lengthOk[2][k]) continue;
          const axes = setAxes(i, j, k);
          const det = matGetDeterminantI3(axes);
          if (!(det === 1 || det === -1)) continue;
          const metric: Mat3 = [
            [dots[i][i], dots[i][j], dots[i][k]],
            [dots[j][i], dots[j][j], dots[j][k]],
            [dots[k][i], dots[k][j], dots[k][k]],
          ];
          if (isIdentityMetric(metric, metricOrig, symprec, angleTol)) {
            if (rot.length > 47) {
              if (angleTol > 0) angleTol *= ANGLE_REDUCE_RATE;
              tooMany = true;
              break search;
            }
            rot.push(axes);
          }
        }
      }
    }
    if (tooMany) continue;

    if (rot.length < 49 || angleTol < 0) {
      return transformPointsymmetry({ size: rot.length, rot }, cell.lattice, minLattice);
    }
  }
  return failed;
}

/** True when the rotated metric equals the original within symprec (and the angle test). */
function isIdentityMetric(
  metricRotated: Mat3,
  metricOrig: Mat3,
  symprec: number,
  angleSymprec: number,
): boolean {
  const elemSets = [[0, 1], [0, 2], [1, 2]];
  const lengthOrig = [0, 0, 0];
  const lengthRot = [0, 0, 0];

  for (let i = 0; i < 3; i++) {
    lengthOrig[i] = Math.sqrt(metricOrig[i][i]);
    lengthRot[i] = Math.sqrt(metricRotated[i][i]);
    if (matDabs(lengthOrig[i] - lengthRot[i]) > symprec) return false;
  }

  for (let i = 0; i < 3; i++) {
    const j = elemSets[i][0];
    const k = elemSets[i][1];
    if (angleSymprec > 0) {
      if (matDabs(getAngle(metricOrig, j, k) - getAngle(metricRotated, j, k)) > angleSymprec) return false;
    } else {
      // sin²(θ1 − θ2) from the two cosines, scaled by the mean lengths, against symprec²
      const cos1 = metricOrig[j][k] / lengthOrig[j] / lengthOrig[k];
      const cos2 = metricRotated[j][k] / lengthRot[j] / lengthRot[k];
      const x = cos1 * cos2 + Math.sqrt(1 - cos1 * cos1) * Math.sqrt(1 - cos2 * cos2);
      const sinDtheta2 = 1 - x * x;
      const lengthAve2 = ((lengthOrig[j] + lengthRot[j]) * (lengthOrig[k] + lengthRot[k])) / 4;
      if (sinDtheta2 > 1e-12) {
        if (sinDtheta2 * lengthAve2 > symprec * symprec) return false;
      }
    }
  }
  return true;
}

/** Angle (degrees) between basis vectors i and j of a metric. */
function getAngle(metric: Mat3, i: number, j: number): number {
  const lengthI = Math.sqrt(metric[i][i]);
  const lengthJ = Math.sqrt(metric[j][j]);
  return Math.acos(metric[i][j] / lengthI / lengthJ) / PI * 180;
}

/**
 * The point operations found on `originalLattice`, rewritten for `newLattice`; operations that
 * are not integer there are dropped (size 0 when one is not unimodular).
 */
function transformPointsymmetry(
  latSymOrig: PointSymmetry,
  newLattice: Mat3,
  originalLattice: Mat3,
): PointSymmetry {
  const invMat = matInverseMatrixD3(originalLattice, 0)!;
  const transMat = matMultiplyMatrixD3(invMat, newLattice);
  const tolerance = matDabs(matGetDeterminantD3(transMat)) / 10;

  const rot: IMat3[] = [];
  for (let i = 0; i < latSymOrig.size; i++) {
    const drot = matGetSimilarMatrixD3(matCastMatrix3iTo3d(latSymOrig.rot[i]), transMat, 0)!;
    if (matIsIntMatrix(drot, tolerance)) {
      const r = matCastMatrix3dTo3i(drot);
      if (Math.abs(matGetDeterminantI3(r)) !== 1) return { size: 0, rot: [] };
      rot.push(r);
    }
  }
  return { size: rot.length, rot };
}

/** Matrix whose columns are the relative axes a1, a2, a3. */
function setAxes(a1: number, a2: number, a3: number): IMat3 {
  const axes: IMat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) axes[i][0] = RELATIVE_AXES[a1][i];
  for (let i = 0; i < 3; i++) axes[i][1] = RELATIVE_AXES[a2][i];
  for (let i = 0; i < 3; i++) axes[i][2] = RELATIVE_AXES[a3][i];
  return axes;
}
