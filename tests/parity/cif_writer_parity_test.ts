/**
 * The P1 writer against pymatgen's `CifWriter`: for real CIFs (the oracle's
 * symmetrized perov_5/carbon_24 CIFs and AFLOW prototypes) pymatgen reads the
 * file and writes `str(CifWriter(s))`; we do the same with `structureFromCif`
 * and `writeCif` and compare the text byte for byte.
 */
import assert from "node:assert/strict";
import { structureFromCif } from "../../cif/from_cif.ts";
import { writeCif } from "../../cif/write_cif.ts";
import { readCorpus } from "../corpora.ts";
import { hasPymatgen, pymatgenReference } from "../pymatgen.ts";
import { sharedPath } from "../shared.ts";

const HAVE = hasPymatgen();

Deno.test({
  name: "writeCif(structureFromCif(x)) is byte-identical to pymatgen's CifWriter(Structure.from_str(x))",
  ignore: !HAVE && !Deno.env.get("CI"),
  async fn() {
    const oracle = Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl")).trim().split("\n")
      .map((l) => JSON.parse(l) as { id: string; orig_cif: string });
    const cifs: [string, string][] = oracle.map((r) => [`oracle:${r.id}`, r.orig_cif]);
    for (const row of readCorpus("data/aflow-prototypes/prototypes.csv.gz", 120)) {
      cifs.push([`aflow:${row.id}`, row.cif]);
    }
    const ref = await pymatgenReference(cifs);
    let same = 0, n = 0;
    const diffs: string[] = [];
    for (let i = 0; i < cifs.length; i++) {
      if (!ref[i].ok) continue;
      n++;
      let ours: string;
      try {
        ours = writeCif(structureFromCif(cifs[i][1], { file: cifs[i][0] }));
      } catch (e) {
        diffs.push(`${cifs[i][0]}: we fail: ${(e as Error).message}`);
        continue;
      }
      if (ours === ref[i].p1_cif) same++;
      else {
        const a = ours.split("\n"), b = ref[i].p1_cif!.split("\n");
        const k = a.findIndex((l, j) => l !== b[j]);
        diffs.push(
          `${cifs[i][0]} line ${k + 1}: ours ${JSON.stringify(a[k])} pymatgen ${JSON.stringify(b[k])}`,
        );
      }
    }
    console.log(`P1 CifWriter parity: ${same}/${n} byte-identical`);
    if (diffs.length) console.log("  " + diffs.slice(0, 20).join("\n  "));
    assert.ok(same / n >= 0.99, `P1 writer parity ${same}/${n} below 99%`);
  },
});
