/**
 * `primitive.ts` against spglib 2.0.2 itself: its internal `prm_get_primitive` and
 * `prm_get_primitive_symmetry` (called through ctypes by `tools/symmetry_reference.py`), and
 * python's dataset, whose `primitive_lattice` / `mapping_to_primitive` are copied from the
 * `Primitive` that `prm_get_primitive` returns (spglib.c `set_dataset`).
 */
import assert from "node:assert/strict";
import { hasSpglib, spglibReference, type TestCell, testCells } from "../../tests/spglib.ts";
import { matGetDeterminantD3 } from "./mathfunc.ts";
import {
  type Primitive,
  prmAllocPrimitive,
  prmGetPrimitive,
  prmGetPrimitiveLatticeVectors,
  prmGetPrimitiveSymmetry,
} from "./primitive.ts";
import { symGetOperation, symGetPureTranslation } from "./symmetry.ts";
import type { Cell } from "./types.ts";
import {
  nonPrimitiveCells,
  type RefPrimitive,
  symmetryReference,
  toCell,
  transpose3,
} from "./_test_utils.ts";

const ignore = !hasSpglib();

/** Largest absolute elementwise difference of two equally shaped arrays of numbers. */
function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

/** Mismatch description, or "" when `ours` equals spglib's C `Primitive`. */
function diffPrimitive(ours: Primitive | null, ref: RefPrimitive | null | undefined): string {
  if (ours === null || !ref) return ours === null && !ref ? "" : `null: ours ${ours === null}`;
  const c = ours.cell;
  if (c.size !== ref.cell.size) return `size ${c.size} vs ${ref.cell.size}`;
  if (JSON.stringify(ours.mappingTable) !== JSON.stringify(ref.mapping_table)) return "mapping table";
  if (JSON.stringify(c.types) !== JSON.stringify(ref.cell.types)) return "types";
  if (ours.tolerance !== ref.tolerance || ours.angleTolerance !== ref.angle_tolerance) return "tolerances";
  if (ours.size !== ref.size) return "size of the original";
  if (maxDiff(c.lattice, ref.cell.lattice) > 1e-9) return `lattice ${maxDiff(c.lattice, ref.cell.lattice)}`;
  if (maxDiff(c.position, ref.cell.position) > 1e-9) {
    return `positions ${maxDiff(c.position, ref.cell.position)}`;
  }
  if (maxDiff(ours.origLattice!, ref.orig_lattice) > 0) return "original lattice";
  return "";
}

let cached: TestCell[] | null = null;
/** The test cells plus non-primitive ones (conventional cells and noisy supercells). */
async function cells(): Promise<TestCell[]> {
  if (cached === null) {
    const base = testCells(100);
    cached = [...base, ...(await nonPrimitiveCells(base.filter((_, i) => i % 2 === 0)))];
  }
  return cached;
}

async function checkPrimitive(list: TestCell[], symprec: number, angle: number): Promise<number> {
  const refs = await symmetryReference(
    list.map((c) => ({ ...c, symprec, angle_tolerance: angle, what: ["primitive" as const] })),
  );
  const bad: string[] = [];
  let reduced = 0;
  list.forEach((c, n) => {
    const p = prmGetPrimitive(toCell(c), symprec, angle);
    const d = diffPrimitive(p, refs[n].primitive);
    if (d) bad.push(`${c.id}: ${d}`);
    if (p && p.cell.size < c.numbers.length) reduced++;
  });
  assert.deepEqual(bad, []);
  return reduced;
}

Deno.test({
  name: "prmGetPrimitive equals prm_get_primitive (0.1, 5°) on test, conventional and supercells",
  ignore,
  async fn() {
    const list = await cells();
    assert(list.length >= 550, `only ${list.length} cells`);
    const smaller = await checkPrimitive(list, 0.1, 5);
    assert(smaller >= 150, `only ${smaller} cells were not primitive`);
  },
});

Deno.test({
  name: "prmGetPrimitive equals prm_get_primitive at symprec 1e-3 with the metric angle test",
  ignore,
  async fn() {
    const list = (await cells()).filter((_, i) => i % 3 === 0);
    const smaller = await checkPrimitive(list, 1e-3, -1);
    assert(smaller >= 20, `only ${smaller} cells were not primitive`);
  },
});

