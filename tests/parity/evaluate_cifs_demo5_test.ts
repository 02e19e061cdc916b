/**
 * The summary upstream's `bin/evaluate_cifs.py` prints, on demo5's 600 raw samples
 * (`out/demo5/sample/<model>/Na2Cl2/t1/raw`, committed as `evaluate/testdata/demo5_*_raw.tar.gz`).
 *
 * Two independent references:
 * - the table upstream's script printed for these files (typed in here as
 *   upstream formats it: counts, `%.4f ± %.4f`, `%.3f ± %.3f`);
 * - per CIF, upstream's own `eval_cif` run on one CIF at a time
 *   (`evaluate/testdata/demo5_upstream_chains.jsonl`, made by
 *   `tools/evaluate_cifs_reference.py` from an upstream checkout at 8e81a86 with Debian's
 *   pymatgen 2022.11.7; the same with and without the AVX-512 pin).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import { crystallm } from "../cli.ts";
import { evaluateUpstream, type UpstreamChain, upstreamSummary } from "../../evaluate/evaluate.ts";
import { readCifSet } from "../../cif/cif_set.ts";

const TESTDATA = join(REPO_ROOT, "evaluate/testdata");
const raw = (model: string) => join(TESTDATA, `demo5_${model}_raw.tar.gz`);

/** What upstream's script printed, per model (avg. valid length "–" where nothing is valid). */
const UPSTREAM_TABLE: Record<string, [string, string, string, string, string, string]> = {
  baseline: ["84/200", "19/200", "0.8158 ± 0.3100", "62/200", "0/200", "–"],
  nacl_ft: ["133/200", "132/200", "1.0000 ± 0.0000", "132/200", "131/200", "257.328 ± 0.715"],
  mix154_ft: ["53/200", "2/200", "0.2088 ± 0.3311", "10/200", "0/200", "–"],
};

/** One line of the reference: upstream's chain of one CIF (its fields are {@link UpstreamChain}'s, no error). */
type RefChain = Omit<UpstreamChain, "error"> & { model: string; file: string };

function refChains(): RefChain[] {
  return Deno.readTextFileSync(join(TESTDATA, "demo5_upstream_chains.jsonl")).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
}

for (const model of Object.keys(UPSTREAM_TABLE)) {
  Deno.test(`demo5 ${model}: upstream's evaluate_cifs.py summary, exactly, and every CIF's chain`, () => {
    const chains: UpstreamChain[] = evaluateUpstream(raw(model));
    const names = readCifSet(raw(model)).map((c) => c.name);
    const ref = refChains().filter((r) => r.model === model);
    assert.equal(chains.length, 200);
    assert.deepEqual(names, ref.map((r) => r.file));
    const diffs: string[] = [];
    chains.forEach((c, i) => {
      const r = ref[i];
      const ours = [c.multiplicity_consistent, c.space_group_consistent, c.row, c.is_valid, c.gen_len];
      const theirs = [r.multiplicity_consistent, r.space_group_consistent, r.row, r.is_valid, r.gen_len];
      const scoreOk = (c.bond_length_score === null) === (r.bond_length_score === null) &&
        Math.abs((c.bond_length_score ?? 0) - (r.bond_length_score ?? 0)) < 1e-12;
      if (JSON.stringify(ours) !== JSON.stringify(theirs) || !scoreOk) {
        diffs.push(
          `${r.file}: ours ${JSON.stringify([...ours, c.bond_length_score])} (${c.error}) | upstream ${
            JSON.stringify([...theirs, r.bond_length_score])
          }`,
        );
      }
    });
    assert.deepEqual(diffs, [], `CIFs whose chain differs from upstream's eval_cif:\n${diffs.join("\n")}`);

    const u = upstreamSummary(chains);
    const pm = (m: number | null, s: number | null, d: number) =>
      m === null ? "–" : `${m.toFixed(d)} ± ${s!.toFixed(d)}`;
    const printed = [
      `${u.space_group_consistent}/${u.n}`,
      `${u.multiplicity_consistent}/${u.n}`,
      pm(u.bond_length_score_mean, u.bond_length_score_std, 4),
      `${u.bonds_reasonable}/${u.n}`,
      `${u.valid}/${u.n}`,
      pm(u.valid_gen_len_mean, u.valid_gen_len_std, 3),
    ];
    console.log(`${model}: ${printed.join(" | ")}`);
    assert.deepEqual(printed, UPSTREAM_TABLE[model]);
  });
}

Deno.test("crystallm evaluate --upstream-from prints upstream's summary over the raw CIFs", async () => {
  const out = Deno.makeTempDirSync();
  try {
    // the raw samples stand in for the evaluated folder too: what matters is which set is counted
    const r = await crystallm([
      "evaluate",
      raw("baseline"),
      "--out",
      join(out, "eval.csv"),
      "--no-match",
      "--upstream-from",
      raw("nacl_ft"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /as upstream's bin\/evaluate_cifs\.py counts over the raw CIFs/);
    assert.match(r.stdout, /space group consistent: 133\/200\n/);
    assert.match(r.stdout, /num valid: 131\/200\n/);
    assert.match(r.stdout, /avg\. valid generated length: 257\.328 ± 0\.715\n/);
    const metrics = JSON.parse(Deno.readTextFileSync(join(out, "eval.metrics.json")));
    assert.equal(metrics.upstream_evaluate_cifs_over, "raw");
    assert.equal(metrics.upstream_evaluate_cifs.valid, 131);
    assert.equal(metrics.n_files, 200);

    const bad = await crystallm([
      "evaluate",
      raw("baseline"),
      "--out",
      join(out, "e2.csv"),
      "--upstream-from",
      join(out, "nope"),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--upstream-from/);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});
