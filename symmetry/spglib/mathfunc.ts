/**
 * 3×3 matrix and vector helpers: spglib's `mathfunc.c` (spglib by Atsushi Togo, BSD-3-Clause;
 * see ./README.md) in TypeScript.
 *
 * Matrices are row-major `m[i][j]`. Every function returns a fresh value; inputs are never
 * modified. Integer results are normalized so that no `-0` leaks out of a C `int` cast.
 *
 * @module
 */
import type { IMat3, Mat3, Vec3, VecDBL } from "./types.ts";

/** spglib `MatINT`: a list of integer 3×3 matrices. */
export interface MatINT {
  size: number;
  mat: IMat3[];
}

const ZERO_PREC = 1e-10;

/** C `(int)x` for doubles in int range: truncation toward zero, never `-0`. */
function cInt(x: number): number {
  return Math.trunc(x) + 0;
}

/** spglib `mat_get_determinant_d3`. */
export function matGetDeterminantD3(a: Mat3): number {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) +
    a[0][1] * (a[1][2] * a[2][0] - a[1][0] * a[2][2]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

/** spglib `mat_get_determinant_i3`. */
export function matGetDeterminantI3(a: IMat3): number {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) +
    a[0][1] * (a[1][2] * a[2][0] - a[1][0] * a[2][2]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

/** spglib `mat_get_trace_i3`. */
export function matGetTraceI3(a: IMat3): number {
  return a[0][0] + a[1][1] + a[2][2];
}

/** spglib `mat_copy_matrix_d3`: a fresh copy of `b`. */
export function matCopyMatrixD3(b: Mat3): Mat3 {
  return [[b[0][0], b[0][1], b[0][2]], [b[1][0], b[1][1], b[1][2]], [b[2][0], b[2][1], b[2][2]]];
}

/** spglib `mat_copy_matrix_i3`: a fresh copy of `b`. */
export function matCopyMatrixI3(b: IMat3): IMat3 {
  return [[b[0][0], b[0][1], b[0][2]], [b[1][0], b[1][1], b[1][2]], [b[2][0], b[2][1], b[2][2]]];
}

/** The vector [f(0), f(1), f(2)], f called in that order: a typed `[0, 1, 2].map(f)`. */
export function vec3(f: (i: number) => number): Vec3 {
  return [f(0), f(1), f(2)];
}

/** The matrix with rows f(0), f(1), f(2), f called in that order: a typed `[0, 1, 2].map(f)`. */
export function mat3(f: (i: number) => Vec3): Mat3 {
  return [f(0), f(1), f(2)];
}

/** spglib `mat_copy_vector_d3`: a fresh copy of `b`. */
export function matCopyVectorD3(b: Vec3): Vec3 {
  return [b[0], b[1], b[2]];
}

/** spglib `mat_check_identity_matrix_i3`: true when the integer matrices are equal. */
export function matCheckIdentityMatrixI3(a: IMat3, b: IMat3): boolean {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (a[i][j] - b[i][j]) return false;
    }
  }
  return true;
}

/** spglib `mat_check_identity_matrix_d3`: true when all elements differ by at most symprec. */
export function matCheckIdentityMatrixD3(a: Mat3, b: Mat3, symprec: number): boolean {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (matDabs(a[i][j] - b[i][j]) > symprec) return false;
    }
  }
  return true;
}

/** spglib `mat_check_identity_matrix_id3`: true when all elements differ by at most symprec. */
export function matCheckIdentityMatrixId3(a: IMat3, b: Mat3, symprec: number): boolean {
  return matCheckIdentityMatrixD3(a as Mat3, b, symprec);
}

function mul3(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): Mat3 {
  const c: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    }
  }
  return c;
}

function mulVec3(a: readonly (readonly number[])[], b: readonly number[]): Vec3 {
  return [
    a[0][0] * b[0] + a[0][1] * b[1] + a[0][2] * b[2],
    a[1][0] * b[0] + a[1][1] * b[1] + a[1][2] * b[2],
    a[2][0] * b[0] + a[2][1] * b[1] + a[2][2] * b[2],
  ];
}

/** spglib `mat_multiply_matrix_d3`: a·b. */
export function matMultiplyMatrixD3(a: Mat3, b: Mat3): Mat3 {
  return mul3(a, b);
}

/** spglib `mat_multiply_matrix_i3`: a·b. */
export function matMultiplyMatrixI3(a: IMat3, b: IMat3): IMat3 {
  return mul3(a, b);
}

/** spglib `mat_multiply_matrix_di3`: a·b with a double, b integer. */
export function matMultiplyMatrixDi3(a: Mat3, b: IMat3): Mat3 {
  return mul3(a, b);
}

/** spglib `mat_multiply_matrix_id3`: a·b with a integer, b double. */
export function matMultiplyMatrixId3(a: IMat3, b: Mat3): Mat3 {
  return mul3(a, b);
}

