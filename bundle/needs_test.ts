import assert from "node:assert/strict";
import { REPO_ROOT } from "../core/paths.ts";
import { bundleNeeds, experimentNeeds } from "./needs.ts";

Deno.test("experimentNeeds() lists nacl10's fixtures and snapshots", () => {
  const n = experimentNeeds(REPO_ROOT, "nacl10");
  assert.deepEqual(n, {
    yaml: "experiments/nacl10.yaml",
    snapshots: ["snapshots/nacl10.ci.json", "snapshots/nacl10.json"],
    files: ["fixtures/base/ckpt.pt", "fixtures/nacl10"],
    shared: [],
    runs: [],
  });
});

Deno.test("bundleNeeds() follows run: outputs to the experiments that make them", () => {
  const all = bundleNeeds(REPO_ROOT, ["paper-grade"]);
  // paper-grade samples demo5's and mix10000's models; demo5 trains one model on nacl10's
  // token files (experiments/demo5.yaml), mix10000 subsets pretrain's dataset
  assert.deepEqual([...all.keys()], ["demo5", "mix10000", "nacl10", "paper-grade", "pretrain"]);
  assert.deepEqual(all.get("demo5")!.runs, ["nacl10"]);
  assert.deepEqual(all.get("paper-grade")!.runs, ["demo5", "mix10000"]);
  assert.ok(all.get("pretrain")!.shared.includes("data/aflow-prototypes/prototypes.csv.gz"));
  assert.ok(all.get("demo5")!.files.includes("fixtures/mix154"));
});

Deno.test("experimentNeeds() names the known experiments when one is missing", () => {
  assert.throws(() => experimentNeeds(REPO_ROOT, "nacl11"), /no experiments\/nacl11\.yaml \(known: .*nacl10/);
});
