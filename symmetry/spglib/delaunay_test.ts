/**
 * Parity of `delDelaunayReduce` with python spglib 2.0.2's `delaunay_reduce`, on the corpus
 * lattices of `testCells(100)` and on seeded random lattices (skewed, near-degenerate,
 * left-handed, and unimodular transforms of symmetric cells, which leave ties to break).
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasSpglib } from "../../tests/spglib.ts";
import { delDelaunayReduce, delDelaunayReduce2D } from "./delaunay.ts";
import { allLattices, close, randomLattices, reference, toColumns } from "./_test_utils.ts";
import { mat3, matGetDeterminantD3, matInverseMatrixD3, matMultiplyMatrixD3 } from "./mathfunc.ts";
import type { Mat3 } from "./types.ts";

Deno.test({
  name: "delDelaunayReduce matches python spglib 2.0.2 delaunay_reduce (eps 1e-5 and 0.1)",
  ignore: !hasSpglib(),
  fn: async () => {
    const lattices = allLattices();
    assert(lattices.length >= 700, `only ${lattices.length} lattices`);
    const cases = await reference(lattices, "delaunay", [1e-5, 0.1]);
    let agree = 0;
    let exact = 0;
    let nulls = 0;
    const bad: string[] = [];
    for (const c of cases) {
      const got = delDelaunayReduce(c.lattice, c.eps);
      if (c.expect === null) nulls++;
      if (close(got, c.expect, 1e-8)) {
        agree++;
        if (close(got, c.expect, 0)) exact++;
      } else bad.push(`${c.id}: got ${JSON.stringify(got)} want ${JSON.stringify(c.expect)}`);
    }
    console.log(
      `delaunay: ${agree}/${cases.length} agree within 1e-8 (${exact} bit-exact, ${nulls} failures)`,
    );
    assert.deepEqual(bad.slice(0, 5), []);
  },
});

Deno.test("delDelaunayReduce: reduced bases are right-handed and unimodularly related", () => {
  for (const { id, lattice } of randomLattices().slice(0, 120)) {
    const lat = toColumns(lattice);
    const red = delDelaunayReduce(lat, 1e-5);
    if (red === null) continue;
    assert(matGetDeterminantD3(red) > 0, id);
    const t = matMultiplyMatrixD3(matInverseMatrixD3(red, 1e-5)!, lat);
    for (const r of t) for (const x of r) assert(Math.abs(x - Math.round(x)) < 1e-6, id);
  }
});

Deno.test("delDelaunayReduce2D keeps the unique axis and reduces the plane (hand-checked)", () => {
  // Monoclinic C-centred-like conventional cell with b unique: a' = a + 3c is not reduced.
  const a = [5, 0, 0];
  const b = [0, 6, 0];
  const c = [-1, 0, 4];
  const ap = [a[0] + 3 * c[0], a[1] + 3 * c[1], a[2] + 3 * c[2]];
  const lat: Mat3 = mat3((i) => [ap[i], b[i], c[i]]);
  const red = delDelaunayReduce2D(lat, 1, 1e-5)!;
  // b column kept, only flipped to make the basis right-handed
  assert.deepEqual([red[0][1], red[1][1], red[2][1]].map(Math.abs), b);
  // in-plane vectors: shortest is c (|c|² = 17), then a (25); right-handed with b
  assert.deepEqual([red[0][0], red[1][0], red[2][0]].map(Math.abs), [1, 0, 4]);
  assert.deepEqual([red[0][2], red[1][2], red[2][2]].map(Math.abs), [5, 0, 0]);
  assert(matGetDeterminantD3(red) > 0);
  assert.deepEqual(
    Math.round(Math.abs(matGetDeterminantD3(red))),
    Math.round(Math.abs(matGetDeterminantD3(lat))),
  );
});
