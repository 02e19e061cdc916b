import assert from "node:assert/strict";
import { Lattice, type Vec3 } from "../cif/lattice.ts";
import { type Site, Structure } from "../cif/structure.ts";
import { findAllMappings, latticePointsInSphere, lllReduce, niggliReduce } from "./_lattice_ops.ts";
import { primitiveStructure, reducedStructure } from "./_primitive.ts";
import { BENCHMARK_MATCHER_OPTIONS, StructureMatcher } from "./structure_matcher.ts";

const site = (el: string, frac: Vec3): Site => ({ species: [[el, 1]], frac });
const cubic = (a: number) => Lattice.fromParameters(a, a, a, 90, 90, 90);
/** CsCl: a = 4 Å, Cs at the origin, Cl at the body centre. */
const cscl = new Structure(cubic(4), [site("Cs", [0, 0, 0]), site("Cl", [0.5, 0.5, 0.5])]);

/** Conventional rock salt (8 sites); its primitive cell has 2. */
function rockSaltConventional(a = 5.64): Structure {
  const f: Vec3[] = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  return new Structure(cubic(a), [
    ...f.map((x) => site("Na", x)),
    ...f.map((x) => site("Cl", x.map((v) => (v + 0.5) % 1) as Vec3)),
  ]);
}

Deno.test("StructureMatcher.fit() matches a shifted, permuted copy", () => {
  const sm = new StructureMatcher();
  const shifted = new Structure(cscl.lattice, [site("Cl", [0.8, 0.7, 0.6]), site("Cs", [0.3, 0.2, 0.1])]);
  assert.equal(sm.fit(cscl, shifted), true);
  const [rms, max] = sm.getRmsDist(cscl, shifted)!;
  assert.ok(rms < 1e-10 && max < 1e-10);
});

Deno.test("StructureMatcher.getRmsDist() normalises by (V/n)^(1/3)", () => {
  // Cl moved 0.1 Å along x: after removing the mean shift each site is 0.05 Å off,
  // and (V/n)^(1/3) = (64/2)^(1/3) Å, so rms = max = 0.05 / 32^(1/3) (pymatgen: 0.01574901312368593)
  const moved = new Structure(cscl.lattice, [site("Cs", [0, 0, 0]), site("Cl", [0.525, 0.5, 0.5])]);
  const [rms, max] = new StructureMatcher().getRmsDist(cscl, moved)!;
  assert.ok(Math.abs(rms - 0.05 / 32 ** (1 / 3)) < 1e-12, String(rms));
  assert.ok(Math.abs(max - 0.05 / 32 ** (1 / 3)) < 1e-12, String(max));
});

Deno.test("StructureMatcher.fit() matches a conventional cell with its primitive cell", () => {
  const conv = rockSaltConventional();
  const prim = primitiveStructure(conv);
  assert.equal(prim.length, 2);
  assert.ok(Math.abs(prim.volume - conv.volume / 4) < 1e-9);
  const sm = new StructureMatcher();
  assert.equal(sm.fit(conv, prim), true);
  assert.deepEqual(sm.getRmsDist(conv, prim)!.map((x) => Math.round(x * 1e9)), [0, 0]);
  // a 2×1×1 supercell of CsCl reduces back to CsCl
  const sc = new Structure(new Lattice([[8, 0, 0], [0, 4, 0], [0, 0, 4]]), [
    site("Cs", [0, 0, 0]),
    site("Cs", [0.5, 0, 0]),
    site("Cl", [0.25, 0.5, 0.5]),
    site("Cl", [0.75, 0.5, 0.5]),
  ]);
  assert.equal(reducedStructure(sc).length, 2);
  assert.equal(sm.fit(sc, cscl), true);
});

Deno.test("StructureMatcher.fit() needs the same species", () => {
  const kcl = new Structure(cscl.lattice, [site("K", [0, 0, 0]), site("Cl", [0.5, 0.5, 0.5])]);
  const sm = new StructureMatcher();
  assert.equal(sm.fit(cscl, kcl), false);
  assert.equal(sm.getRmsDist(cscl, kcl), null);
});

