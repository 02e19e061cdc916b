import assert from "node:assert/strict";
import type { Mat3 } from "./types.ts";
import {
  mat3,
  matAddMatrixI3,
  matAllocMatINT,
  matAllocVecDBL,
  matCastMatrix3dTo3i,
  matCheckIdentityMatrixD3,
  matCheckIdentityMatrixI3,
  matCheckIdentityMatrixId3,
  matCrossProductD3,
  matDabs,
  matDmod1,
  matGetDeterminantD3,
  matGetDeterminantI3,
  matGetMetric,
  matGetSimilarMatrixD3,
  matGetTraceI3,
  matInverseMatrixD3,
  matIsIntMatrix,
  matMultiplyMatrixD3,
  matMultiplyMatrixI3,
  matMultiplyMatrixVectorD3,
  matMultiplyMatrixVectorI3,
  matNint,
  matNormSquaredD3,
  matRem1,
  matTransposeMatrixD3,
  vec3,
} from "./mathfunc.ts";

function close(a: number[][], b: number[][], eps = 1e-12): void {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= eps, `${a} vs ${b}`);
  }
}

Deno.test("mat_Nint rounds halves away from zero, like C (int)(a ± 0.5)", () => {
  assert.equal(matNint(0.5), 1);
  assert.equal(matNint(-0.5), -1);
  assert.equal(matNint(1.5), 2);
  assert.equal(matNint(-1.5), -2);
  assert.equal(matNint(2.4999), 2);
  assert.equal(matNint(-2.4999), -2);
  assert.equal(matNint(0.49999999999999994), 1); // 0.49999999999999994 + 0.5 rounds to 1.0 in doubles
  assert.ok(Object.is(matNint(-0.3), 0), "no -0 from the int cast");
  assert.ok(Object.is(matNint(0.3), 0));
});

Deno.test("mat_Dmod1 maps into [0, 1) but keeps values within 1e-10 below an integer negative", () => {
  assert.equal(matDmod1(0.25), 0.25);
  assert.equal(matDmod1(1.25), 0.25);
  assert.equal(matDmod1(-0.25), 0.75);
  assert.equal(matDmod1(-1e-12), -1e-12); // spglib's ZERO_PREC: stays negative
  assert.equal(matDmod1(-1e-9), 1 - 1e-9);
  assert.equal(matDmod1(0.5), 0.5); // 0.5 - Nint(0.5) = -0.5, then +1
  assert.equal(matDmod1(-0.5), 0.5); // -0.5 - (-1)
  assert.ok(matDmod1(0.9999999999999) < 0); // 0.9999999999999 - 1 ≈ -1e-13 stays negative
  assert.equal(matDmod1(0.99999), 0.99999 - 1 + 1);
  assert.equal(matRem1(0.75), -0.25);
  assert.equal(matRem1(-0.75), 0.25);
  assert.equal(matDabs(-3), 3);
});

