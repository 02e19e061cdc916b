import assert from "node:assert/strict";
import { auditMetrics, formatAuditTable, headerMismatches, makeSnapshot, parseSnapshot, toleranceFor } from "./snapshot.ts";

Deno.test("toleranceFor() follows binomial noise with a one-sample floor", () => {
  // p = 0.5, n = 100: SE = 0.05, 3 SE = 0.15
  assert.equal(toleranceFor("rate", 0.5, 100).abs, 0.15);
  // p = 1 has no binomial spread: the floor of one sample in ten
  assert.equal(toleranceFor("rate", 1, 10).abs, 0.1);
  assert.equal(toleranceFor("count", 16, 100).abs, 12);
  assert.equal(toleranceFor("count", 0, 100).abs, 2);
  assert.equal(toleranceFor("loss", 1.2, 1).rel, 0.05);
  // a mean over m = 100 matched compositions with sd 0.02: SE 0.002, 3 SE = 0.006
  assert.equal(toleranceFor("mean", 0.05, 100, 0.02).abs, 0.006);
  // one match has no spread: a third of the value
  assert.equal(toleranceFor("mean", 0.06, 1, null).abs, 0.02);
});

Deno.test("auditMetrics() flags drift beyond tolerance, missing and new metrics", () => {
  const snap = makeSnapshot("nacl10", {
    "nacl10/validity": { value: 1, kind: "rate" },
    "nacl10/hit_rate": { value: 0.9, kind: "rate" },
    "nacl10/sg_unique": { value: 3, kind: "count" },
  }, { seed: 123, n: 10 });
  const ok = auditMetrics(snap, { "nacl10/validity": 0.9, "nacl10/hit_rate": 1, "nacl10/sg_unique": 5 });
  assert.ok(ok.ok, formatAuditTable(ok));
  const drift = auditMetrics(snap, { "nacl10/validity": 0.5, "nacl10/sg_unique": 3, "nacl10/extra": 1 });
  assert.equal(drift.ok, false);
  const status = Object.fromEntries(drift.lines.map((l) => [l.metric, l.status]));
  assert.deepEqual(status, {
    "nacl10/validity": "DRIFT",
    "nacl10/hit_rate": "missing",
    "nacl10/sg_unique": "ok",
    "nacl10/extra": "new",
  });
  const table = formatAuditTable(drift);
  assert.match(table, /^metric\s+snapshot\s+current\s+diff\s+tolerance\s+status/);
  assert.match(table, /nacl10\/validity\s+1\s+0\.5000\s+-0\.5000\s+±0\.1\s+DRIFT/);
});

Deno.test("auditMetrics() fails on new metrics unless allowNew, and on an empty snapshot", () => {
  const snap = makeSnapshot("x", { "m/validity": { value: 1, kind: "rate" } }, { seed: 1, n: 10 });
  const cur = { "m/validity": 1, "m/uniqueness": 0.5, "m/hit_rate": null };
  assert.equal(auditMetrics(snap, cur).ok, false);
  const allowed = auditMetrics(snap, cur, { allowNew: true });
  assert.equal(allowed.ok, true);
  // a metric null in the run and absent from the snapshot is absent from both
  assert.deepEqual(allowed.lines.map((l) => l.status), ["ok", "new"]);
  assert.equal(auditMetrics({ ...snap, metrics: {} }, {}).ok, false);
});

Deno.test("parseSnapshot() says what is wrong; headerMismatches() compares experiment, n, seed, profile", () => {
  assert.throws(() => parseSnapshot("{", "s.json"), /Cannot read snapshot s\.json: invalid JSON/);
  assert.throws(() => parseSnapshot(JSON.stringify({ experiment: "x", seed: 1, n: 2 }), "s.json"), /metrics is missing/);
  const snap = makeSnapshot("x", { "m/v": { value: 1, kind: "rate" } }, { seed: 1, n: 2, provenance: { profile: "ci" } });
  assert.deepEqual(parseSnapshot(JSON.stringify(snap), "s.json"), snap);
  assert.deepEqual(headerMismatches(snap, { experiment: "x", n: 2, seed: 1, profile: "ci" }), []);
  assert.deepEqual(headerMismatches(snap, { experiment: "y", n: 3, seed: 1, profile: null }), [
    "experiment: snapshot x, run y",
    "n: snapshot 2, run 3",
    "profile: snapshot ci, run none",
  ]);
});
