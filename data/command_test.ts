import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HAS_ORACLE, ORACLE_DIR, oracleCases } from "./_test_utils.ts";
import { sharedDir } from "../core/paths.ts";

// the `crystallm` CLI, whose `data` command is ./command.ts
const COMMAND = fileURLToPath(new URL("../tasks/crystallm.ts", import.meta.url));

async function crystallm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", COMMAND, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "crystallm data preprocess/tokenize reproduce the oracle through the CLI",
  ignore: !HAS_ORACLE,
  async fn(t) {
    const tmp = await Deno.makeTempDir();
    try {
      const cases = oracleCases().slice(0, 12);
      await Deno.mkdir(join(tmp, "in"));
      for (const c of cases) await Deno.writeTextFile(join(tmp, "in", `${c.id}.cif`), c.orig_cif);
      await Deno.writeTextFile(join(tmp, "in", "bad.cif"), "data_bad\n_cell_formula_units_Z 0\n");
      await t.step("preprocess writes upstream's text under the same names; a bad file exits 1", async () => {
        const r = await crystallm("data", "preprocess", join(tmp, "in"), "--out", join(tmp, "pre"));
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /skipped .*bad\.cif \(z_zero\)/);
        for (const c of cases) {
          assert.equal(await Deno.readTextFile(join(tmp, "pre", `${c.id}.cif`)), c.preprocessed_cif);
        }
      });
      await t.step("tokenize --ids prints one {file, ids} line per file with the oracle's ids", async () => {
        const files = cases.map((c) => join(tmp, "pre", `${c.id}.cif`));
        const r = await crystallm("data", "tokenize", ...files, "--ids");
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.deepEqual(lines.map((l) => Object.keys(l)), cases.map(() => ["file", "ids"]));
        lines.forEach((l, i) => assert.deepEqual(l.ids, cases[i].token_ids, cases[i].id));
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "crystallm data subset: too few CIFs exits 2 unless --allow-fewer",
  ignore: !HAS_ORACLE,
  async fn() {
    const tmp = await Deno.makeTempDir();
    try {
      const inDir = join(sharedDir(), ORACLE_DIR);
      const r = await crystallm(
        "data",
        "subset",
        "--in",
        inDir,
        "--out",
        join(tmp, "s"),
        "--n-train",
        "500",
        "--n-val",
        "2",
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Cannot take 500 train CIFs: only 97 have at least 1 tokens/);
      const ok = await crystallm(
        "data",
        "subset",
        "--in",
        inDir,
        "--out",
        join(tmp, "s"),
        "--n-train",
        "500",
        "--n-val",
        "2",
        "--allow-fewer",
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /train 97 CIFs/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("crystallm data build: usage mistakes exit 2", async () => {
  const r = await crystallm("data", "build", "--source", "/nonexistent/x.csv", "--out", "/tmp/never");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot read source \/nonexistent\/x\.csv: no such file or directory/);
  const f = await crystallm("data", "build", "--source", ".", "--out", "/tmp/never", "--val-fraction", "2");
  assert.equal(f.code, 2);
  assert.match(f.stderr, /--val-fraction must be in \[0, 1\]/);
});