Deno.test("determinant, inverse, similarity and transposes (hand-checked)", () => {
  const a: Mat3 = [[2, 1, 0], [0, 3, 1], [1, 0, 1]];
  // det = 2*(3*1-1*0) - 1*(0*1-1*1) + 0 = 6 + 1 = 7
  assert.equal(matGetDeterminantD3(a), 7);
  assert.equal(matGetDeterminantI3(a), 7);
  assert.equal(matGetTraceI3(a), 6);
  const inv = matInverseMatrixD3(a, 1e-5);
  assert.ok(inv);
  // adjugate / 7
  close(inv, [[3 / 7, -1 / 7, 1 / 7], [1 / 7, 2 / 7, -2 / 7], [-3 / 7, 1 / 7, 6 / 7]]);
  close(matMultiplyMatrixD3(a, inv), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  // singular, and |det| below the precision
  assert.equal(matInverseMatrixD3([[1, 2, 3], [2, 4, 6], [0, 0, 1]], 1e-10), null);
  assert.equal(matInverseMatrixD3([[1e-2, 0, 0], [0, 1e-2, 0], [0, 0, 1e-2]], 1e-5), null);
  assert.ok(matInverseMatrixD3([[1e-2, 0, 0], [0, 1e-2, 0], [0, 0, 1e-2]], 1e-7));
  // b^-1 a b with a diagonal b
  const sim = matGetSimilarMatrixD3(
    [[1, 2, 0], [0, 1, 0], [0, 0, 1]],
    [[2, 0, 0], [0, 1, 0], [0, 0, 1]],
    1e-5,
  );
  close(sim!, [[1, 1, 0], [0, 1, 0], [0, 0, 1]]);
  assert.deepEqual(matTransposeMatrixD3(a), [[2, 0, 1], [1, 3, 0], [0, 1, 1]]);
  // metric of columns a=(1,0,0), b=(1,1,0), c=(0,0,2)
  assert.deepEqual(matGetMetric([[1, 1, 0], [0, 1, 0], [0, 0, 2]]), [[1, 1, 0], [1, 2, 0], [0, 0, 4]]);
});

Deno.test("products, casts, identity checks, allocation", () => {
  const r: Mat3 = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]; // 4-fold about z
  assert.deepEqual(matMultiplyMatrixI3(r, r), [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]);
  assert.deepEqual(matMultiplyMatrixVectorI3(r, [1, 2, 3]), [-2, 1, 3]);
  assert.deepEqual(matMultiplyMatrixVectorD3(r, [0.5, 0.25, 0]), [-0.25, 0.5, 0]);
  assert.deepEqual(matAddMatrixI3(r, r), [[0, -2, 0], [2, 0, 0], [0, 0, 2]]);
  assert.deepEqual(matCrossProductD3([1, 0, 0], [0, 1, 0]), [0, 0, 1]);
  assert.equal(matNormSquaredD3([1, 2, 2]), 9);
  assert.deepEqual(matCastMatrix3dTo3i([[0.5, -0.5, 0.49], [1.6, -1.6, 0], [0, 0, 1]]), [
    [1, -1, 0],
    [2, -2, 0],
    [0, 0, 1],
  ]);
  assert.equal(matCheckIdentityMatrixI3(r, r), true);
  assert.equal(matCheckIdentityMatrixI3(r, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), false);
  assert.equal(matCheckIdentityMatrixD3(r, [[0, -1.05, 0], [1, 0, 0], [0, 0, 1]], 0.1), true);
  assert.equal(matCheckIdentityMatrixId3(r, [[0, -1.2, 0], [1, 0, 0], [0, 0, 1]], 0.1), false);
  assert.equal(matIsIntMatrix([[1.01, 0, 0], [0, 1, 0], [0, 0, -2.02]], 0.05), true);
  assert.equal(matIsIntMatrix([[1.5, 0, 0], [0, 1, 0], [0, 0, 1]], 0.05), false);
  const m = matAllocMatINT(2);
  assert.equal(m.size, 2);
  assert.deepEqual(m.mat[1], [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  const v = matAllocVecDBL(3);
  assert.equal(v.size, 3);
  assert.deepEqual(v.vec[2], [0, 0, 0]);
  // inputs are not modified by products
  const a: Mat3 = [[1, 2, 3], [4, 5, 6], [7, 8, 10]];
  const before = JSON.stringify(a);
  matMultiplyMatrixD3(a, a);
  assert.equal(JSON.stringify(a), before);
});

Deno.test("vec3 / mat3: [f(0), f(1), f(2)], f called once each in that order", () => {
  const calls: number[] = [];
  assert.deepEqual(vec3((i) => (calls.push(i), 10 * i + 1)), [1, 11, 21]);
  assert.deepEqual(calls, [0, 1, 2]);
  assert.deepEqual(mat3((i) => [i, i + 1, 2 * i]), [[0, 1, 0], [1, 2, 2], [2, 3, 4]]);
});
