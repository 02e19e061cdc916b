import assert from "node:assert/strict";
import { postprocessCif } from "../postprocess/postprocess.ts";
import { readCorpus } from "../tests/corpora.ts";
import { hasPymatgen } from "../tests/pymatgen.ts";
import { jsonLinesReference } from "../tests/python.ts";
import { bondLengthReasonablenessScore } from "./bond_length_reasonableness_score.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("bondLengthReasonablenessScore() scores rock salt 1 and a squeezed cell (×0.6) 0", () => {
  const nacl = postprocessCif(NACL_RAW);
  assert.equal(bondLengthReasonablenessScore(nacl), 1);
  assert.equal(bondLengthReasonablenessScore(nacl.replaceAll("5.6402", "3.3841")), 0);
  // stretched ×1.5 CrystalNN finds no bond at all, and upstream divides by zero
  assert.throws(
    () => bondLengthReasonablenessScore(nacl.replaceAll("5.6402", "8.4603")),
    /ZeroDivisionError/,
  );
});

Deno.test("bondLengthReasonablenessScore() throws as upstream: no bonds, dummy species", () => {
  // one atom per cell: every CrystalNN neighbour is an image of the site itself
  const po = postprocessCif(NACL_RAW).replace(/Cl Cl1 4 .*\n/, "").replace("Fm-3m", "Pm-3m");
  assert.throws(
    () =>
      bondLengthReasonablenessScore(
        po.replace(
          /_symmetry_equiv_pos_as_xyz\n[\s\S]*?loop_/,
          "_symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\nloop_",
        ),
      ),
    /ZeroDivisionError: division by zero/,
  );
  assert.throws(
    () => bondLengthReasonablenessScore(postprocessCif(NACL_RAW).replace("Cl Cl1", "Xx Cl1")),
    /AttributeError: element/,
  );
});

Deno.test({
  name:
    "bondLengthReasonablenessScore() agrees with live pymatgen CrystalNN on 12 perov_5 and 4 carbon_24 CIFs",
  ignore: !hasPymatgen(),
  fn: async () => {
    const cifs = [
      ...readCorpus("data/crystallm-benchmarks/perov_5/val.csv.gz", 12).map((r, i) => [`perov_${i}`, r.cif]),
      ...readCorpus("data/crystallm-benchmarks/carbon_24/val.csv.gz", 4).map((
        r,
        i,
      ) => [`carbon_${i}`, r.cif]),
    ] as [string, string][];
    const ref = await jsonLinesReference<
      { bond_length_reasonableness_score: { value?: number; error?: string } }
    >(
      "tools/pymatgen_eval_reference.py",
      cifs.map(([id, cif]) => ({ id, cif })),
      ["--bond-only"],
    );
    const diffs: string[] = [];
    cifs.forEach(([id, cif], i) => {
      const theirs = ref[i].bond_length_reasonableness_score;
      let ours: number | string;
      try {
        ours = bondLengthReasonablenessScore(cif);
      } catch (e) {
        ours = (e as Error).message;
      }
      const ok = typeof ours === "number"
        ? Math.abs(ours - (theirs.value ?? NaN)) < 1e-9
        : theirs.error !== undefined;
      if (!ok) diffs.push(`${id}: ours ${ours} | pymatgen ${JSON.stringify(theirs)}`);
    });
    assert.deepEqual(diffs, []);
  },
});
