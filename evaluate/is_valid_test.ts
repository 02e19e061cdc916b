import assert from "node:assert/strict";
import { postprocessCif } from "../postprocess/postprocess.ts";
import { isValid } from "./is_valid.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("isValid() needs consistent formula, multiplicities, bond lengths and space group", async (t) => {
  const nacl = postprocessCif(NACL_RAW);
  await t.step("rock salt", () => assert.equal(isValid(nacl), true));
  await t.step(
    "formula",
    () => assert.equal(isValid(nacl.replace("structural NaCl", "structural NaCl2")), false),
  );
  await t.step("multiplicity", () => assert.equal(isValid(nacl.replace("Cl Cl1 4", "Cl Cl1 2")), false));
  await t.step(
    "bond lengths (cell ×0.6)",
    () => assert.equal(isValid(nacl.replaceAll("5.6402", "3.3841")), false),
  );
  await t.step(
    "bond cutoff lowered",
    () =>
      assert.equal(isValid(nacl.replaceAll("5.6402", "3.3841"), { bondLengthAcceptabilityCutoff: 0 }), true),
  );
});
