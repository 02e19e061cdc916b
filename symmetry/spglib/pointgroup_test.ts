import assert from "node:assert/strict";
import {
  Holohedry,
  Laue,
  ptgGetPointgroup,
  ptgGetPointsymmetry,
  ptgGetTransformationMatrix,
  ROT_AXES,
} from "./pointgroup.ts";
import type { IMat3 } from "./types.ts";
import { hasSpglib, jsonLinesReference, spglibReference, testCells } from "../../tests/spglib.ts";

const HAVE_SPGLIB = hasSpglib();

/** ITA orders of point groups 1..32 (spglib numbering). */
// deno-fmt-ignore
const ORDERS = [1, 2, 2, 2, 4, 4, 4, 8, 4, 4, 8, 8, 8, 8, 16, 3, 6, 6, 6, 12, 6, 6, 12, 12, 12, 12, 24, 12, 24, 24, 24, 48];
/** International symbols of point groups 1..32, as python spglib prints them. */
const POINTGROUP_SYMBOLS =
  "1 -1 2 m 2/m 222 mm2 mmm 4 -4 4/m 422 4mm -42m 4/mmm 3 -3 32 3m -3m 6 -6 6/m 622 6mm -6m2 6/mmm 23 m-3 432 -43m m-3m"
    .split(" ");

/** What spglib's own C functions answer (tools/pointgroup_reference.py, through ctypes). */
// deno-lint-ignore no-explicit-any
type PtgAnswer = Record<string, any>;

function ptgReference(reqs: object[]): Promise<PtgAnswer[]> {
  return jsonLinesReference<PtgAnswer>("tools/pointgroup_reference.py", reqs);
}

function mul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r[0] * b[0][j] + r[1] * b[1][j] + r[2] * b[2][j]));
}

function det(a: number[][]): number {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

function inv(a: number[][]): number[][] {
  const d = det(a);
  const c = (i: number, j: number) => {
    const r = [0, 1, 2].filter((k) => k !== i);
    const s = [0, 1, 2].filter((k) => k !== j);
    return a[r[0]][s[0]] * a[r[1]][s[1]] - a[r[0]][s[1]] * a[r[1]][s[0]];
  };
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => ((i + j) % 2 ? -1 : 1) * c(j, i) / d));
}

const transpose = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
const key = (m: number[][]) => JSON.stringify(m.map((r) => r.map((x) => x + 0)));

/** The 48 signed permutation matrices (the Cartesian group m-3m), identity first. */
function cubicGroup(): IMat3[] {
  const perms = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]];
  const out: IMat3[] = [];
  for (const p of perms) {
    for (let s = 0; s < 8; s++) {
      const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
      for (let i = 0; i < 3; i++) m[i][p[i]] = (s >> i) & 1 ? -1 : 1;
      out.push(m);
    }
  }
  return out;
}

/** Close a set of generators under multiplication (identity included), in discovery order. */
function closeGroup(gens: IMat3[]): IMat3[] {
  // Entries of these generators' products stay in -2..2: a base-5 number identifies a matrix.
  const code = (m: IMat3) => m.flat().reduce((acc, x) => acc * 5 + x + 2, 0);
  const out: IMat3[] = [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]];
  const seen = new Set(out.map(code));
  for (let i = 0; i < out.length; i++) {
    for (const g of gens) {
      const m = mul(out[i], g);
      const c = code(m);
      if (!seen.has(c)) {
        seen.add(c);
        out.push(m);
      }
    }
  }
  return out;
}

