import assert from "node:assert/strict";
import { join } from "node:path";
import { Lattice, type Vec3 } from "../cif/lattice.ts";
import { Structure } from "../cif/structure.ts";
import { sharedPath } from "../core/paths.ts";
import {
  benchmarkMetrics,
  benchmarkMetricsFromFiles,
  generatedCifId,
  preprocessedEvidence,
  smactValidity,
  structureValidity,
} from "./benchmark_metrics.ts";

const oracle = new Map<number, string>(
  Deno.readTextFileSync(sharedPath("oracle/match/structures.jsonl")).trim().split("\n").map((l) => {
    const r = JSON.parse(l);
    return [r.index, r.cif_p1];
  }),
);
// pymatgen 2022.11.7 StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10).get_rms_dist(pred, gt)[0]
// on these oracle structures: 120→0 (noise 0.03 Å), 122→2, 211→2; 260→0 (noise 0.5 Å) gives None
const RMS_120_0 = 0.012276767043484453, RMS_122_2 = 0.00922977866292203, RMS_211_2 = 0.0067733663881032755;

function tinyStructure(species: string[], frac: Vec3[], a = 5): Structure {
  return new Structure(
    Lattice.fromParameters(a, a, a, 90, 90, 90),
    species.map((el, i) => ({ species: [[el, 1]], frac: frac[i] })),
  );
}

Deno.test("benchmarkMetrics() gives upstream's match rate and mean RMS at n = 1 and 2", () => {
  const generated = new Map([
    ["A", [oracle.get(260)!, oracle.get(120)!]],
    ["B", [oracle.get(122)!, oracle.get(211)!]],
  ]);
  const truth = new Map([["A", oracle.get(0)!], ["B", oracle.get(2)!], ["C", oracle.get(0)!]]);
  const report = benchmarkMetrics(generated, truth, { ns: [1, 2], validity: "structure" });
  const [n1, n2] = report.metrics;
  assert.equal(n1.match_rate, 0.5); // only B matches with one generation; C has none and is not counted
  assert.ok(Math.abs(n1.rms_dist! - RMS_122_2) < 1e-6, String(n1.rms_dist));
  assert.equal(n2.match_rate, 1);
  assert.ok(Math.abs(n2.rms_dist! - (RMS_120_0 + RMS_211_2) / 2) < 1e-6, String(n2.rms_dist));
  // the spread behind the snapshot tolerance: one match has none; two: |a - b| / sqrt(2)
  assert.equal(n1.rms_dist_sd, null);
  assert.ok(Math.abs(n2.rms_dist_sd! - Math.abs(RMS_120_0 - RMS_211_2) / Math.SQRT2) < 1e-6, String(n2.rms_dist_sd));
  assert.deepEqual(report.missing_ids, ["C"]);
  assert.equal(report.per_id.A[0], null);
  assert.throws(() => benchmarkMetrics(new Map([["D", []]]), truth), /could not find ID D/);
});

Deno.test("benchmarkMetrics() skips unsensible and unparsable generations but keeps their slots", () => {
  const bad = oracle.get(122)!.replace(/_cell_angle_alpha\s+\S+/, "_cell_angle_alpha 5.0");
  const report = benchmarkMetrics(
    new Map([["B", [bad, "garbage", oracle.get(122)!]]]),
    new Map([["B", oracle.get(2)!]]),
    {
      ns: [2, 3],
      validity: "structure",
    },
  );
  assert.equal(report.metrics[0].match_rate, 0);
  assert.equal(report.metrics[1].match_rate, 1);
});

Deno.test("structureValidity() and smactValidity() follow DiffCSP's is_valid", async (t) => {
  await t.step("sites closer than 0.5 Å, including across the cell boundary, are invalid", () => {
    assert.equal(structureValidity(tinyStructure(["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])), true);
    assert.equal(structureValidity(tinyStructure(["Na", "Cl"], [[0.01, 0, 0], [0.96, 0, 0]])), false);
  });
  await t.step("charge balance with a Pauling-consistent assignment", () => {
    assert.equal(smactValidity(tinyStructure(["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])), true);
    assert.equal(
      smactValidity(tinyStructure(["Na", "Na", "Cl"], [[0, 0, 0], [0.5, 0, 0], [0.5, 0.5, 0.5]])),
      false,
    );
    assert.equal(smactValidity(tinyStructure(["Cu", "Zn"], [[0, 0, 0], [0.5, 0.5, 0.5]])), true); // all metals
    assert.equal(smactValidity(tinyStructure(["C", "C"], [[0, 0, 0], [0.5, 0.5, 0.5]])), true); // one element
  });
});

Deno.test("benchmarkMetricsFromFiles() pins the ground truth and warns when it looks preprocessed", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const gen = join(dir, "gen"), truth = join(dir, "truth");
    Deno.mkdirSync(gen);
    Deno.mkdirSync(truth);
    // generation order comes from n, not from the name order ("B__10" sorts before "B__2")
    Deno.writeTextFileSync(join(gen, "B__2.cif"), oracle.get(211)!);
    Deno.writeTextFileSync(join(gen, "B__10.cif"), oracle.get(122)!);
    Deno.writeTextFileSync(join(truth, "B.cif"), oracle.get(2)!);
    const report = benchmarkMetricsFromFiles(gen, truth, { ns: [1], validity: "structure" });
    assert.ok(Math.abs(report.metrics[0].rms_dist! - RMS_211_2) < 1e-6);
    assert.match(report.ground_truth!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(report.ground_truth!.preprocessed_evidence, []);
    assert.equal(report.warnings.length, 0);
    assert.throws(
      () => benchmarkMetricsFromFiles(gen, truth, { expectSha256: "0".repeat(64) }),
      /its SHA-256 is [0-9a-f]{64}, expected 0{64}/,
    );
    Deno.writeTextFileSync(
      join(truth, "B.cif"),
      oracle.get(2)!.replace(
        "loop_\n",
        "loop_\n _atom_type_symbol\n _atom_type_electronegativity\n  Bi  2.0200\nloop_\n",
      ),
    );
    const again = benchmarkMetricsFromFiles(gen, truth, { ns: [1], validity: "structure" });
    assert.notEqual(again.ground_truth!.sha256, report.ground_truth!.sha256);
    assert.match(again.warnings[0], /GROUND TRUTH LOOKS PREPROCESSED/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("preprocessedEvidence() and generatedCifId() read names and content like upstream", () => {
  assert.deepEqual(generatedCifId("out/mp-1__3.cif"), ["mp-1", 3]);
  assert.deepEqual(generatedCifId("a__b__12.cif"), ["a__b", 12]);
  assert.throws(() => generatedCifId("plain.cif"), /id__n\.cif/);
  assert.equal(preprocessedEvidence([oracle.get(0)!]).length, 0);
  assert.equal(preprocessedEvidence(["data_x\n_cell_length_a 4.0563\n"]).length, 2);
});
