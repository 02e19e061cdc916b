/**
 * Parity of `spaSearchSpacegroup` with python spglib 2.0.2's `get_symmetry_dataset` on the
 * corpus cells of `testCells`: space-group number, Hall number, and the setting (the dataset's
 * `transformation_matrix = bravais_lattice⁻¹ · lattice` and `origin_shift`, which spglib.c
 * takes from the Spacegroup record after `ref_find_similar_bravais_lattice` has adjusted it).
 *
 * The primitive cell and tolerance come as in determination.c: `prm_get_primitive` then
 * `spa_search_spacegroup` at the primitive's tolerance, retried with the tolerance × 0.95.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runPython } from "../../tests/python.ts";
import { hasSpglib, spglibReference, type TestCell, testCells } from "../../tests/spglib.ts";
import { matDabs, matInverseMatrixD3, matMultiplyMatrixD3, matTransposeMatrixD3 } from "./mathfunc.ts";
import { prmGetPrimitive, prmGetPrimitiveSymmetry } from "./primitive.ts";
import { refFindSimilarBravaisLattice } from "./refinement.ts";
import {
  type Spacegroup,
  spaCopySpacegroup,
  spaSearchSpacegroup,
  spaSearchSpacegroupWithSymmetry,
} from "./spacegroup.ts";
import { Centering } from "./spg_database.ts";
import { spaTransformFromPrimitive, spaTransformToPrimitive } from "./spacegroup.ts";
import type { Cell, Mat3, Vec3 } from "./types.ts";

/** The cell with the lattice as columns. */
function toCell(c: TestCell): Cell {
  return {
    size: c.numbers.length,
    lattice: matTransposeMatrixD3(c.lattice as Mat3),
    types: c.numbers.slice(),
    position: c.positions.map((p) => p.slice() as Vec3),
  };
}

/** determination.c's inner loop: primitive cell, then space group, tolerance × 0.95 per retry. */
function search(
  cell: Cell,
  symprec: number,
  angleTolerance: number,
): { sg: Spacegroup; tolerance: number } | null {
  let tolerance = symprec;
  for (let attempt = 0; attempt < 20; attempt++) {
    const primitive = prmGetPrimitive(cell, tolerance, angleTolerance);
    if (primitive !== null) {
      const sg = spaSearchSpacegroup(primitive, 0, primitive.tolerance, primitive.angleTolerance);
      if (sg !== null && sg.number > 0) return { sg, tolerance: primitive.tolerance };
    }
    tolerance *= 0.95;
  }
  return null;
}

function maxDiff(a: number[][], b: number[][]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) d = Math.max(d, matDabs(a[i][j] - b[i][j]));
  }
  return d;
}

interface Tally {
  cases: number;
  number: number;
  hall: number;
  /** Transformation matrix (i.e. the conventional basis) agrees. */
  transformation: number;
  /** Origin shift agrees too. */
  setting: number;
  failures: string[];
}

async function compare(cells: TestCell[], symprec: number, angleTolerance: number): Promise<Tally> {
  const answers = await spglibReference(cells.map((c) => ({
    id: c.id,
    lattice: c.lattice,
    positions: c.positions,
    numbers: c.numbers,
    symprec,
    angle_tolerance: angleTolerance,
    what: ["dataset"],
  })));
  const t: Tally = { cases: 0, number: 0, hall: 0, transformation: 0, setting: 0, failures: [] };
  for (let k = 0; k < cells.length; k++) {
    const ds = answers[k].dataset;
    if (!ds) continue;
    t.cases++;
    const cell = toCell(cells[k]);
    const found = search(cell, symprec, angleTolerance);
    if (found === null) {
      t.failures.push(`${cells[k].id}: no space group (spglib ${ds.number}/${ds.hall_number})`);
      continue;
    }
    const { sg, tolerance } = found;
    if (sg.number === ds.number) t.number++;
    if (sg.hallNumber !== ds.hall_number) {
      t.failures.push(
        `${
          cells[k].id
        }: hall ${sg.hallNumber} (No. ${sg.number}) vs spglib ${ds.hall_number} (No. ${ds.number})`,
      );
      continue;
    }
    t.hall++;
    // spglib.c reads the setting after refinement's ref_find_similar_bravais_lattice.
    const refined = spaCopySpacegroup(sg);
    if (!refFindSimilarBravaisLattice(refined, tolerance)) {
      t.failures.push(`${cells[k].id}: refFindSimilarBravaisLattice failed`);
      continue;
    }
    const tm = matMultiplyMatrixD3(matInverseMatrixD3(refined.bravaisLattice, 0) as Mat3, cell.lattice);
    const dT = maxDiff(tm, ds.transformation_matrix);
    const dO = maxDiff([refined.originShift], [ds.origin_shift]);
    if (dT < 1e-6) t.transformation++;
    if (dT < 1e-6 && dO < 1e-6) t.setting++;
    else {
      t.failures.push(
        `${cells[k].id} (hall ${sg.hallNumber}): transformation Δ${dT.toExponential(1)} origin Δ${
          dO.toExponential(1)
        } got ${JSON.stringify(tm.map((r) => r.map((x) => +x.toFixed(4))))} ${
          JSON.stringify(refined.originShift.map((x) => +x.toFixed(4)))
        } want ${
          JSON.stringify(ds.transformation_matrix.map((r: number[]) => r.map((x) => +x.toFixed(4))))
        } ${JSON.stringify(ds.origin_shift.map((x: number) => +x.toFixed(4)))}`,
      );
    }
  }
  return t;
}

