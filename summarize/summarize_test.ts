import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { macroCsv, summarize, summaryCsv, summaryMarkdown, type EvalRecord } from "./summarize.ts";

const rec = (file: string, rf: string | null, sg: number | null, valid: boolean): EvalRecord => ({
  file,
  parse_ok: rf !== null,
  reduced_formula: rf,
  sg_number: sg,
  is_valid: valid,
});

Deno.test("summarize() counts validity, hits, uniqueness and diversity per cell, then macro means", () => {
  const s = summarize([
    {
      model: "base",
      prompt: "data_Na2Cl2",
      prompt_formula: "NaCl",
      rows: [
        rec("1", "NaCl", 225, true),
        rec("2", "NaCl", 225, true),
        rec("3", "NaCl", 221, true),
        rec("4", "Na2Cl3", 12, false),
        rec("5", null, null, false),
      ],
    },
    {
      model: "base",
      prompt: "data_Mg1O1",
      prompt_formula: "MgO",
      rows: [rec("1", "MgO", 225, true), rec("2", "MgO2", 12, true)],
      // a matcher said 1 and 2 are different structures
      unique_groups: [["1"], ["2"]],
    },
  ]);
  const [a, b] = s.rows;
  assert.deepEqual(
    [a.n, a.n_parse_ok, a.n_valid, a.validity, a.hits, a.hit_rate, a.n_unique, a.uniqueness, a.formula_unique, a.sg_unique],
    [5, 4, 3, 0.6, 3, 1, 2, 0.4, 2, 3],
  );
  assert.equal(a.uniqueness_method, "formula_spacegroup");
  assert.deepEqual([b.validity, b.hits, b.hit_rate, b.n_unique, b.uniqueness_method], [1, 1, 0.5, 2, "structure_matcher"]);
  assert.equal(s.macro.length, 1);
  assert.equal(s.macro[0].validity_mean, 0.8);
  assert.equal(s.macro[0].uniqueness_mean, (0.4 + 1) / 2);
  assert.equal(s.macro[0].formula_unique_mean, 2);
  assert.equal(s.macro[0].sg_unique_mean, 2.5);
  // the seed's "validity" was the parse rate: 4/5 and 2/2 parse
  assert.equal(s.macro[0].parse_rate_mean, (0.8 + 1) / 2);
  // CSV round trip keeps the rows
  const csv = parse(summaryCsv(s), { columns: true }) as Record<string, string>[];
  assert.equal(csv.length, 2);
  assert.equal(csv[0].validity, "0.6000");
  assert.equal(csv[1].model, "base");
  assert.match(macroCsv(s), /validity_mean,uniqueness_mean,formula_unique_mean,sg_unique_mean/);
  assert.match(summaryMarkdown(s, "t"), /\| base \| data_Na2Cl2 \|/);
});

Deno.test("summarize() carries upstream's evaluate_cifs.py counts as extra columns", () => {
  const upstream = {
    n: 2,
    space_group_consistent: 1,
    multiplicity_consistent: 2,
    bond_length_score_mean: 0.75,
    bond_length_score_std: 0.25,
    n_bond_length_score: 2,
    bonds_reasonable: 1,
    valid: 1,
    valid_gen_len_mean: 250,
    valid_gen_len_std: 0,
    valid_gen_len_max: 250,
  };
  const s = summarize([
    { model: "m", prompt: "p", rows: [rec("1", "NaCl", 225, true), rec("2", null, null, false)], upstream },
    { model: "m", prompt: "q", rows: [rec("3", "NaCl", 225, true)] },
  ]);
  assert.equal(s.rows[0].upstream_sg_consistent, 1);
  assert.equal(s.rows[0].upstream_multiplicity_consistent, 2);
  assert.equal(s.rows[0].upstream_bond_score_mean, 0.75);
  assert.equal(s.rows[0].upstream_valid_gen_len_mean, 250);
  assert.equal(s.rows[1].upstream_valid, null);
  const csv = parse(summaryCsv(s), { columns: true }) as Record<string, string>[];
  assert.equal(csv[0].upstream_bonds_reasonable, "1");
  assert.equal(csv[0].upstream_valid, "1");
});
