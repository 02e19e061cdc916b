/**
 * Preprocessing parity beyond the oracle's 120 cases. Upstream's own preprocessing
 * functions (retyped in `dataset_upstream_preprocess.py`) run under Debian's
 * python3-pymatgen 2022.11.7 on pymatgen's `CifWriter(symprec=0.1)` output for 39
 * mix154 prototypes plus synthetic cells with noble gases and rare elements (He, Ne,
 * Ar, Kr, Xe, Eu, Pm, Tc, Pu, Ac, Pa, Np). `preprocessCif` must give the same
 * bytes, or drop the same CIFs. Skipped when pymatgen is not importable.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { preprocessCif } from "../../data/preprocess.ts";
import { describeTextDiff } from "../../data/_test_utils.ts";
import { hasPython, runPython } from "../python.ts";
import { REPO_ROOT } from "../../core/paths.ts";

const HAS_PYMATGEN = hasPython(["pymatgen.core"]);

Deno.test({
  name: "preprocessCif() matches upstream's preprocessing run under pymatgen 2022.11.7",
  ignore: !HAS_PYMATGEN,
  async fn() {
    const dir = join(REPO_ROOT, "fixtures", "mix154");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".cif")).sort()
      .filter((_, i) => i % 4 === 0).slice(0, 40);
    const input = JSON.stringify(names.map((n) => [n, Deno.readTextFileSync(join(dir, n))]));
    const out = await runPython(
      [fileURLToPath(new URL("./dataset_upstream_preprocess.py", import.meta.url))],
      input,
    );
    const cases: { file: string; sym: string; pre: string | null }[] = JSON.parse(
      new TextDecoder().decode(out),
    );
    let same = 0;
    const diffs: string[] = [];
    for (const c of cases) {
      let got: string | null;
      try {
        got = preprocessCif(c.sym, { file: c.file });
      } catch {
        got = null;
      }
      if (got === c.pre) same++;
      else {diffs.push(`${c.file}: ${
          got === null || c.pre === null
            ? `dropped: ${got === null}/${c.pre === null}`
            : describeTextDiff(got, c.pre)
        }`);}
    }
    console.log(`preprocess vs upstream under pymatgen: ${same}/${cases.length}`);
    assert.deepEqual(diffs, []);
    assert.equal(cases.length, names.length + 8);
  },
});