Deno.test({
  name: "prmGetPrimitive gives python's dataset primitive_lattice and mapping_to_primitive",
  ignore,
  async fn() {
    const list = await cells();
    const refs = await spglibReference(
      list.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["dataset" as const] })),
    );
    const bad: string[] = [];
    list.forEach((c, n) => {
      const d = refs[n].dataset;
      assert(d, `${c.id}: no dataset`);
      const p = prmGetPrimitive(toCell(c), 0.1, 5)!;
      const prim = p.cell;
      // dataset.primitive_lattice = primitive->cell->lattice, returned transposed (rows)
      if (maxDiff(prim.lattice, transpose3(d.primitive_lattice)) > 1e-9) bad.push(`${c.id}: lattice`);
      if (JSON.stringify(p.mappingTable) !== JSON.stringify(d.mapping_to_primitive)) {
        bad.push(`${c.id}: mapping`);
      }
      const ratio = Math.abs(matGetDeterminantD3(toCell(c).lattice) / matGetDeterminantD3(prim.lattice));
      if (Math.abs(ratio - c.numbers.length / prim.size) > 1e-6) bad.push(`${c.id}: volume ratio ${ratio}`);
    });
    assert.deepEqual(bad, []);
  },
});

Deno.test({
  name: "prmGetPrimitiveSymmetry equals prm_get_primitive_symmetry on non-primitive cells",
  ignore,
  async fn() {
    const list = (await cells()).filter((c) => c.id.startsWith("super") || c.id.startsWith("refined"));
    const refs = await symmetryReference(
      list.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["primitive_symmetry" as const] })),
    );
    const bad: string[] = [];
    let nonTrivial = 0;
    list.forEach((c, n) => {
      const ref = refs[n].primitive_symmetry;
      const s = symGetOperation(toCell(c), 0.1, 5)!;
      const got = prmGetPrimitiveSymmetry(s, 0.1);
      if (got === null || !ref) {
        if ((got === null) !== !ref) bad.push(`${c.id}: null`);
        return;
      }
      if (maxDiff(got.tMat, ref.t_mat) > 1e-9) bad.push(`${c.id}: tMat`);
      const ps = got.primSymmetry;
      if (JSON.stringify(ps.rot) !== JSON.stringify(ref.rotations)) bad.push(`${c.id}: rotations`);
      if (maxDiff(ps.trans, ref.translations) > 1e-9) bad.push(`${c.id}: translations`);
      if (ps.size < s.size) nonTrivial++;
    });
    assert.deepEqual(bad, []);
    assert(nonTrivial >= 40, `only ${nonTrivial} cells with pure translations`);
  },
});

Deno.test({
  name: "prmGetPrimitiveLatticeVectors equals prm_get_primitive_lattice_vectors on non-primitive cells",
  ignore,
  async fn() {
    const list = (await cells()).filter((c) => c.id.startsWith("super") || c.id.startsWith("refined"));
    const refs = await symmetryReference(
      list.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["lattice_vectors" as const] })),
    );
    const bad: string[] = [];
    list.forEach((c, n) => {
      const cell = toCell(c);
      const got = prmGetPrimitiveLatticeVectors(cell, symGetPureTranslation(cell, 0.1)!, 0.1, 5);
      const ref = refs[n].lattice_vectors;
      if (got === null || !ref) {
        if ((got === null) !== !ref) bad.push(`${c.id}: null`);
        return;
      }
      if (got.multi !== ref.multi) bad.push(`${c.id}: multi ${got.multi} vs ${ref.multi}`);
      if (maxDiff(got.primLattice, ref.prim_lattice) > 1e-9) bad.push(`${c.id}: lattice`);
    });
    assert.deepEqual(bad, []);
  },
});

Deno.test("hand-checked: fcc conventional cell → one-atom primitive of a quarter the volume", () => {
  const fcc: Cell = {
    size: 4,
    lattice: [[4, 0, 0], [0, 4, 0], [0, 0, 4]],
    types: [7, 7, 7, 7],
    position: [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
  };
  const p = prmGetPrimitive(fcc, 1e-5, -1)!;
  assert.equal(p.cell.size, 1);
  assert.deepEqual(p.cell.types, [7]);
  assert.deepEqual(p.mappingTable, [0, 0, 0, 0]);
  assert.equal(p.tolerance, 1e-5);
  assert.ok(Math.abs(Math.abs(matGetDeterminantD3(p.cell.lattice)) - 16) < 1e-12);
  // primitive vectors are face diagonals of length 2√2
  for (let k = 0; k < 3; k++) {
    const len = Math.hypot(p.cell.lattice[0][k], p.cell.lattice[1][k], p.cell.lattice[2][k]);
    assert.ok(Math.abs(len - 2 * Math.SQRT2) < 1e-12);
  }
  const empty = prmAllocPrimitive(3);
  assert.deepEqual(empty.mappingTable, [-1, -1, -1]);
  assert.equal(empty.cell.size, 0);
  assert.equal(empty.origLattice, null);
  assert.equal(empty.angleTolerance, -1);
});