function report(label: string, t: Tally): void {
  console.log(
    `${label}: ${t.cases} cells; number ${t.number}, hall ${t.hall}, transformation ${t.transformation}, ` +
      `transformation+origin ${t.setting}`,
  );
  for (const f of t.failures.slice(0, 15)) console.log(`  ${f}`);
}

let cellsCache: TestCell[] | null = null;
function cells(): TestCell[] {
  return cellsCache ??= testCells(Number(Deno.env.get("SPACEGROUP_TEST_PER_CORPUS") ?? 100));
}

Deno.test({
  name: "spaSearchSpacegroup matches python spglib 2.0.2 (symprec 0.1, angle 5: pymatgen's)",
  ignore: !hasSpglib(),
  fn: async () => {
    const t = await compare(cells(), 0.1, 5);
    report("symprec 0.1 / 5°", t);
    assert(t.cases >= 300, `only ${t.cases} cases`);
    assert.equal(t.hall, t.cases, "Hall numbers differ");
    assert.equal(t.transformation, t.hall, "conventional bases differ");
    assert.equal(t.setting, t.hall, "origin shifts differ");
  },
});

Deno.test({
  name: "spaSearchSpacegroup matches python spglib 2.0.2 (symprec 1e-3, metric angle test)",
  ignore: !hasSpglib(),
  fn: async () => {
    const t = await compare(cells(), 1e-3, -1);
    report("symprec 1e-3 / -1", t);
    assert(t.cases >= 300, `only ${t.cases} cases`);
    assert.equal(t.hall, t.cases, "Hall numbers differ");
    assert.equal(t.transformation, t.hall, "conventional bases differ");
    assert.equal(t.setting, t.hall, "origin shifts differ");
  },
});

Deno.test("spaSearchSpacegroup: textbook structures (hand-checked)", () => {
  const cases: { name: string; cell: Cell; number: number; hall: number }[] = [
    {
      // NaCl, rock salt, conventional cubic cell: Fm-3m (225), Hall 523.
      name: "NaCl",
      cell: {
        size: 8,
        lattice: [[5.64, 0, 0], [0, 5.64, 0], [0, 0, 5.64]],
        types: [1, 1, 1, 1, 2, 2, 2, 2],
        position: [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.5, 0.5, 0.5], [0.5, 0, 0], [
          0,
          0.5,
          0,
        ], [
          0,
          0,
          0.5,
        ]],
      },
      number: 225,
      hall: 523,
    },
    {
      // Rutile TiO2: P4_2/mnm (136), Hall 419.
      name: "rutile",
      cell: {
        size: 6,
        lattice: [[4.594, 0, 0], [0, 4.594, 0], [0, 0, 2.959]],
        types: [1, 1, 2, 2, 2, 2],
        position: [[0, 0, 0], [0.5, 0.5, 0.5], [0.3053, 0.3053, 0], [0.6947, 0.6947, 0], [
          0.8053,
          0.1947,
          0.5,
        ], [
          0.1947,
          0.8053,
          0.5,
        ]],
      },
      number: 136,
      hall: 419,
    },
    {
      // Wurtzite ZnO: P6_3mc (186), Hall 480.
      name: "wurtzite",
      cell: {
        size: 4,
        lattice: [[3.25, -1.625, 0], [0, 1.625 * Math.sqrt(3), 0], [0, 0, 5.2]],
        types: [1, 1, 2, 2],
        position: [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, 0.382], [2 / 3, 1 / 3, 0.882]],
      },
      number: 186,
      hall: 480,
    },
  ];
  for (const c of cases) {
    const found = search(c.cell, 1e-5, -1);
    assert(found !== null, c.name);
    assert.equal(found.sg.number, c.number, c.name);
    assert.equal(found.sg.hallNumber, c.hall, c.name);
  }
});

