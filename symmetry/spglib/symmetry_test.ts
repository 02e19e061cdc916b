/**
 * `symmetry.ts` against spglib 2.0.2 itself: its internal `sym_get_operation`,
 * `sym_reduce_operation` and `sym_get_pure_translation` (called through ctypes by
 * `tools/symmetry_reference.py`: same operations, same ORDER, same translations), and python's
 * public `get_symmetry` (same rotations; its order is the refined dataset's, not this one's).
 */
import { mulberry32 } from "../../core/random.ts";
import assert from "node:assert/strict";
import { hasSpglib, spglibReference, type TestCell, testCells } from "../../tests/spglib.ts";
import type { Cell, Symmetry } from "./types.ts";
import {
  symAllocSymmetry,
  symGetAngleTolerance,
  symGetOperation,
  symGetPureTranslation,
  symReduceOperation,
  symSetAngleTolerance,
} from "./symmetry.ts";
import { prmGetPrimitive } from "./primitive.ts";
import {
  fromColumns,
  nonPrimitiveCells,
  type RefSymmetry,
  symmetryReference,
  toCell,
} from "./_test_utils.ts";

const ignore = !hasSpglib();

let cachedCells: TestCell[] | null = null;
/** `testCells(100)`, read once for the whole file. */
function cells100(): TestCell[] {
  cachedCells ??= testCells(100);
  return cachedCells;
}

/** Operations found at (0.1, 5°) by id, shared between the tests of this file. */
const opsAt01 = new Map<string, Symmetry | null>();
function operation(c: TestCell, symprec: number, angle: number): Symmetry | null {
  if (symprec !== 0.1 || angle !== 5) return symGetOperation(toCell(c), symprec, angle);
  if (!opsAt01.has(c.id)) opsAt01.set(c.id, symGetOperation(toCell(c), symprec, angle));
  return opsAt01.get(c.id)!;
}

/** Mismatch description, or "" when `ours` equals spglib's C answer (order included). */
function diffSymmetry(ours: Symmetry | null, ref: RefSymmetry | null | undefined): string {
  if (ours === null || ref === null || ref === undefined) {
    return ours === null && (ref === null || ref === undefined) ? "" : `null: ours ${ours === null}`;
  }
  if (ours.size !== ref.rotations.length) return `size ${ours.size} vs ${ref.rotations.length}`;
  for (let i = 0; i < ours.size; i++) {
    if (JSON.stringify(ours.rot[i]) !== JSON.stringify(ref.rotations[i])) return `rotation ${i}`;
    for (let j = 0; j < 3; j++) {
      const d = ours.trans[i][j] - ref.translations[i][j];
      // both are mat_Dmod1 values; compare modulo 1 only where one sits just below an integer
      const outside = ref.translations[i][j] < 0 || ref.translations[i][j] >= 1;
      if (Math.abs(outside ? d - Math.round(d) : d) > 1e-8) return `translation ${i}[${j}] ${d}`;
    }
  }
  return "";
}

async function checkOperations(cells: TestCell[], symprec: number, angle: number): Promise<void> {
  const refs = await symmetryReference(
    cells.map((c) => ({
      ...c,
      symprec,
      angle_tolerance: angle,
      what: ["operation" as const, "reduce_operation" as const],
      reduce_symprec: symprec / 10,
    })),
  );
  const bad: string[] = [];
  let ops = 0;
  cells.forEach((c, n) => {
    const cell = toCell(c);
    const s = operation(c, symprec, angle);
    ops += s?.size ?? 0;
    const d = diffSymmetry(s, refs[n].operation);
    if (d) bad.push(`${c.id}: operation ${d}`);
    if (s !== null) {
      const r = symReduceOperation(cell, s, symprec / 10, angle);
      const dr = diffSymmetry(r, refs[n].reduce_operation);
      if (dr) bad.push(`${c.id}: reduce ${dr}`);
    }
  });
  assert.deepEqual(bad, []);
  assert(ops > cells.length, "some operations beyond the identity");
}

Deno.test({
  name: "symGetOperation equals sym_get_operation on the test cells and their primitive cells (0.1, 5°)",
  ignore,
  async fn() {
    const cells = cells100();
    assert(cells.length >= 350, `only ${cells.length} test cells`);
    // the realistic input: spglib searches operations on the primitive cell
    const prims: TestCell[] = [];
    for (const c of cells.filter((_, i) => i % 3 === 0)) {
      const p = prmGetPrimitive(toCell(c), 0.1, 5);
      if (p) prims.push(fromColumns(`prim:${c.id}`, p.cell.lattice, p.cell.position, p.cell.types));
    }
    await checkOperations([...cells, ...prims], 0.1, 5);
  },
});

Deno.test({
  name: "symGetOperation equals sym_get_operation at symprec 1e-3 with the metric angle test (-1)",
  ignore,
  async fn() {
    await checkOperations(cells100().filter((_, i) => i % 2 === 0), 1e-3, -1);
  },
});

