import assert from "node:assert/strict";
import { linearAssignment } from "./linear_assignment.ts";

function bruteForce(cost: number[][]): number {
  const n = cost.length, m = cost[0].length;
  let best = Infinity;
  const used = new Array(m).fill(false);
  const rec = (i: number, acc: number) => {
    if (i === n) return void (best = Math.min(best, acc));
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      rec(i + 1, acc + cost[i][j]);
      used[j] = false;
    }
  };
  rec(0, 0);
  return best;
}

Deno.test("linearAssignment() finds the minimum cost", async (t) => {
  await t.step("hand-checked 3×3", () => {
    const { solution, minCost } = linearAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]);
    assert.deepEqual(solution, [1, 0, 2]);
    assert.equal(minCost, 5);
  });
  await t.step("random square and rectangular matrices against brute force", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rnd() * 6), m = n + Math.floor(rnd() * 2);
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.floor(rnd() * 20)));
      const { solution, minCost } = linearAssignment(cost);
      assert.equal(new Set(solution).size, n);
      assert.equal(minCost, bruteForce(cost));
    }
  });
  await t.step("a 0/1 mask with no perfect matching costs more than 0", () => {
    assert.equal(linearAssignment([[0, 1], [0, 1]]).minCost, 1);
    assert.equal(linearAssignment([[1, 0], [0, 1]]).minCost, 0);
  });
  await t.step("huge forbidden costs (1e20) are avoided when possible", () => {
    const { solution } = linearAssignment([[1e20, 0.3], [0.1, 1e20]]);
    assert.deepEqual(solution, [1, 0]);
  });
  await t.step("more rows than columns is an error", () => {
    assert.throws(() => linearAssignment([[1], [2]]), RangeError);
  });
});
