/**
 * The sorted-distance overlap checker that tests candidate space-group operations: spglib's
 * `overlap.c` (spglib by Atsushi Togo, BSD-3-Clause; see ./README.md) in TypeScript.
 *
 * Atoms are sorted by (type, squared Cartesian distance to the nearest lattice point); the
 * transformed atoms are sorted the same way, so matching partners sit at nearby indices and
 * the greedy match is cheap. Ties keep their index order (a stable sort, as glibc's merge-sort
 * `qsort`).
 *
 * @module
 */
import type { Cell, IMat3, Mat3, Vec3 } from "./types.ts";
import { celIsOverlapWithSameType } from "./cell.ts";
import { matCopyMatrixD3, matCopyVectorD3, matNint } from "./mathfunc.ts";

/** spglib `OverlapChecker`: the cell's atoms sorted by type, then distance to a lattice point. */
export interface OverlapChecker {
  size: number;
  lattice: Mat3;
  /** Positions of the cell in sorted order. */
  posSorted: Vec3[];
  /** Types of the cell in sorted order. */
  typesSorted: number[];
}

/** spglib `ovl_overlap_checker_init`: a checker for `cell` (null only for an empty cell). */
export function ovlOverlapCheckerInit(cell: Cell): OverlapChecker | null {
  if (cell.size < 1) return null;
  const lattice = matCopyMatrixD3(cell.lattice);
  const perm = argsortByLatticePointDistance(lattice, cell.position, cell.types, cell.size);
  return {
    size: cell.size,
    lattice,
    posSorted: perm.map((p) => matCopyVectorD3(cell.position[p])),
    typesSorted: perm.map((p) => cell.types[p]),
  };
}

/**
 * spglib `ovl_check_total_overlap`: 1 when x → rot·x + testTrans maps every atom of the cell
 * onto an atom of the same type within symprec (one-to-one), else 0. (spglib's -1 error value
 * for failed allocation never occurs.)
 */
export function ovlCheckTotalOverlap(
  checker: OverlapChecker,
  testTrans: Vec3,
  rot: IMat3,
  symprec: number,
  isIdentity: number | boolean,
): number {
  // a few atoms by brute force first: cheap rejection of bad translations
  if (!checkPossibleOverlap(checker, testTrans, rot, symprec)) return 0;

  const n = checker.size;
  const t0 = testTrans[0], t1 = testTrans[1], t2 = testTrans[2];
  const posTemp1: Vec3[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = checker.posSorted[i];
    let x: number, y: number, z: number;
    if (isIdentity) {
      x = p[0];
      y = p[1];
      z = p[2];
    } else {
      x = rot[0][0] * p[0] + rot[0][1] * p[1] + rot[0][2] * p[2];
      y = rot[1][0] * p[0] + rot[1][1] * p[1] + rot[1][2] * p[2];
      z = rot[2][0] * p[0] + rot[2][1] * p[1] + rot[2][2] * p[2];
    }
    posTemp1[i] = [x + t0, y + t1, z + t2];
  }

  const perm = argsortByLatticePointDistance(checker.lattice, posTemp1, checker.typesSorted, n);
  const posTemp2 = perm.map((p) => posTemp1[p]);

  return checkTotalOverlapForSorted(
    checker.lattice,
    checker.posSorted,
    posTemp2,
    checker.typesSorted,
    checker.typesSorted,
    n,
    symprec,
  );
}

/**
 * The permutation sorting atoms by type, then by squared Cartesian distance to the nearest
 * lattice point (each fractional coordinate reduced by `mat_Nint`); stable for ties.
 */
function argsortByLatticePointDistance(
  lattice: Mat3,
  positions: Vec3[],
  types: number[],
  size: number,
): number[] {
  const distance = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const p = positions[i];
    const d0 = p[0] - matNint(p[0]);
    const d1 = p[1] - matNint(p[1]);
    const d2 = p[2] - matNint(p[2]);
    const x = lattice[0][0] * d0 + lattice[0][1] * d1 + lattice[0][2] * d2;
    const y = lattice[1][0] * d0 + lattice[1][1] * d1 + lattice[1][2] * d2;
    const z = lattice[2][0] * d0 + lattice[2][1] * d1 + lattice[2][2] * d2;
    distance[i] = x * x + y * y + z * z;
  }
  const perm: number[] = new Array(size);
  for (let i = 0; i < size; i++) perm[i] = i;
  perm.sort((a, b) => {
    const ta = types[a], tb = types[b];
    let cmp = (tb < ta ? 1 : 0) - (ta < tb ? 1 : 0);
    if (!cmp) {
      const va = distance[a], vb = distance[b];
      cmp = (vb < va ? 1 : 0) - (va < vb ? 1 : 0);
    }
    return cmp;
  });
  return perm;
}

/** True when the first (up to) three sorted atoms are mapped onto some atom of the cell. */
function checkPossibleOverlap(
  checker: OverlapChecker,
  testTrans: Vec3,
  rot: IMat3,
  symprec: number,
): boolean {
  const maxSearchNum = 3;
  const searchNum = checker.size <= maxSearchNum ? checker.size : maxSearchNum;

  for (let iTest = 0; iTest < searchNum; iTest++) {
    const typeRot = checker.typesSorted[iTest];
    const p = checker.posSorted[iTest];
    const posRot: Vec3 = [
      rot[0][0] * p[0] + rot[0][1] * p[1] + rot[0][2] * p[2] + testTrans[0],
      rot[1][0] * p[0] + rot[1][1] * p[1] + rot[1][2] * p[2] + testTrans[1],
      rot[2][0] * p[0] + rot[2][1] * p[1] + rot[2][2] * p[2] + testTrans[2],
    ];
    let isFound = false;
    for (let i = 0; i < checker.size; i++) {
      if (
        celIsOverlapWithSameType(
          posRot,
          checker.posSorted[i],
          typeRot,
          checker.typesSorted[i],
          checker.lattice,
          symprec,
        )
      ) {
        isFound = true;
        break;
      }
    }
    if (!isFound) return false;
  }
  return true;
}

/** Greedy one-to-one matching of sorted original and transformed positions: 1 or 0. */
function checkTotalOverlapForSorted(
  lattice: Mat3,
  posOriginal: Vec3[],
  posRotated: Vec3[],
  typesOriginal: number[],
  typesRotated: number[],
  numPos: number,
  symprec: number,
): number {
  const found = new Uint8Array(numPos);
  let searchStart = 0;
  for (let iOrig = 0; iOrig < numPos; iOrig++) {
    // permanently skip filled positions at the start
    while (found[searchStart]) searchStart++;
    let iRot = searchStart;
    for (; iRot < numPos; iRot++) {
      if (found[iRot]) continue;
      if (
        celIsOverlapWithSameType(
          posOriginal[iOrig],
          posRotated[iRot],
          typesOriginal[iOrig],
          typesRotated[iRot],
          lattice,
          symprec,
        )
      ) {
        found[iRot] = 1;
        break;
      }
    }
    if (iRot === numPos) return 0;
  }
  return 1;
}
