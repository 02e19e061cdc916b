/**
 * Delaunay reduction of a lattice: spglib 2.0.2's `delaunay.c` (spglib by Atsushi Togo,
 * BSD-3-Clause; see ./README.md) in TypeScript. Bulk crystals only.
 *
 * The reduced basis decides spglib's primitive cell and, downstream, the standardized setting,
 * so the superbase loop, its tolerances, the search set and its bubble-sort order follow spglib
 * exactly. Lattices hold the basis vectors as columns.
 *
 * @module
 */
import type { Mat3, Vec3 } from "./types.ts";
import {
  mat3,
  matCastMatrix3dTo3i,
  matCopyVectorD3,
  matDabs,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matInverseMatrixD3,
  matMultiplyMatrixD3,
  matNormSquaredD3,
  vec3,
} from "./mathfunc.ts";

/** Superbase reduction steps tried before giving up. */
const NUM_ATTEMPT = 100;
/** Slack in the length comparisons of the bubble sort. */
const ZERO_PREC = 1e-10;

/** spglib `del_delaunay_reduce`: the Delaunay-reduced, right-handed basis, or null on failure. */
export function delDelaunayReduce(lattice: Mat3, symprec: number): Mat3 | null {
  const basis = extendedBasis(lattice);

  let succeeded = false;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    succeeded = reduceBasis(basis, symprec);
    if (succeeded) break;
  }
  if (!succeeded) return null;

  shortestVectors(basis, symprec);

  const red: Mat3 = mat3((i) => [basis[0][i], basis[1][i], basis[2][i]]);
  const volume = matGetDeterminantD3(red);
  if (matDabs(volume) < symprec) return null;
  if (volume < 0) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) red[i][j] = -red[i][j];
    }
  }

  const inv = matInverseMatrixD3(red, symprec);
  if (inv === null) return null;
  const tmat = matCastMatrix3dTo3i(matMultiplyMatrixD3(inv, lattice));
  if (Math.abs(matGetDeterminantI3(tmat)) !== 1) return null;
  return red;
}

/**
 * spglib `del_delaunay_reduce_2D`: reduce the two basis vectors other than column `uniqueAxis`
 * (kept as it is, or flipped to make the basis right-handed), or null on failure.
 */
export function delDelaunayReduce2D(lattice: Mat3, uniqueAxis: number, symprec: number): Mat3 | null {
  const uniqueVec: Vec3 = [lattice[0][uniqueAxis], lattice[1][uniqueAxis], lattice[2][uniqueAxis]];
  const others: number[] = [0, 1, 2].filter((i) => i !== uniqueAxis);
  const b0: Vec3 = vec3((j) => lattice[j][others[0]]);
  const b1: Vec3 = vec3((j) => lattice[j][others[1]]);
  const basis: Vec3[] = [b0, b1, vec3((j) => -b0[j] - b1[j])];

  let succeeded = false;
  for (let attempt = 0; attempt < NUM_ATTEMPT; attempt++) {
    succeeded = reduceBasis2D(basis, symprec);
    if (succeeded) break;
  }
  if (!succeeded) return null;

  shortestVectors2D(basis, uniqueVec, symprec);

  const red: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let k = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) red[j][i] = i === uniqueAxis ? lattice[j][i] : basis[k][j];
    if (i !== uniqueAxis) k++;
  }

  const volume = matGetDeterminantD3(red);
  if (matDabs(volume) < symprec) return null;
  if (volume < 0) {
    for (let i = 0; i < 3; i++) red[i][uniqueAxis] = -red[i][uniqueAxis];
  }
  return red;
}

/** The superbase b1, b2, b3, b4 = -(b1 + b2 + b3) as rows. */
function extendedBasis(lattice: Mat3): Vec3[] {
  const basis: Vec3[] = [0, 1, 2].map((i) => [lattice[0][i], lattice[1][i], lattice[2][i]]);
  basis.push(vec3((i) => -lattice[i][0] - lattice[i][1] - lattice[i][2]));
  return basis;
}

function dot(a: Vec3, b: Vec3): number {
  let s = 0.0;
  for (let k = 0; k < 3; k++) s += a[k] * b[k];
  return s;
}

