import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { gunzipSync } from "fflate";
import { hasShared, REPO_ROOT, sharedPath } from "../core/paths.ts";
import { preprocessCif } from "./preprocess.ts";
import { encodeCif, loadTokenizer } from "./tokenizer.ts";
import {
  B1_A0,
  B1_K0,
  B1_K0P,
  B2_K0,
  B2_K0P,
  B2_V0,
  birchMurnaghan3,
  naclStates,
  vinet,
} from "../tools/gen_nacl10.ts";
import { selectMix154 } from "../tools/gen_mix154.ts";

const NACL10 = join(REPO_ROOT, "fixtures", "nacl10");
const MIX154 = join(REPO_ROOT, "fixtures", "mix154");
const AFLOW = "data/aflow-prototypes/prototypes.csv.gz";

Deno.test("fixtures/nacl10 holds the ten states of its README, each tokenizable", async (t) => {
  const states = naclStates();
  assert.equal(states.length, 10);
  const readme = await Deno.readTextFile(join(NACL10, "README.md"));
  for (const s of states) {
    await t.step(s.file, () => {
      const cif = Deno.readTextFileSync(join(NACL10, s.file));
      assert.ok(cif.includes(`_cell_length_a   ${s.a.toFixed(8)}\n`), `a = ${s.a}`);
      assert.ok(cif.includes(`_symmetry_space_group_name_H-M   ${s.phase === "B1" ? "Fm-3m" : "Pm-3m"}\n`));
      assert.ok(cif.includes(`_chemical_formula_sum   '${s.phase === "B1" ? "Na4 Cl4" : "Na1 Cl1"}'\n`));
      assert.ok(
        readme.includes(`| ${s.file} |`) && readme.includes(`| ${s.a.toFixed(4)} |`),
        "listed in README",
      );
      // the lattice parameter really is the EOS solution at the stated pressure (to the 4-decimal rounding)
      const p = s.phase === "B1"
        ? birchMurnaghan3(s.a / B1_A0, B1_K0, B1_K0P)
        : vinet(s.a / Math.cbrt(B2_V0), B2_K0, B2_K0P);
      assert.ok(Math.abs(p - s.pressureGPa) < 0.01, `P(a) = ${p} GPa, stated ${s.pressureGPa}`);
      const r = encodeCif(preprocessCif(cif, { file: s.file }));
      assert.equal(r.unkCount, 0);
      assert.equal(
        loadTokenizer().decode(r.ids.slice(0, 5)),
        s.phase === "B1" ? "data_Na4Cl4" : "data_Na1Cl1",
      );
    });
  }
});

Deno.test("fixtures/mix154 is 154 CIFs of varied space groups, listed in index.csv", () => {
  const index = parseCsv(Deno.readTextFileSync(join(MIX154, "index.csv")), { columns: true }) as Record<
    string,
    string
  >[];
  assert.equal(index.length, 154);
  const files = [...Deno.readDirSync(MIX154)].filter((e) => e.name.endsWith(".cif")).map((e) => e.name)
    .sort();
  assert.deepEqual(files, index.map((r) => r.file).sort());
  assert.ok(new Set(index.map((r) => r.aflow.split("_")[2])).size >= 90, "at least 90 space groups");
  assert.ok(new Set(index.map((r) => r.formula)).size >= 140, "at least 140 formulas");
});

Deno.test({
  name: "fixtures/mix154 is the seeded draw from the AFLOW corpus, byte for byte",
  ignore: !hasShared(AFLOW),
  fn() {
    const rows = parseCsv(new TextDecoder().decode(gunzipSync(Deno.readFileSync(sharedPath(AFLOW)))), {
      columns: true,
    }) as { id: string; aflow: string; cif: string; formula: string }[];
    const picked = selectMix154(rows as never);
    const index = parseCsv(Deno.readTextFileSync(join(MIX154, "index.csv")), { columns: true }) as Record<
      string,
      string
    >[];
    assert.deepEqual(picked.map((r) => r.id), index.map((r) => r.id));
    for (const r of picked) {
      assert.equal(Deno.readTextFileSync(join(MIX154, `${r.id}_${r.aflow}.cif`)), r.cif, r.id);
    }
  },
});
