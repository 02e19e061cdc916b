/**
 * Parity of `niggliReduce` with python spglib 2.0.2's `niggli_reduce`, on the corpus lattices
 * of `testCells(100)` and the seeded random lattices of ./_test_utils.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasSpglib } from "../../tests/spglib.ts";
import { allLattices, close, randomLattices, reference, toColumns } from "./_test_utils.ts";
import { niggliReduce } from "./niggli.ts";
import { matGetMetric } from "./mathfunc.ts";

Deno.test({
  name: "niggliReduce matches python spglib 2.0.2 niggli_reduce (eps 1e-5 and 0.1)",
  ignore: !hasSpglib(),
  fn: async () => {
    const lattices = allLattices();
    assert(lattices.length >= 700, `only ${lattices.length} lattices`);
    const cases = await reference(lattices, "niggli", [1e-5, 0.1]);
    let agree = 0;
    let exact = 0;
    let nulls = 0;
    const bad: string[] = [];
    for (const c of cases) {
      const got = niggliReduce(c.lattice, c.eps);
      if (c.expect === null) nulls++;
      if (close(got, c.expect, 1e-8)) {
        agree++;
        if (close(got, c.expect, 0)) exact++;
      } else bad.push(`${c.id}: got ${JSON.stringify(got)} want ${JSON.stringify(c.expect)}`);
    }
    console.log(`niggli: ${agree}/${cases.length} agree within 1e-8 (${exact} bit-exact, ${nulls} failures)`);
    assert.deepEqual(bad.slice(0, 5), []);
  },
});

Deno.test("niggliReduce: results satisfy the Niggli main conditions", () => {
  const eps = 1e-5;
  for (const { id, lattice } of randomLattices().slice(0, 150)) {
    const red = niggliReduce(toColumns(lattice), eps);
    if (red === null) continue;
    const g = matGetMetric(red);
    const [A, B, C] = [g[0][0], g[1][1], g[2][2]];
    const [xi, eta, zeta] = [2 * g[1][2], 2 * g[0][2], 2 * g[0][1]];
    const tol = 1e-6 * Math.max(1, A, B, C);
    assert(A <= B + tol && B <= C + tol, `${id}: A ≤ B ≤ C`);
    assert(
      Math.abs(xi) <= B + tol && Math.abs(eta) <= A + tol && Math.abs(zeta) <= A + tol,
      `${id}: |ξ|≤B, |η|,|ζ|≤A`,
    );
    const allPos = xi > eps && eta > eps && zeta > eps;
    const allNonPos = xi <= eps && eta <= eps && zeta <= eps;
    assert(allPos || allNonPos, `${id}: type I or II`);
  }
});

Deno.test("niggliReduce: hand-checked example (spglib's julia test lattice)", () => {
  // Columns (4,0,0), (20,2,0), (0,0,12): b - 5a = (0,2,0) → Niggli basis a=(0,±2,0), b=(±4,0,0), c=(0,0,±12)
  const red = niggliReduce([[4, 20, 0], [0, 2, 0], [0, 0, 12]], 1e-3)!;
  const cols = [0, 1, 2].map((j) => [red[0][j], red[1][j], red[2][j]].map(Math.abs));
  assert.deepEqual(cols, [[0, 2, 0], [4, 0, 0], [0, 0, 12]]);
});
