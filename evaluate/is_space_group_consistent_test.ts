import assert from "node:assert/strict";
import { postprocessCif } from "../postprocess/postprocess.ts";
import { isSpaceGroupConsistent } from "./is_space_group_consistent.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("isSpaceGroupConsistent() compares the stated symbol with the one found at symprec 0.1", async (t) => {
  const nacl = postprocessCif(NACL_RAW);
  await t.step("rock salt after postprocess", () => assert.equal(isSpaceGroupConsistent(nacl), true));
  // without the operators the CIF holds a primitive-cubic Na/Cl pair: Pm-3m, not Fm-3m
  await t.step("before postprocess", () => assert.equal(isSpaceGroupConsistent(NACL_RAW), false));
});

Deno.test("isSpaceGroupConsistent() fails like spglib when same-species atoms overlap", () => {
  const nacl = postprocessCif(NACL_RAW).replace(
    "Cl Cl1 4 0.5000 0.5000 0.5000 1",
    "Cl Cl1 4 0.5000 0.5000 0.5000 1\nCl Cl2 4 0.5100 0.5000 0.5000 1",
  );
  // the spglib port refuses the cell itself, for spglib's reason (python spglib: get_error_message())
  assert.throws(
    () => isSpaceGroupConsistent(nacl),
    /TypeError: 'NoneType' object is not subscriptable \(.*too close distance between atoms\)\)$/,
  );
});
