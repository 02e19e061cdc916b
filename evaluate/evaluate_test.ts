import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { postprocessCif } from "../postprocess/postprocess.ts";
import {
  EVAL_COLUMNS,
  evaluate,
  evaluateCif,
  impliedVolume,
  metricsPathFor,
  rowsToCsv,
  unitCellVolume,
} from "./evaluate.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("evaluateCif() fills every column for rock salt", () => {
  const row = evaluateCif(postprocessCif(NACL_RAW), { file: "nacl.cif" });
  assert.deepEqual(Object.keys(row), [...EVAL_COLUMNS]);
  assert.equal(row.parse_ok, true);
  assert.equal(row.error, "");
  assert.equal(row.n_sites, 8);
  assert.equal(row.formula, "Na4 Cl4");
  assert.equal(row.reduced_formula, "NaCl");
  assert.equal(row.sg_symbol, "Fm-3m");
  assert.equal(row.sg_number, 225);
  assert.ok(Math.abs(row.implied_volume! - 5.6402 ** 3) < 1e-9);
  assert.equal(row.is_valid, true);
  assert.ok(row.gen_len! > 50);
});

Deno.test("evaluateCif() never throws and names the parse error", async (t) => {
  for (
    const [name, text] of [["empty", ""], ["garbage", "\u0000\u0001 loop_ loop_"], [
      "truncated",
      NACL_RAW.slice(0, 400),
    ]]
  ) {
    await t.step(name, () => {
      const row = evaluateCif(text, { file: `${name}.cif` });
      assert.equal(row.parse_ok, false);
      assert.notEqual(row.error, "");
      assert.equal(row.is_valid, false);
    });
  }
});

Deno.test("evaluateCif() counts an insensible cell invalid, as bin/evaluate_cifs.py skips it", () => {
  const row = evaluateCif(
    postprocessCif(NACL_RAW).replace(
      "_cell_angle_alpha 90.0000",
      "_cell_angle_alpha 90.0000\n_cell_angle_alpha 5.0",
    ),
  );
  assert.equal(row.is_sensible, false);
  assert.equal(row.is_valid, false);
});

Deno.test("unitCellVolume() is upstream's get_unit_cell_volume", () => {
  assert.ok(Math.abs(unitCellVolume(2, 3, 4, 90, 90, 90) - 24) < 1e-12);
  assert.throws(() => impliedVolume("_cell_length_a 1\n"), /could not find _cell_length_b/);
});

Deno.test("evaluate() writes one row per file and set metrics with their counts", () => {
  const dir = Deno.makeTempDirSync();
  const nacl = postprocessCif(NACL_RAW);
  Deno.writeTextFileSync(join(dir, "a.cif"), nacl);
  Deno.writeTextFileSync(join(dir, "b.cif"), nacl);
  Deno.writeTextFileSync(join(dir, "c.cif"), nacl.replace("structural NaCl", "structural KCl"));
  Deno.writeTextFileSync(join(dir, "d.cif"), "not a cif");
  const { rows, metrics } = evaluate(dir, { prompt: "Na2Cl2" });
  assert.deepEqual(rows.map((r) => r.file), ["a.cif", "b.cif", "c.cif", "d.cif"]);
  assert.equal(metrics.n_files, 4);
  assert.equal(metrics.n_parsed, 3);
  assert.equal(metrics.n_valid, 2);
  assert.equal(metrics.validity, 0.5);
  assert.equal(metrics.n_hit, 3);
  assert.equal(metrics.hit_rate, 0.75);
  assert.equal(metrics.n_unique_valid, 1);
  assert.match(metrics.uniqueness_method, /no structure matcher/);
  assert.equal(metrics.n_distinct_space_groups, 1);
  // a matcher that never matches makes every valid structure unique
  const m2 = evaluate(dir, { matcher: () => false }).metrics;
  assert.equal(m2.n_unique_valid, 2);
  assert.match(m2.uniqueness_method, /structure matcher/);
  const csv = rowsToCsv(rows);
  const parsed = parse(csv, { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(parsed[0]), [...EVAL_COLUMNS]);
  assert.equal(parsed[3].parse_ok, "false");
  assert.equal(metricsPathFor("/x/eval.csv"), "/x/eval.metrics.json");
});