Deno.test("StructureMatcher.fit() rejects a strain beyond ltol after volume scaling", () => {
  const sm = new StructureMatcher();
  const strained = (f: number) =>
    new Structure(Lattice.fromParameters(4, 4, 4 * f, 90, 90, 90), [
      site("Cs", [0, 0, 0]),
      site("Cl", [0.5, 0.5, 0.5]),
    ]);
  // scaled to equal volume, c/a grows by f^(2/3): 1.3^(2/3) = 1.19 < 1 + ltol, 1.6^(2/3) = 1.37 > 1.2
  assert.equal(sm.fit(cscl, strained(1.3)), true);
  assert.equal(sm.fit(cscl, strained(1.6)), false);
  assert.equal(sm.getRmsDist(cscl, strained(1.6)), null);
  assert.equal(new StructureMatcher(BENCHMARK_MATCHER_OPTIONS).fit(cscl, strained(1.6)), false);
  // angle: 93° is within angle_tol 5°, 97° is not
  const sheared = (g: number) =>
    new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, g), [
      site("Cs", [0, 0, 0]),
      site("Cl", [0.5, 0.5, 0.5]),
    ]);
  assert.equal(sm.fit(cscl, sheared(93)), true);
  assert.equal(sm.fit(cscl, sheared(97)), false);
});

Deno.test("StructureMatcher.groupStructures() groups by composition, then greedily", () => {
  const kcl = new Structure(cscl.lattice, [site("K", [0, 0, 0]), site("Cl", [0.5, 0.5, 0.5])]);
  const shifted = new Structure(cscl.lattice, [site("Cs", [0.1, 0.1, 0.1]), site("Cl", [0.6, 0.6, 0.6])]);
  const big = new Structure(cubic(5.6), [site("Cs", [0, 0, 0]), site("Cl", [0.5, 0.5, 0.5])]);
  const groups = new StructureMatcher().groupStructures([cscl, kcl, shifted, big]);
  assert.deepEqual(groups.map((g) => [...g].sort()).sort(), [[0, 2, 3], [1]]);
  // without volume scaling a cell 1.4 times longer is beyond ltol 0.2
  const strict = new StructureMatcher({ scale: false }).groupStructures([cscl, kcl, shifted, big]);
  assert.deepEqual(strict.map((g) => [...g].sort()).sort(), [[0, 2], [1], [3]]);
});

Deno.test("lattice helpers follow pymatgen", async (t) => {
  await t.step("lllReduce() returns a reduced basis and its mapping", () => {
    const m: [Vec3, Vec3, Vec3] = [[1, 0, 0], [5, 1, 0], [3, 7, 1]];
    const [red, map] = lllReduce(m);
    for (let i = 0; i < 3; i++) {
      const v = [0, 1, 2].map((k) => map[i][0] * m[0][k] + map[i][1] * m[1][k] + map[i][2] * m[2][k]);
      assert.deepEqual(v.map((x) => Math.round(x * 1e9)), red[i].map((x) => Math.round(x * 1e9)));
    }
    assert.ok(red.every((r) => Math.hypot(...r) < 1.5));
  });
  await t.step("niggliReduce() of an fcc primitive cell gives a = b = c, 60°", () => {
    const l = new Lattice(niggliReduce([[0, 2.82, 2.82], [2.82, 0, 2.82], [2.82, 5.64, 2.82]]));
    assert.ok(l.abc.every((x) => Math.abs(x - 2.82 * Math.SQRT2) < 1e-9));
    assert.ok(l.angles.every((x) => Math.abs(x - 60) < 1e-9));
  });
  await t.step("latticePointsInSphere() finds the 6 + 12 nearest points of a cubic lattice", () => {
    const pts = latticePointsInSphere(cubic(1).matrix, 1.5);
    assert.equal(pts.dist.filter((d) => d > 0).length, 18);
  });
  await t.step("findAllMappings() of a cube onto itself gives the 48 orthogonal matrices", () => {
    assert.equal([...findAllMappings(cubic(3).matrix, cubic(3).matrix, 0.01, 1)].length, 48);
  });
});

Deno.test("StructureMatcher refuses needle-like cells instead of exhausting memory", () => {
  // 0.5 × 0.5 × 1000 Å passes CrystaLLM's is_sensible; pymatgen would enumerate ~10⁷ lattice points
  const needle = new Structure(Lattice.fromParameters(0.5, 0.5, 1000, 90, 90, 90), [
    site("Na", [0, 0, 0]),
    site("Cl", [0.5, 0.5, 0.5]),
  ]);
  const sm = new StructureMatcher();
  assert.throws(() => sm.fit(needle, needle), RangeError);
  assert.deepEqual(sm.groupStructures([cscl, needle, cscl]), [[0, 2], [1]]);
});
