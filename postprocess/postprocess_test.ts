import assert from "node:assert/strict";
import { sharedPath } from "../core/paths.ts";
import { postprocessDir } from "./postprocess_dir.ts";
import {
  extractSpaceGroupSymbol,
  postprocess,
  POSTPROCESS_WARNING,
  removeAtomPropsBlock,
  replaceSymmetryOperators,
} from "./postprocess.ts";

interface OracleCase {
  case_id: string;
  input_cif: string;
  postprocess: { output: string; ok: boolean; printed: string };
}

function oracleCases(): OracleCase[] {
  return Deno.readTextFileSync(sharedPath("oracle/eval/cases.jsonl")).split("\n").filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

Deno.test("postprocess() is byte-identical to upstream bin/postprocess.py on the oracle cases", () => {
  const cases = oracleCases();
  const bad: string[] = [];
  for (const c of cases) {
    const r = postprocess(c.input_cif, { file: c.case_id });
    // the oracle stored what upstream printed with trailing whitespace stripped
    if (
      r.output !== c.postprocess.output || r.ok !== c.postprocess.ok ||
      r.printed.trimEnd() !== c.postprocess.printed.trimEnd()
    ) {
      bad.push(c.case_id);
    }
  }
  assert.deepEqual(bad, [], `${bad.length}/${cases.length} differ; first: ${bad.slice(0, 5)}`);
});

Deno.test("extractSpaceGroupSymbol() reads quoted and bare symbols and throws without one", async (t) => {
  await t.step(
    "bare",
    () => assert.equal(extractSpaceGroupSymbol("_symmetry_space_group_name_H-M Fm-3m\n"), "Fm-3m"),
  );
  await t.step(
    "quoted",
    () => assert.equal(extractSpaceGroupSymbol("_symmetry_space_group_name_H-M 'P 1'\n"), "P 1"),
  );
  await t.step(
    "missing",
    () =>
      assert.throws(() => extractSpaceGroupSymbol("data_X\n"), /could not extract space group from:\ndata_X/),
  );
});

Deno.test("replaceSymmetryOperators() rejects an unknown symbol and leaves other loops alone", () => {
  assert.throws(() => replaceSymmetryOperators("", "Xyz"), /Bad international symbol Xyz/);
  const cif = "loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'\n2 '-x, -y, -z'\n";
  assert.ok(replaceSymmetryOperators(cif, "P-1").startsWith("loop_\n _symmetry_equiv_pos_site_id"));
  assert.equal(replaceSymmetryOperators("no loop\n", "Fm-3m"), "no loop\n");
});

Deno.test("removeAtomPropsBlock() keeps a CIF without the block unchanged", () => {
  const cif = "data_X\n_symmetry_space_group_name_H-M P1\n";
  assert.equal(removeAtomPropsBlock(cif), cif);
});

Deno.test("postprocess() keeps a failing CIF behind the warning comment and a P 1 CIF's loop", () => {
  const r = postprocess("garbage", { file: "g.cif" });
  assert.equal(r.ok, false);
  assert.equal(r.output, POSTPROCESS_WARNING + "garbage");
  assert.equal(
    r.printed,
    "error post-processing CIF file 'g.cif': could not extract space group from:\ngarbage",
  );
  const p1 =
    "data_X\n_symmetry_space_group_name_H-M 'P 1'\nloop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n1 'x, y, z'\n";
  assert.equal(postprocess(p1).output, p1);
});

Deno.test("postprocessDir() reads upstream's .tar.gz of generated CIFs like a folder", () => {
  const src = Deno.makeTempDirSync(), fromDir = Deno.makeTempDirSync(), fromTar = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${src}/a.cif`, "data_X\n");
  Deno.copyFileSync("fixtures/nacl10/NaCl_B1_0GPa_298K.cif", `${src}/b.cif`);
  const tgz = `${Deno.makeTempDirSync()}/gen.tar.gz`;
  assert.ok(
    new Deno.Command("tar", { args: ["-czf", tgz, "-C", src, "a.cif", "b.cif"] }).outputSync().success,
  );
  const quiet = { onFailure: () => {} };
  const a = postprocessDir(src, fromDir, quiet), b = postprocessDir(tgz, fromTar, quiet);
  assert.equal(b.n_files, 2);
  assert.deepEqual(b.failures, a.failures);
  for (const n of ["a.cif", "b.cif"]) {
    assert.equal(Deno.readTextFileSync(`${fromTar}/${n}`), Deno.readTextFileSync(`${fromDir}/${n}`));
  }
});