/**
 * One Selling step on the superbase, in place: at the first pair (i, j) with b_i·b_j > symprec,
 * add b_i to the two other vectors, negate b_i and report false; true when all pairs are obtuse.
 */
function reduceBasis(basis: Vec3[], symprec: number): boolean {
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      if (dot(basis[i], basis[j]) > symprec) {
        for (let k = 0; k < 4; k++) {
          if (k === i || k === j) continue;
          for (let l = 0; l < 3; l++) basis[k][l] += basis[i][l];
        }
        for (let k = 0; k < 3; k++) basis[i][k] = -basis[i][k];
        return false;
      }
    }
  }
  return true;
}

/** Bubble-sort `b` by length (ties within ZERO_PREC keep their order), in place. */
function bubbleSort(b: Vec3[], from: number, passes: number, last: number): void {
  for (let i = from; i < passes; i++) {
    for (let j = from; j < last; j++) {
      if (matNormSquaredD3(b[j]) > matNormSquaredD3(b[j + 1]) + ZERO_PREC) {
        const tmp = b[j];
        b[j] = b[j + 1];
        b[j + 1] = tmp;
      }
    }
  }
}

/**
 * Pick the basis from {b1, b2, b1+b2, b3, b4, b2+b3, b3+b1} sorted by length (in this order, as
 * spglib 2.0.2 lists them, so that equal lengths keep it): the two shortest and the next one that
 * spans a volume above symprec; written into basis[0..2].
 */
function shortestVectors(basis: Vec3[], symprec: number): void {
  const add = (x: Vec3, y: Vec3): Vec3 => [x[0] + y[0], x[1] + y[1], x[2] + y[2]];
  const b: Vec3[] = [
    matCopyVectorD3(basis[0]),
    matCopyVectorD3(basis[1]),
    add(basis[0], basis[1]),
    matCopyVectorD3(basis[2]),
    matCopyVectorD3(basis[3]),
    add(basis[1], basis[2]),
    add(basis[2], basis[0]),
  ];
  bubbleSort(b, 0, 6, 6);
  for (let i = 2; i < 7; i++) {
    const m: Mat3 = mat3((j) => [b[0][j], b[1][j], b[i][j]]);
    if (matDabs(matGetDeterminantD3(m)) > symprec) {
      basis[0] = matCopyVectorD3(b[0]);
      basis[1] = matCopyVectorD3(b[1]);
      basis[2] = matCopyVectorD3(b[i]);
      break;
    }
  }
}

/** The 2D Selling step on b1, b2, b3 = -(b1 + b2), in place; true when nothing changed. */
function reduceBasis2D(basis: Vec3[], symprec: number): boolean {
  for (let i = 0; i < 3; i++) {
    for (let j = i + 1; j < 3; j++) {
      if (dot(basis[i], basis[j]) > symprec) {
        for (let k = 0; k < 3; k++) {
          if (k === i || k === j) continue;
          for (let l = 0; l < 3; l++) basis[k][l] += 2 * basis[i][l];
          break;
        }
        for (let k = 0; k < 3; k++) basis[i][k] = -basis[i][k];
        return false;
      }
    }
  }
  return true;
}

/**
 * Pick two in-plane vectors from {b1, b2, b3, b1+b2} sorted by length: the shortest and the
 * next one that, with the unique axis, spans a volume above symprec; written into basis[0..1].
 */
function shortestVectors2D(basis: Vec3[], uniqueVec: Vec3, symprec: number): void {
  const b: Vec3[] = [
    matCopyVectorD3(basis[0]),
    matCopyVectorD3(basis[1]),
    matCopyVectorD3(basis[2]),
    [basis[0][0] + basis[1][0], basis[0][1] + basis[1][1], basis[0][2] + basis[1][2]],
  ];
  bubbleSort(b, 0, 3, 3);
  for (let i = 1; i < 4; i++) {
    const m: Mat3 = mat3((j) => [b[0][j], uniqueVec[j], b[i][j]]);
    if (matDabs(matGetDeterminantD3(m)) > symprec) {
      basis[0] = matCopyVectorD3(b[0]);
      basis[1] = matCopyVectorD3(b[i]);
      break;
    }
  }
}
