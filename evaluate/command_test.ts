import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import { postprocessCif } from "../postprocess/postprocess.ts";
import { NACL_RAW } from "./_test_utils.ts";

function crystallm(...args: string[]): Deno.CommandOutput {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
}

Deno.test("crystallm postprocess + evaluate write a row per CIF, the CSV and the metrics JSON", () => {
  const raw = Deno.makeTempDirSync(), pp = Deno.makeTempDirSync(), out = Deno.makeTempDirSync();
  Deno.writeTextFileSync(join(raw, "nacl.cif"), NACL_RAW);
  Deno.writeTextFileSync(join(raw, "bad.cif"), "data_X\n");
  const r1 = crystallm("postprocess", raw, pp);
  assert.equal(r1.code, 0, new TextDecoder().decode(r1.stderr));
  assert.equal(Deno.readTextFileSync(join(pp, "nacl.cif")), postprocessCif(NACL_RAW));
  assert.equal(JSON.parse(Deno.readTextFileSync(join(pp, "manifest.json"))).n_failures, 1);
  const csv = join(out, "sub", "eval.csv");
  const r2 = crystallm("evaluate", pp, "--out", csv, "--prompt", "NaCl");
  assert.equal(r2.code, 0, new TextDecoder().decode(r2.stderr));
  const lines = Deno.readTextFileSync(csv).trim().split("\n");
  assert.equal(
    lines[0],
    "file,parse_ok,error,n_sites,formula,reduced_formula,volume,implied_volume,sg_number,sg_symbol," +
      "is_sensible,formula_consistent,multiplicity_consistent,space_group_consistent,bond_length_score,is_valid,gen_len",
  );
  assert.equal(lines.length, 3);
  const metrics = JSON.parse(Deno.readTextFileSync(join(out, "sub", "eval.metrics.json")));
  assert.equal(metrics.n_files, 2);
  assert.equal(metrics.n_valid, 1);
  assert.equal(metrics.n_hit, 1);
  assert.match(new TextDecoder().decode(r2.stdout), /valid: +1\/2/);
});

Deno.test("crystallm evaluate exits 2 on a missing folder or a bad prompt", () => {
  assert.equal(crystallm("evaluate", "/nonexistent/dir", "--out", "/tmp/x.csv").code, 2);
  assert.equal(crystallm("evaluate", REPO_ROOT, "--out", "/tmp/x.csv", "--prompt", "na").code, 2);
});
