import assert from "node:assert/strict";
import { sharedPath } from "../core/paths.ts";
import { opToXyz, spaceGroupOps, spaceGroupSymbols, xyzToOp } from "./space_group_ops.ts";

Deno.test("spaceGroupOps() matches upstream's operator order in oracle/eval/symmetry_ops.json", () => {
  const oracle = JSON.parse(Deno.readTextFileSync(sharedPath("oracle/eval/symmetry_ops.json"))) as {
    space_groups: Record<string, { ops: string[]; int_number: number }>;
  };
  let same = 0;
  const diffs: string[] = [];
  for (const [sym, ref] of Object.entries(oracle.space_groups)) {
    const ours = spaceGroupOps(sym);
    if (ours && ours.number === ref.int_number && JSON.stringify(ours.ops) === JSON.stringify(ref.ops)) {
      same++;
    } else diffs.push(sym);
  }
  console.log(`space-group operator table: ${same}/${Object.keys(oracle.space_groups).length} identical`);
  assert.deepEqual(diffs, []);
});

Deno.test("spaceGroupSymbols() lists the 230 types once each", () => {
  const syms = spaceGroupSymbols();
  assert.equal(syms.length, 230);
  assert.deepEqual(
    [...new Set(syms.map((s) => spaceGroupOps(s)!.number))].sort((a, b) => a - b),
    Array.from({ length: 230 }, (_, i) => i + 1),
  );
  assert.equal(spaceGroupOps("Fm-3m")!.ops.length, 192);
  assert.equal(spaceGroupOps("P6_3/mmc")!.number, 194);
  assert.equal(spaceGroupOps("nonsense"), undefined);
});

Deno.test("xyzToOp() and opToXyz() round-trip every operator of the table", () => {
  for (const sym of spaceGroupSymbols()) {
    for (const xyz of spaceGroupOps(sym)!.ops) assert.equal(opToXyz(xyzToOp(xyz)), xyz);
  }
  const op = xyzToOp("-y+1/2, x-y, z+2/3");
  assert.deepEqual(op.rot, [[0, -1, 0], [1, -1, 0], [0, 0, 1]]);
  assert.deepEqual(op.trans, [0.5, 0, 2 / 3]);
});