/** spglib `mat_multiply_matrix_vector_i3`: a·b. */
export function matMultiplyMatrixVectorI3(a: IMat3, b: number[]): number[] {
  return mulVec3(a, b);
}

/** spglib `mat_multiply_matrix_vector_d3`: a·b. */
export function matMultiplyMatrixVectorD3(a: Mat3, b: Vec3): Vec3 {
  return mulVec3(a, b);
}

/** spglib `mat_multiply_matrix_vector_id3`: a·b with a integer. */
export function matMultiplyMatrixVectorId3(a: IMat3, b: Vec3): Vec3 {
  return mulVec3(a, b);
}

/** spglib `mat_add_matrix_i3`: a+b. */
export function matAddMatrixI3(a: IMat3, b: IMat3): IMat3 {
  return a.map((row, i) => row.map((x, j) => x + b[i][j]));
}

/** spglib `mat_cast_matrix_3i_to_3d`: a copy as doubles. */
export function matCastMatrix3iTo3d(a: IMat3): Mat3 {
  return matCopyMatrixD3(a as Mat3);
}

/** spglib `mat_cast_matrix_3d_to_3i`: each element rounded with `mat_Nint`. */
export function matCastMatrix3dTo3i(a: Mat3): IMat3 {
  return a.map((row) => row.map(matNint));
}

/** spglib `mat_inverse_matrix_d3`: a⁻¹, or null when |det a| < precision. */
export function matInverseMatrixD3(a: Mat3, precision: number): Mat3 | null {
  const det = matGetDeterminantD3(a);
  if (matDabs(det) < precision) return null;
  const c: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  c[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
  c[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
  c[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
  c[0][1] = (a[2][1] * a[0][2] - a[2][2] * a[0][1]) / det;
  c[1][1] = (a[2][2] * a[0][0] - a[2][0] * a[0][2]) / det;
  c[2][1] = (a[2][0] * a[0][1] - a[2][1] * a[0][0]) / det;
  c[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
  c[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
  c[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
  return c;
}

/** spglib `mat_get_similar_matrix_d3`: b⁻¹·a·b, or null when b is singular. */
export function matGetSimilarMatrixD3(a: Mat3, b: Mat3, precision: number): Mat3 | null {
  const c = matInverseMatrixD3(b, precision);
  if (c === null) return null;
  return mul3(c, mul3(a, b));
}

/** spglib `mat_transpose_matrix_d3`: bᵀ. */
export function matTransposeMatrixD3(b: Mat3): Mat3 {
  return [[b[0][0], b[1][0], b[2][0]], [b[0][1], b[1][1], b[2][1]], [b[0][2], b[1][2], b[2][2]]];
}

/** spglib `mat_get_metric`: latticeᵀ·lattice (basis vectors as columns). */
export function matGetMetric(lattice: Mat3): Mat3 {
  return mul3(matTransposeMatrixD3(lattice), lattice);
}

/** spglib `mat_norm_squared_d3`. */
export function matNormSquaredD3(a: Vec3): number {
  return a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
}

/** spglib `mat_norm_squared_i3`. */
export function matNormSquaredI3(a: number[]): number {
  return a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
}

/** spglib `mat_cross_product_d3`: a×b. */
export function matCrossProductD3(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** spglib `mat_Dabs`. */
export function matDabs(a: number): number {
  return a < 0.0 ? -a : a;
}

/** spglib `mat_Nint`: nearest integer, halves away from zero (C `(int)(a ± 0.5)`). */
export function matNint(a: number): number {
  return a < 0.0 ? cInt(a - 0.5) : cInt(a + 0.5);
}

/** spglib `mat_Dmod1`: a modulo 1 in [0, 1), except values within 1e-10 below an integer stay negative. */
export function matDmod1(a: number): number {
  const b = a - matNint(a);
  return b < 0.0 - ZERO_PREC ? b + 1.0 : b;
}

/** spglib `mat_rem1`: a minus its nearest integer, in [-0.5, 0.5]. */
export function matRem1(a: number): number {
  return a - matNint(a);
}

/** spglib `mat_alloc_MatINT`: `size` zero matrices. */
export function matAllocMatINT(size: number): MatINT {
  const mat: IMat3[] = [];
  for (let i = 0; i < size; i++) mat.push([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  return { size, mat };
}

/** spglib `mat_alloc_VecDBL`: `size` zero vectors. */
export function matAllocVecDBL(size: number): VecDBL {
  const vec: Vec3[] = [];
  for (let i = 0; i < size; i++) vec.push([0, 0, 0]);
  return { size, vec };
}

/** spglib `mat_is_int_matrix`: true when every element is within symprec of an integer. */
export function matIsIntMatrix(mat: Mat3, symprec: number): boolean {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (matDabs(matNint(mat[i][j]) - mat[i][j]) > symprec) return false;
    }
  }
  return true;
}
