import assert from "node:assert/strict";
import { join } from "node:path";
import { hasPython, runPython } from "../pickle/_test_utils.ts";
import { crystallm } from "../tests/cli.ts";
import { sharedDir } from "../core/paths.ts";
import { readCifSet } from "../cif/cif_set.ts";
import { benchmarkPrompts } from "./benchmark.ts";
import { benchmarkProblems } from "./spec.ts";

const BENCH = join(sharedDir(), "data", "crystallm-benchmarks");

/** Upstream's prompts: prepare_csv_benchmark.py's CifWriter(symprec=0.1), preprocess.py's data_ formula. */
const REFERENCE = `
import csv, gzip, json, re, sys, warnings
warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter
req = json.load(sys.stdin)
out = {}
with gzip.open(req["csv"], "rt") as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i >= req["n"]:
            break
        cif = str(CifWriter(Structure.from_str(row["cif"], fmt="cif"), symprec=0.1))
        formula = re.search(r"_chemical_formula_sum\\s+('([^']+)'|(\\S+))", cif)
        formula = formula.group(2) or formula.group(3)
        out[row["material_id"]] = "data_" + formula.replace(" ", "") + "\\n"
print(json.dumps(out))
`;

Deno.test({
  name:
    "benchmarkPrompts() gives upstream's prompts (pymatgen CifWriter symprec=0.1) for perov_5 and carbon_24",
  ignore: !hasPython(["pymatgen"]) && !Deno.env.get("CI"),
  async fn() {
    for (const [name, n] of [["perov_5", 40], ["carbon_24", 20]] as const) {
      const csv = join(BENCH, name, "test.csv.gz");
      const ref = JSON.parse(new TextDecoder().decode(
        await runPython(REFERENCE, new TextEncoder().encode(JSON.stringify({ csv, n }))),
      ));
      const ours = Object.fromEntries(benchmarkPrompts(csv, n).map((p) => [p.id, p.prompt]));
      assert.equal(Object.keys(ours).length, n);
      assert.deepEqual(ours, ref, name);
    }
  },
});

Deno.test("benchmark: section problems are named", () => {
  assert.deepEqual(benchmarkProblems({ test: "x.csv", limit: 3 }), []);
  assert.deepEqual(benchmarkProblems({ test: "x.csv", limit: 0, n: 2 }), [
    'unknown key "benchmark.n" (allowed: test, limit)',
    "benchmark.limit must be an integer >= 1 or null, got 0",
  ]);
  assert.deepEqual(benchmarkProblems({}), ["benchmark.test must name the benchmark's test CSV"]);
});

Deno.test({
  name: "csp-perov5 ci: trained on the validation CSV only, 20 generations per test composition, audit OK",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "csp_perov5_" });
    try {
      const r = await crystallm(["audit", "csp-perov5", "--profile", "ci", "--out", out]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /audit: OK/);
      const dir = join(out, "csp-perov5");
      // the model never saw a test structure: its dataset is the validation CSV alone
      const ds = JSON.parse(await Deno.readTextFile(join(dir, "dataset", "manifest.json")));
      assert.deepEqual(Object.values(ds.inputs).map((i) => (i as { path: string }).path), [
        join(BENCH, "perov_5", "val.csv.gz"),
      ]);
      const valIds = new Set(readCifSet(join(BENCH, "perov_5", "val.csv.gz")).map((c) => c.name));
      const test = readCifSet(join(BENCH, "perov_5", "test.csv.gz")).slice(0, 24);
      assert.ok(test.every((c) => !valIds.has(c.name)));
      // <material_id>__<k>.cif for k = 1 … 20 of the first 24 test IDs, as upstream names them
      const raw = [...Deno.readDirSync(join(dir, "csp", "perov5_val", "raw"))].map((e) => e.name)
        .filter((n) => n.endsWith(".cif")).sort();
      const want = test.flatMap((c) =>
        Array.from({ length: 20 }, (_, k) => `${c.name.replace(/\.cif$/, "")}__${k + 1}.cif`)
      ).sort();
      assert.deepEqual(raw, want);
      const metrics = JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
      assert.equal(metrics["perov5_val/csp/n1/n"], 24);
      assert.equal(metrics["perov5_val/csp/n20/n"], 24);
      assert.ok(metrics["perov5_val/csp/n20/match_rate"] >= metrics["perov5_val/csp/n1/match_rate"]);
      // the scorer's own report beside the metrics
      const report = JSON.parse(
        await Deno.readTextFile(join(dir, "csp", "perov5_val", "metrics", "benchmark.json")),
      );
      assert.equal(Object.keys(report.per_id).length, 24);
      assert.ok(Object.values(report.per_id).every((v) => (v as unknown[]).length === 20));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