Deno.test("the point-group table classifies every subgroup of m-3m and 6/mmm, all 32 appearing", () => {
  // Crystal families of point groups 1..32 (spglib numbering).
  // deno-fmt-ignore
  const holo = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7];
  const inv3: IMat3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
  const seen = new Set<number>();
  const hexGroup = closeGroup([
    [[1, -1, 0], [1, 0, 0], [0, 0, 1]],
    [[0, -1, 0], [-1, 0, 0], [0, 0, 1]],
    inv3,
  ]);
  for (const big of [cubicGroup(), hexGroup]) {
    for (const a of big) {
      for (const b of big) {
        for (const gens of [[a, b], [a, b, inv3]]) {
          const sub = closeGroup(gens);
          const pg = ptgGetTransformationMatrix(sub, sub.length).pointgroup;
          assert.ok(pg.number > 0, key(a) + key(b));
          assert.equal(ORDERS[pg.number - 1], sub.length, pg.symbol);
          seen.add(pg.number);
        }
      }
    }
  }
  assert.equal(seen.size, 32);
  for (let n = 1; n <= 32; n++) {
    const pg = ptgGetPointgroup(n);
    assert.equal(pg.number, n);
    assert.equal(pg.holohedry, holo[n - 1], pg.symbol);
    assert.equal(pg.symbol, POINTGROUP_SYMBOLS[n - 1]);
  }
  assert.deepEqual(ptgGetPointgroup(0), { number: 0, symbol: "", schoenflies: "", holohedry: 0, laue: 0 });
  assert.equal(ptgGetPointgroup(32).symbol, "m-3m");
  assert.equal(ptgGetPointgroup(32).schoenflies, "Oh");
  assert.equal(ptgGetPointgroup(32).laue, Laue.LAUEM3M);
  assert.equal(ptgGetPointgroup(27).holohedry, Holohedry.HEXA);
  assert.equal(ptgGetTransformationMatrix([], 0).pointgroup.number, 0); // no rotations: no point group
  assert.equal(ROT_AXES.length, 73);
  assert.equal(new Set(ROT_AXES.map((a) => a.join())).size, 73);
});

