import assert from "node:assert/strict";
import { diffMetrics, formatDiffTable } from "./diff.ts";

Deno.test("diffMetrics() lists changed, added and removed metrics like dvc metrics diff", () => {
  const d = diffMetrics({ "m/validity": 0.9, "m/sg_unique": 3, "m/old": 1 }, { "m/validity": 0.8, "m/sg_unique": 3, "m/new": 2 });
  assert.deepEqual(d.map((x) => [x.metric, x.change]), [["m/new", null], ["m/old", null], ["m/validity", 0.8 - 0.9]]);
  assert.equal(diffMetrics({ a: 1 }, { a: 1 }, true).length, 1);
  assert.match(formatDiffTable(d, "runA", "runB"), /m\/validity\s+0\.9000\s+0\.8000\s+-0\.1000/);
});