/** python spglib's `get_symmetry` operations and `get_spacegroup_type_from_symmetry` Hall numbers. */
async function typeFromSymmetryReference(cells: TestCell[], symprec: number) {
  const py = `
import sys, json, numpy as np, spglib
for line in sys.stdin:
    r = json.loads(line)
    cell = (np.array(r["lattice"]), np.array(r["positions"]), np.array(r["numbers"]))
    s = spglib.get_symmetry(cell, symprec=${symprec}, angle_tolerance=5)
    t = spglib.get_spacegroup_type_from_symmetry(
        s["rotations"], s["translations"], lattice=np.array(r["lattice"]), symprec=${symprec})
    print(json.dumps({"rot": s["rotations"].tolist(), "trans": s["translations"].tolist(),
                      "hall": t["hall_number"] if t else 0}))
`;
  const out = await runPython(["-c", py], cells.map((c) => JSON.stringify(c)).join("\n") + "\n");
  return new TextDecoder().decode(out).trim().split("\n").map((l) =>
    JSON.parse(l) as { rot: number[][][]; trans: Vec3[]; hall: number }
  );
}

Deno.test({
  name: "spaSearchSpacegroupWithSymmetry matches python spglib 2.0.2 get_spacegroup_type_from_symmetry",
  ignore: !hasSpglib(),
  fn: async () => {
    const all = cells();
    const ref = await typeFromSymmetryReference(all, 0.1);
    let agree = 0;
    const bad: string[] = [];
    for (let k = 0; k < all.length; k++) {
      // As spglib.c's spg_get_spacegroup_type_from_symmetry: primitive operations, and the
      // lattice taken to the primitive basis. python spglib 2.0.2 hands its row-vector lattice
      // to C untransposed, so C sees the transpose of the cell's column lattice.
      const sym = { size: ref[k].rot.length, rot: ref[k].rot, trans: ref[k].trans };
      const ps = prmGetPrimitiveSymmetry(sym, 0.1);
      const tInv = ps === null ? null : matInverseMatrixD3(ps.tMat, 0.1);
      const sg = ps === null || tInv === null ? null : spaSearchSpacegroupWithSymmetry(
        ps.primSymmetry,
        matMultiplyMatrixD3(all[k].lattice as Mat3, tInv),
        0.1,
      );
      if ((sg?.hallNumber ?? 0) === ref[k].hall) agree++;
      else bad.push(`${all[k].id}: ${sg?.hallNumber} vs ${ref[k].hall}`);
    }
    console.log(`type from symmetry: ${agree}/${all.length} Hall numbers agree`);
    assert.deepEqual(bad, []);
  },
});

Deno.test("spaSearchSpacegroupWithSymmetry: the 48 operations of m-3m without translations give Pm-3m", () => {
  const rot = cubicRotations();
  const sg = spaSearchSpacegroupWithSymmetry(
    { size: rot.length, rot, trans: rot.map(() => [0, 0, 0]) },
    [[3, 0, 0], [0, 3, 0], [0, 0, 3]],
    1e-5,
  );
  assert(sg !== null);
  assert.equal(sg.number, 221);
  assert.equal(sg.hallNumber, 517);
});

/** The 48 signed permutation matrices (the point group m-3m). */
function cubicRotations(): number[][][] {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const out: number[][][] = [];
  for (const p of perms) {
    for (let s = 0; s < 8; s++) {
      const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
      for (let i = 0; i < 3; i++) m[i][p[i]] = (s >> i) & 1 ? -1 : 1;
      out.push(m);
    }
  }
  return out;
}

Deno.test("spaTransformFromPrimitive / spaTransformToPrimitive round trip (fcc and bcc)", () => {
  // fcc Cu primitive: conventional cell has 4 atoms; bcc Fe: 2.
  const a = 3.61;
  const fccPrim: Cell = {
    size: 1,
    lattice: [[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]],
    types: [1],
    position: [[0, 0, 0]],
  };
  const conv = spaTransformFromPrimitive(fccPrim, Centering.FACE, 1e-5);
  assert(conv !== null);
  assert.equal(conv.size, 4);
  assert(maxDiff(conv.lattice, [[a, 0, 0], [0, a, 0], [0, 0, a]]) < 1e-12);
  const back = spaTransformToPrimitive(conv, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], Centering.FACE, 1e-5);
  assert(back !== null);
  assert.equal(back.cell.size, 1);
  assert.deepEqual(back.mappingTable, [0, 0, 0, 0]);

  const b = 2.87;
  const bccConv: Cell = {
    size: 2,
    lattice: [[b, 0, 0], [0, b, 0], [0, 0, b]],
    types: [1, 1],
    position: [[0, 0, 0], [0.5, 0.5, 0.5]],
  };
  const prim = spaTransformToPrimitive(bccConv, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], Centering.BODY, 1e-5);
  assert(prim !== null);
  assert.equal(prim.cell.size, 1);
  // Cell volume halves.
  const det = (m: Mat3) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  assert(Math.abs(Math.abs(det(prim.cell.lattice)) - b ** 3 / 2) < 1e-9);
});