Deno.test({
  name: "symGetOperation and symGetPureTranslation equal spglib on non-primitive cells",
  ignore,
  async fn() {
    const cells = await nonPrimitiveCells(cells100().filter((_, i) => i % 5 === 0));
    assert(cells.length >= 60, `only ${cells.length} non-primitive cells`);
    await checkOperations(cells, 0.1, 5);
    const refs = await symmetryReference(
      cells.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["pure_translation" as const] })),
    );
    let multi = 0;
    cells.forEach((c, n) => {
      const t = symGetPureTranslation(toCell(c), 0.1);
      const ref = refs[n].pure_translation!;
      assert.deepEqual(t?.size, ref.length, c.id);
      t!.vec.forEach((v, i) => v.forEach((x, j) => assert(Math.abs(x - ref[i][j]) < 1e-8, `${c.id} ${i}`)));
      if (t!.size > 1) multi++;
    });
    assert(multi >= 50, `only ${multi} cells with pure translations`);
  },
});

Deno.test({
  name: "symGetOperation has the rotations of python get_symmetry (0.1, 5°)",
  ignore,
  async fn() {
    const cells = cells100();
    const refs = await spglibReference(
      cells.map((c) => ({ ...c, symprec: 0.1, angle_tolerance: 5, what: ["symmetry" as const] })),
    );
    let sameCount = 0;
    cells.forEach((c, n) => {
      const s = operation(c, 0.1, 5)!;
      const r = refs[n].symmetry as { rotations: number[][][] };
      const ours = s.rot.map((m) => JSON.stringify(m));
      const theirs = r.rotations.map((m) => JSON.stringify(m));
      // python's dataset operations are spglib's refined ones (database order); the search
      // may drop operations when its space-group step reduces the tolerance, never add any
      for (const m of theirs) {
        const k = ours.indexOf(m);
        assert(k >= 0, `${c.id}: python rotation ${m} not found`);
        ours.splice(k, 1);
      }
      if (ours.length === 0) sameCount++;
    });
    assert(sameCount >= cells.length - 5, `same operation count in only ${sameCount}/${cells.length}`);
  },
});

Deno.test("hand-checked: fcc conventional cell, identity first, module angle tolerance", () => {
  const fcc: Cell = {
    size: 4,
    lattice: [[4, 0, 0], [0, 4, 0], [0, 0, 4]],
    types: [1, 1, 1, 1],
    position: [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
  };
  const s = symGetOperation(fcc, 1e-5, -1)!;
  assert.deepEqual(s.size, 48 * 4);
  assert.deepEqual(s.rot[0], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.deepEqual(s.trans.slice(0, 4), fcc.position);
  const t = symGetPureTranslation(fcc, 1e-5)!;
  assert.deepEqual(t.vec, fcc.position);
  assert.deepEqual(symAllocSymmetry(0), null);
  assert.deepEqual(symGetAngleTolerance(), -1);
  symSetAngleTolerance(5);
  assert.deepEqual(symGetAngleTolerance(), 5);
  symSetAngleTolerance(-1);
});

Deno.test({
  name:
    "symGetOperation equals sym_get_operation on distorted lattices with loose tolerances (incl. failures)",
  ignore,
  async fn() {
    // near-metric-ambiguous lattices: large symprec / angle tolerance drive spglib's
    // "too many lattice symmetries" angle reduction, and some searches fail (null)
    const rand = mulberry32(7);
    const cells: (TestCell & { symprec: number; angle: number })[] = [];
    for (let n = 0; n < 300; n++) {
      const a = 2 + rand() * 2;
      const b = a * (1 + (rand() - 0.5) * 0.2);
      const c = a * (1 + (rand() - 0.5) * 0.2);
      const deg = Math.PI / 180;
      const al = (90 + (rand() - 0.5) * 40) * deg;
      const be = (90 + (rand() - 0.5) * 40) * deg;
      const ga = (rand() < 0.3 ? 120 : 90 + (rand() - 0.5) * 40) * deg;
      const cx = c * Math.cos(be);
      const cy = (c * (Math.cos(al) - Math.cos(be) * Math.cos(ga))) / Math.sin(ga);
      const lattice = [[a, 0, 0], [b * Math.cos(ga), b * Math.sin(ga), 0], [
        cx,
        cy,
        Math.sqrt(c * c - cx * cx - cy * cy),
      ]];
      const two = rand() < 0.5;
      cells.push({
        id: `distorted:${n}`,
        lattice,
        positions: two ? [[0, 0, 0], [0.5, 0.5, 0.5]] : [[0, 0, 0]],
        numbers: two ? [1, 2] : [1],
        symprec: [0.05, 0.3, 0.6, 1.0][n % 4],
        angle: [5, -1, 15][n % 3],
      });
    }
    const refs = await symmetryReference(
      cells.map((c) => ({ ...c, angle_tolerance: c.angle, what: ["operation" as const] })),
    );
    const bad: string[] = [];
    let nulls = 0;
    cells.forEach((c, n) => {
      const d = diffSymmetry(symGetOperation(toCell(c), c.symprec, c.angle), refs[n].operation);
      if (d) bad.push(`${c.id}: ${d}`);
      if (!refs[n].operation) nulls++;
    });
    assert.deepEqual(bad, []);
    assert(nulls >= 3, `only ${nulls} failed searches`);
  },
});
