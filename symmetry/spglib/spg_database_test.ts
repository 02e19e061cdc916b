/**
 * Tests of ./spg_database.ts against Debian's python3-spglib 2.0.2 (all 530 Hall settings) and
 * against hand-checked crystallography.
 */
import assert from "node:assert/strict";
import { hasSpglib, spglibReference } from "../../tests/spglib.ts";
import {
  Centering,
  spgdbDecodeSymmetry,
  spgdbGetOperation,
  spgdbGetOperationIndex,
  spgdbGetSpacegroupOperations,
  spgdbGetSpacegroupType,
  spgdbRemoveSpace,
} from "./spg_database.ts";
import { ptgGetPointgroup } from "./pointgroup.ts";

const HAVE = hasSpglib();

Deno.test({
  name: "spg_database: operations and types of all 530 Hall numbers equal python spglib 2.0.2's",
  ignore: !HAVE,
  async fn() {
    const reqs = [];
    for (let h = 1; h <= 530; h++) {
      reqs.push({
        id: String(h),
        lattice: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        positions: [[0, 0, 0]],
        numbers: [1],
        what: ["database" as const],
        hall_number: h,
      });
    }
    const answers = await spglibReference(reqs);
    let nOps = 0;
    let pointgroupChecked = 0;
    for (let h = 1; h <= 530; h++) {
      const ref = answers[h - 1].database;
      const sym = spgdbGetSpacegroupOperations(h);
      assert(sym !== null);
      assert.deepStrictEqual(sym.size, ref.symmetry.rotations.length, `hall ${h}: size`);
      // Same operations in the same (database) order; translations are exact twelfths.
      assert.deepStrictEqual(sym.rot, ref.symmetry.rotations, `hall ${h}: rotations`);
      for (let i = 0; i < sym.size; i++) {
        for (let k = 0; k < 3; k++) {
          assert(Math.abs(sym.trans[i][k] - ref.symmetry.translations[i][k]) < 1e-12, `hall ${h} op ${i}`);
        }
      }
      nOps += sym.size;
      const t = spgdbGetSpacegroupType(h);
      const r = ref.type;
      assert.deepStrictEqual(
        [
          t.number,
          t.schoenflies,
          t.hallSymbol,
          t.international,
          t.internationalFull,
          t.internationalShort,
          t.choice,
        ],
        [
          r.number,
          r.schoenflies,
          r.hall_symbol,
          r.international,
          r.international_full,
          r.international_short,
          r.choice,
        ],
        `hall ${h}: type`,
      );
      // pointgroup_number indexes spglib's point-group table (pointgroup.c order).
      const pg = ptgGetPointgroup(t.pointgroupNumber);
      assert.deepStrictEqual(pg.symbol.trim(), r.pointgroup_international, `hall ${h}: point group`);
      assert.deepStrictEqual(
        pg.schoenflies.trim(),
        r.pointgroup_schoenflies,
        `hall ${h}: point group (Schoenflies)`,
      );
      pointgroupChecked++;
    }
    assert.deepStrictEqual(nOps, 7389 - 1); // the flat table holds a dummy entry at 0
    assert.deepStrictEqual(pointgroupChecked, 530);
  },
});

Deno.test("spg_database: operation index is the cumulative layout of the flat table", () => {
  let next = 1;
  for (let h = 1; h <= 530; h++) {
    const [n, start] = spgdbGetOperationIndex(h);
    assert.deepStrictEqual(start, next, `hall ${h}`);
    next += n;
  }
  assert.deepStrictEqual(spgdbGetOperationIndex(0), [0, 0]);
  // Hall 530 (Ia-3d): 96 operations; 523 (Fm-3m): 192.
  assert.deepStrictEqual(spgdbGetOperationIndex(530)[0], 96);
  assert.deepStrictEqual(spgdbGetOperationIndex(523)[0], 192);
});

Deno.test("spg_database: decoding of the ternary/duodecimal encoding", () => {
  // Identity with no translation: digits (2,1,1,1,2,1,1,1,2) in base 3.
  const id = 2 * 6561 + 2187 + 729 + 243 + 2 * 81 + 27 + 9 + 3 + 2;
  assert.deepStrictEqual(spgdbDecodeSymmetry(id), {
    rot: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    trans: [0, 0, 0],
  });
  // -1 with translation (1/2, 1/4, 3/4): t = 6·144 + 3·12 + 9.
  const inv = (6 * 144 + 3 * 12 + 9) * 19683 +
    (0 * 6561 + 1 * 2187 + 1 * 729 + 1 * 243 + 0 * 81 + 1 * 27 + 1 * 9 + 1 * 3 + 0);
  assert.deepStrictEqual(spgdbDecodeSymmetry(inv), {
    rot: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
    trans: [0.5, 0.25, 0.75],
  });
  // The first operation of every Hall setting is the identity.
  for (let h = 1; h <= 530; h++) {
    const op = spgdbGetOperation(spgdbGetOperationIndex(h)[1]);
    assert.deepStrictEqual(op.rot, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    assert.deepStrictEqual(op.trans, [0, 0, 0]);
  }
});

Deno.test("spg_database: centring column as spglib 2.0.2's table has it", () => {
  // Hand-checked against the lattice letter of the Hall symbol. spglib's table marks the
  // B-centred settings PRIMITIVE and the rhombohedral-axes settings (P 3*) PRIMITIVE.
  const expected: Record<string, number> = {
    P: Centering.PRIMITIVE,
    A: Centering.A_FACE,
    B: Centering.PRIMITIVE,
    C: Centering.C_FACE,
    I: Centering.BODY,
    F: Centering.FACE,
    R: Centering.R_CENTER,
  };
  for (let h = 1; h <= 530; h++) {
    const t = spgdbGetSpacegroupType(h);
    const letter = t.hallSymbol.replace(/^-/, "")[0];
    assert.deepStrictEqual(t.centering, expected[letter], `hall ${h} ${t.hallSymbol}`);
  }
  assert.deepStrictEqual(spgdbGetSpacegroupType(433).centering, Centering.R_CENTER); // R 3 (hexagonal axes)
  assert.deepStrictEqual(spgdbGetSpacegroupType(434).centering, Centering.PRIMITIVE); // P 3* (rhombohedral axes)
  assert.deepStrictEqual(spgdbGetSpacegroupType(1).pointgroupNumber, 1);
  assert.deepStrictEqual(spgdbGetSpacegroupType(530).pointgroupNumber, 32);
});

Deno.test("spg_database: out-of-range Hall numbers", () => {
  for (const h of [0, -1, 531, 1000]) {
    const t = spgdbGetSpacegroupType(h);
    assert.deepStrictEqual(t.number, 0);
    assert.deepStrictEqual(t.hallSymbol, "");
    assert.deepStrictEqual(t.centering, Centering.CENTERING_ERROR);
    assert.deepStrictEqual(spgdbGetSpacegroupOperations(h), null);
  }
});

Deno.test("spg_database: spgdbRemoveSpace trims trailing blanks only", () => {
  assert.deepStrictEqual(spgdbRemoveSpace("P 2y            ", 17), { symbol: "P 2y", position: 3 });
  assert.deepStrictEqual(spgdbRemoveSpace("      ", 7), { symbol: "", position: -1 });
  assert.deepStrictEqual(spgdbRemoveSpace("R 3 2=", 17), { symbol: "R 3 2=", position: 5 });
  // The quote of the hexagonal-axes Hall symbols is stored as '=' and restored.
  assert.deepStrictEqual(spgdbGetSpacegroupType(444).hallSymbol, 'R 3 2"');
});
