import assert from "node:assert/strict";
import type { Cell, IMat3, Vec3 } from "./types.ts";
import { celAllocCell, celIsOverlapWithSameType, celSetCell } from "./cell.ts";
import { ovlCheckTotalOverlap, ovlOverlapCheckerInit } from "./overlap.ts";
import { mat3, vec3 } from "./mathfunc.ts";
import { hasSpglib, spglibReference, testCells } from "../../tests/spglib.ts";

/** Independent brute force: every atom's image overlaps some atom of its type (unordered matching). */
function bruteForce(cell: Cell, rot: IMat3, trans: Vec3, symprec: number): number {
  const used = new Array<boolean>(cell.size).fill(false);
  for (let i = 0; i < cell.size; i++) {
    const p = cell.position[i];
    const q = vec3((k) => rot[k][0] * p[0] + rot[k][1] * p[1] + rot[k][2] * p[2] + trans[k]);
    let hit = -1;
    for (let j = 0; j < cell.size && hit < 0; j++) {
      if (
        !used[j] &&
        celIsOverlapWithSameType(q, cell.position[j], cell.types[i], cell.types[j], cell.lattice, symprec)
      ) {
        hit = j;
      }
    }
    if (hit < 0) return 0;
    used[hit] = true;
  }
  return 1;
}

const ID: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

Deno.test("overlap checker on rock salt: Fm-3m operations pass, broken ones fail", () => {
  const a = 5.64;
  const fcc: Vec3[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const cell = celAllocCell(8)!;
  celSetCell(
    cell,
    [[a, 0, 0], [0, a, 0], [0, 0, a]],
    [...fcc, ...fcc.map(([x, y, z]): Vec3 => [x + 0.5, y, z])],
    [1, 1, 1, 1, 2, 2, 2, 2],
  );
  const checker = ovlOverlapCheckerInit(cell)!;
  const c4z: IMat3 = [[0, -1, 0], [1, 0, 0], [0, 0, 1]];
  const c3: IMat3 = [[0, 0, 1], [1, 0, 0], [0, 1, 0]];
  const inv: IMat3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
  assert.equal(ovlCheckTotalOverlap(checker, [0, 0, 0], ID, 0.1, 1), 1);
  assert.equal(ovlCheckTotalOverlap(checker, [0.5, 0.5, 0], ID, 0.1, 1), 1); // centering
  assert.equal(ovlCheckTotalOverlap(checker, [0.5, 0, 0], ID, 0.1, 1), 0); // swaps Na and Cl
  assert.equal(ovlCheckTotalOverlap(checker, [0.01, 0, 0], ID, 0.1, 1), 1); // 0.0564 Å < 0.1
  assert.equal(ovlCheckTotalOverlap(checker, [0.02, 0, 0], ID, 0.1, 1), 0); // 0.1128 Å
  for (const r of [c4z, c3, inv]) {
    assert.equal(ovlCheckTotalOverlap(checker, [0, 0, 0], r, 0.1, 0), 1);
    assert.equal(ovlCheckTotalOverlap(checker, [0, 0.5, 0.5], r, 0.1, 0), 1);
    assert.equal(ovlCheckTotalOverlap(checker, [0.25, 0.25, 0.25], r, 0.1, 0), 0);
  }
  // a rotation that is not a lattice symmetry of the atom arrangement
  assert.equal(ovlCheckTotalOverlap(checker, [0, 0, 0], [[1, 1, 0], [0, 1, 0], [0, 0, 1]], 0.1, 0), 0);
});

Deno.test({
  name:
    "overlap checker accepts every python spglib operation on the corpus cells and rejects perturbed ones",
  ignore: !hasSpglib(),
  fn: async () => {
    const cells = testCells(20);
    const symprecs = [0.1, 1e-3, 1e-5];
    const reqs = symprecs.flatMap((symprec) =>
      cells.map((c) => ({
        id: `${c.id}@${symprec}`,
        lattice: c.lattice,
        positions: c.positions,
        numbers: c.numbers,
        symprec,
        angle_tolerance: 5,
        what: ["symmetry" as const],
      }))
    );
    const answers = await spglibReference(reqs);
    let nOps = 0, nRejected = 0, nCells = 0;
    for (let r = 0; r < reqs.length; r++) {
      const req = reqs[r];
      const sym = answers[r].symmetry;
      if (!sym) continue;
      nCells++;
      const n = req.numbers.length;
      const cell = celAllocCell(n)!;
      // spglib's layout: basis vectors as columns
      const L = mat3((i) => vec3((j) => req.lattice[j][i]));
      celSetCell(cell, L, req.positions as Vec3[], req.numbers);
      const checker = ovlOverlapCheckerInit(cell)!;
      const symprec = req.symprec!;
      const rots: IMat3[] = sym.rotations;
      const trans: Vec3[] = sym.translations;
      for (let k = 0; k < rots.length; k++) {
        const isId = rots[k].every((row, i) => row.every((x, j) => x === (i === j ? 1 : 0))) ? 1 : 0;
        const got = ovlCheckTotalOverlap(checker, trans[k], rots[k], symprec, isId);
        assert.equal(got, 1, `${req.id}: op ${k} ${JSON.stringify(rots[k])} + ${trans[k]} rejected`);
        nOps++;
        // perturbed translation by an irrational fraction of the cell: the checker must agree
        // with brute force (and reject it)
        const shift = [0.1234567, 0.3141593, 0.2718282];
        const t = vec3((i) => trans[k][i] + shift[i]);
        const want = bruteForce(cell, rots[k], t, symprec);
        const got2 = ovlCheckTotalOverlap(checker, t, rots[k], symprec, isId);
        assert.equal(got2, want, `${req.id}: perturbed op ${k} checker ${got2} brute ${want}`);
        if (got2 === 0) nRejected++;
        // a perturbed rotation (not in the group): agree with brute force
        const rp = rots[k].map((row) => row.slice());
        rp[0][0] += 1;
        assert.equal(
          ovlCheckTotalOverlap(checker, trans[k], rp, symprec, 0),
          bruteForce(cell, rp, trans[k], symprec),
          `${req.id}: perturbed rotation ${k}`,
        );
      }
      // search like spglib: for each rotation, translations sending atom 0 onto atoms of its
      // type; the accepted (rotation, translation) pairs must be exactly as many as spglib's ops
      let found = 0;
      const uniq = new Map(rots.map((R) => [JSON.stringify(R), R]));
      const p0 = cell.position[0];
      for (const R of uniq.values()) {
        for (let j = 0; j < n; j++) {
          if (cell.types[j] !== cell.types[0]) continue;
          const t = vec3((k) => cell.position[j][k] - (R[k][0] * p0[0] + R[k][1] * p0[1] + R[k][2] * p0[2]));
          found += ovlCheckTotalOverlap(checker, t, R, symprec, 0);
        }
      }
      assert.equal(found, rots.length, `${req.id}: operations found by candidate search`);
      // an orbit-preserving but slightly wrong translation of 1.5·symprec Å along a must fail
      const a = Math.hypot(L[0][0], L[1][0], L[2][0]);
      const t: Vec3 = [1.5 * symprec / a, 0, 0];
      assert.equal(ovlCheckTotalOverlap(checker, t, ID, symprec, 1), bruteForce(cell, ID, t, symprec));
    }
    assert.ok(nCells >= 200, `only ${nCells} cells answered`);
    assert.ok(nRejected > nOps * 0.9, `${nRejected} of ${nOps} perturbed ops rejected`);
    console.log(`${nCells} cells, ${nOps} operations accepted, ${nRejected} perturbed rejected`);
  },
});