Deno.test("hand-checked axes: cubic, hexagonal, monoclinic and an F-centred cubic primitive cell", () => {
  // Oh on cubic axes: the three 4-fold axes are a, b, c.
  const oh = cubicGroup();
  let r = ptgGetTransformationMatrix(oh, oh.length);
  assert.equal(r.pointgroup.symbol, "m-3m");
  assert.equal(r.pointgroup.schoenflies, "Oh");
  assert.deepEqual(r.transformMat, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);

  // Oh in the primitive basis of an F lattice, a1 = (0,½,½), a2 = (½,0,½), a3 = (½,½,0):
  // R' = P⁻¹RP. The cubic axes are -a1+a2+a3, a1-a2+a3, a1+a2-a3 (candidates 10, 11, 12).
  const p = [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const pInv = inv(p);
  const ohF = oh.map((m) => mul(mul(pInv, m), p).map((row) => row.map((x) => Math.round(x))));
  r = ptgGetTransformationMatrix(ohF, ohF.length);
  assert.equal(r.pointgroup.number, 32);
  assert.deepEqual(r.transformMat, [[-1, 1, 1], [1, -1, 1], [1, 1, -1]]);
  const conv = mul(p, r.transformMat);
  assert.deepEqual(conv, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]); // the conventional cubic cell

  // 6/mmm on hexagonal axes with the 6-fold generator first after the identity: c is the
  // 3-fold axis; a stays, b = R₃·a = b.
  const six = [[1, -1, 0], [1, 0, 0], [0, 0, 1]]; // 6-fold about c in (a, b, c)
  const m2 = [[0, -1, 0], [-1, 0, 0], [0, 0, 1]]; // mirror
  const inv3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
  const d6h = closeGroup([six, m2, inv3]);
  assert.equal(d6h.length, 24);
  r = ptgGetTransformationMatrix(d6h, d6h.length);
  assert.equal(r.pointgroup.symbol, "6/mmm");
  assert.equal(r.pointgroup.holohedry, Holohedry.HEXA);
  const g = [[1, -0.5, 0], [-0.5, 1, 0], [0, 0, 2]]; // hexagonal metric (a = 1, c = √2)
  const gNew = mul(mul(transpose(r.transformMat), g), r.transformMat);
  assert.deepEqual(gNew, g, "a', b', c' again a hexagonal basis with c' along c");
  // 3-fold found first is six² = [[0,-1,0],[1,-1,0],[0,0,1]]: a → b, so T = 1.
  assert.deepEqual(r.transformMat, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  // With the other 3-fold first, b' = R·a = -a-b = -(candidate 5), left-handed, so a', b' swap.
  const three2 = [[-1, 1, 0], [-1, 0, 0], [0, 0, 1]];
  r = ptgGetTransformationMatrix([d6h[0], three2, ...d6h.slice(1)], 25);
  assert.deepEqual(r.transformMat, [[-1, 1, 0], [-1, 0, 0], [0, 0, 1]]);
  assert.deepEqual(mul(mul(transpose(r.transformMat), g), r.transformMat), g);

  // Monoclinic, 2-fold along b: a and c are the shortest perpendicular candidates.
  const one: IMat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  r = ptgGetTransformationMatrix([one, [[-1, 0, 0], [0, 1, 0], [0, 0, -1]]], 2);
  assert.equal(r.pointgroup.symbol, "2");
  assert.equal(r.pointgroup.holohedry, Holohedry.MONOCLI);
  assert.deepEqual(r.transformMat, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  // 2-fold along c: b' = c, a' = a, c' = b; spglib 2.0.2 leaves this left-handed (det -1).
  r = ptgGetTransformationMatrix([one, [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]], 2);
  assert.deepEqual(r.transformMat, [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  // Mirror m ⊥ a: the 2-fold axis of -m is a.
  r = ptgGetTransformationMatrix([one, [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]], 2);
  assert.equal(r.pointgroup.symbol, "m");
  assert.deepEqual(r.transformMat, [[0, 1, 0], [1, 0, 0], [0, 0, 1]]);

  // Triclinic: identity axes. Non-crystallographic input: no point group, zero matrix.
  r = ptgGetTransformationMatrix([one, inv3], 2);
  assert.equal(r.pointgroup.symbol, "-1");
  assert.deepEqual(r.transformMat, one);
  r = ptgGetTransformationMatrix([one, [[2, 0, 0], [0, 1, 0], [0, 0, 1]]], 2);
  assert.equal(r.pointgroup.number, 0);
  assert.deepEqual(r.transformMat, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);

  // ptg_get_pointsymmetry keeps first occurrences in order.
  const ps = ptgGetPointsymmetry([one, inv3, one, inv3, six], 4);
  assert.equal(ps.size, 2);
  assert.deepEqual(ps.rot, [one, inv3]);
});

/** Rotations of a cell given as rows (python layout) in the basis of new rows `newRows`. */
function reexpress(positions: number[][], rows: number[][], newRows: number[][]): number[][] {
  // cart = frac · rows; frac' = cart · newRows⁻¹
  const m = mul(rows, inv(newRows));
  return positions.map((p) => mul([p], m)[0]);
}

function seededShuffle<T>(xs: T[], seed: number): T[] {
  const a = xs.slice();
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

Deno.test({
  name: "parity with python spglib 2.0.2 and its C ptg_* functions on the test cells",
  ignore: !HAVE_SPGLIB,
  fn: async () => {
    const cells = testCells(100);
    const settings = [{ symprec: 0.1, angle_tolerance: 5 }, { symprec: 1e-3, angle_tolerance: -1 }];
    const reqs = settings.flatMap((s, k) =>
      cells.map((c) => ({
        ...c,
        id: `${k}:${c.id}`,
        ...s,
        what: ["dataset", "primitive"] as ("dataset" | "primitive")[],
      }))
    );
    const answers = await spglibReference(reqs);

    // Rotation sets: the input cell's (dataset.rotations) and a Delaunay-reduced primitive cell's.
    const groups: { id: string; rots: IMat3[]; pointgroup?: string; number?: number }[] = [];
    const prims: Parameters<typeof spglibReference>[0] = [];
    answers.forEach((a, i) => {
      const d = a.dataset;
      if (!d) return;
      groups.push({ id: a.id, rots: d.rotations, pointgroup: d.pointgroup, number: d.number });
      if (a.primitive) {
        const [lat, pos, num] = a.primitive;
        prims.push({
          id: `prim:${a.id}`,
          lattice: lat,
          positions: pos,
          numbers: num,
          ...settings[i < cells.length ? 0 : 1],
          what: ["delaunay"],
        });
      }
    });
    const dels = await spglibReference(prims);
    const redReqs: Parameters<typeof spglibReference>[0] = [];
    dels.forEach((a, i) => {
      if (!a.delaunay) return;
      const p = prims[i];
      redReqs.push({
        ...p,
        id: `red:${p.id}`,
        lattice: a.delaunay,
        positions: reexpress(p.positions, p.lattice, a.delaunay),
        what: ["symmetry"],
      });
    });
    for (const a of await spglibReference(redReqs)) {
      if (a.symmetry) groups.push({ id: a.id, rots: a.symmetry.rotations });
    }
    // The same groups in other orders: the axis search takes the first matching rotation.
    const n0 = groups.length;
    for (let i = 0; i < n0; i += 3) {
      groups.push({ id: `shuffled:${groups[i].id}`, rots: seededShuffle(groups[i].rots, i + 1) });
    }
    assert.ok(groups.length > 1000, `${groups.length} rotation sets`);

    const ref = await ptgReference(groups.map((g) => ({ id: g.id, rotations: g.rots })));
    let checkedSymbol = 0;
    let subgroups = 0;
    let reduced = 0;
    const seenPg = new Set<number>();
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      const c = ref[i];
      const mine = ptgGetTransformationMatrix(g.rots, g.rots.length);
      assert.equal(mine.pointgroup.number, c.number, g.id);
      seenPg.add(c.number);
      assert.equal(mine.pointgroup.symbol, c.symbol, g.id);
      assert.equal(mine.pointgroup.schoenflies, c.schoenflies, g.id);
      assert.equal(mine.pointgroup.holohedry, c.holohedry, g.id);
      assert.equal(mine.pointgroup.laue, c.laue, g.id);
      assert.deepEqual(mine.transformMat.map((r) => r.map((x) => x + 0)), c.transformation_matrix, g.id);
      const ps = ptgGetPointsymmetry(g.rots, g.rots.length);
      assert.equal(ps.size, c.pointsymmetry.length, g.id);
      assert.deepEqual(ps.rot, c.pointsymmetry, g.id);
      // The set of distinct rotations is python's set of rotations.
      assert.deepEqual(new Set(ps.rot.map(key)), new Set(g.rots.map(key)), g.id);
      if (g.pointgroup !== undefined && g.number !== undefined) {
        // python's dataset.pointgroup is spglib's symbol for the group of the space group it
        // found; the input cell can lose operations that do not map its own lattice onto itself
        // (spglib 2.0.2 drops them from dataset.rotations), which leaves a subgroup.
        const full = ORDERS[POINTGROUP_SYMBOLS.indexOf(g.pointgroup)];
        if (ps.size === full) {
          assert.equal(mine.pointgroup.symbol, g.pointgroup, g.id);
        } else {
          assert.ok(ps.size < full && full % ps.size === 0, `${g.id}: ${ps.size} of ${full}`);
          subgroups++;
        }
        const n = g.number;
        const expectHolo = n <= 2
          ? 1
          : n <= 15
          ? 2
          : n <= 74
          ? 3
          : n <= 142
          ? 4
          : n <= 167
          ? 5
          : n <= 194
          ? 6
          : 7;
        const fullPg = ptgGetPointgroup(POINTGROUP_SYMBOLS.indexOf(g.pointgroup) + 1);
        assert.equal(fullPg.holohedry, expectHolo, `${g.id}: space group ${n}`);
        if (ps.size === full) {
          assert.equal(mine.pointgroup.holohedry, expectHolo, `${g.id}: space group ${n}`);
        }
        checkedSymbol++;
      }
      // On a Delaunay-reduced primitive cell (what spglib hands this function) every rotation
      // axis is among the 73 candidates; on other cells it may not be, and spglib then reads
      // outside its table (an all-zero column in this build, reproduced above).
      if (mine.pointgroup.number > 0 && g.id.includes("red:")) {
        reduced++;
        const d = det(mine.transformMat);
        assert.ok(d !== 0, g.id);
        // Every Laue class except 2/m gets a right-handed choice in spglib 2.0.2.
        if (mine.pointgroup.laue !== Laue.LAUE2M) assert.ok(d > 0, g.id);
      }
    }
    assert.ok(checkedSymbol > 500, `${checkedSymbol} datasets checked`);
    assert.ok(subgroups < checkedSymbol / 10, `${subgroups} input cells with a subgroup`);
    console.log(
      `${groups.length} rotation sets, ${checkedSymbol} datasets, ${subgroups} subgroups, ${reduced} reduced, ${seenPg.size} point groups`,
    );
    assert.ok(seenPg.size >= 15, `${seenPg.size} point groups seen`);
    assert.ok(reduced > 500, `${reduced} reduced primitive cells`);
  },
});

Deno.test({
  name: "ptg_get_pointgroup matches spglib's C table for all 33 entries",
  ignore: !HAVE_SPGLIB,
  fn: async () => {
    const ref = await ptgReference(Array.from({ length: 33 }, (_, n) => ({ id: n, pointgroup_number: n })));
    for (let n = 0; n <= 32; n++) {
      const { id: _id, ...c } = ref[n];
      assert.deepEqual(ptgGetPointgroup(n), c);
    }
  },
});

Deno.test({
  name: "parity with spglib's C axis search on every subgroup of m-3m and 6/mmm in P, F, I, C, A, R bases",
  ignore: !HAVE_SPGLIB,
  fn: async () => {
    const third = 1 / 3;
    const bases: [string, number[][], "cubic" | "hex" | "both"][] = [
      ["P", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "both"],
      ["F", [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]], "cubic"],
      ["I", [[-0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, -0.5]], "cubic"],
      ["C", [[0.5, 0.5, 0], [-0.5, 0.5, 0], [0, 0, 1]], "cubic"],
      ["A", [[1, 0, 0], [0, 0.5, 0.5], [0, -0.5, 0.5]], "cubic"],
      ["R", [[2 * third, -third, -third], [third, third, -2 * third], [third, third, third]], "hex"],
    ];
    const inv3: IMat3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
    const hexGroup = closeGroup([
      [[1, -1, 0], [1, 0, 0], [0, 0, 1]],
      [[0, -1, 0], [-1, 0, 0], [0, 0, 1]],
      inv3,
    ]);
    const sets: { id: string; rots: IMat3[] }[] = [];
    const perSet = new Map<string, number>();
    for (const [family, big] of [["cubic", cubicGroup()], ["hex", hexGroup]] as const) {
      for (const [name, p, which] of bases) {
        if (which !== "both" && which !== family) continue;
        const pInv = inv(p);
        for (let i = 0; i < big.length; i++) {
          for (let j = 0; j < big.length; j++) {
            for (const gens of [[big[i], big[j]], [big[i], big[j], inv3]]) {
              const sub = closeGroup(gens).map((m) => mul(mul(pInv, m), p));
              if (sub.some((m) => m.some((r) => r.some((x) => Math.abs(x - Math.round(x)) > 1e-9)))) continue;
              const rots = sub.map((m) => m.map((r) => r.map((x) => Math.round(x) + 0)));
              const setKey = name + rots.map(key).sort().join();
              const n = perSet.get(setKey) ?? 0;
              if (n >= 3) continue;
              perSet.set(setKey, n + 1);
              sets.push({ id: `${family}:${name}:${i}:${j}`, rots });
            }
          }
        }
      }
    }
    const ref = await ptgReference(sets.map((s) => ({ id: s.id, rotations: s.rots })));
    const seen = new Set<number>();
    for (let k = 0; k < sets.length; k++) {
      const mine = ptgGetTransformationMatrix(sets[k].rots, sets[k].rots.length);
      const c = ref[k];
      assert.equal(mine.pointgroup.number, c.number, sets[k].id);
      assert.deepEqual(mine.transformMat, c.transformation_matrix, sets[k].id);
      seen.add(c.number);
    }
    assert.equal(seen.size, 32);
    console.log(`${sets.length} rotation sets, ${perSet.size} distinct subgroups`);
  },
});
