import assert from "node:assert/strict";
import { isSensible } from "./is_sensible.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("isSensible() accepts rock salt and rejects cells out of bounds", async (t) => {
  await t.step("rock salt", () => assert.equal(isSensible(NACL_RAW), true));
  await t.step(
    "short axis",
    () => assert.equal(isSensible(NACL_RAW.replace("_cell_length_b 5.6402", "_cell_length_b 0.4")), false),
  );
  await t.step(
    "long axis",
    () => assert.equal(isSensible(NACL_RAW.replace("_cell_length_c 5.6402", "_cell_length_c 1000.5")), false),
  );
  await t.step(
    "flat angle",
    () =>
      assert.equal(isSensible(NACL_RAW.replace("_cell_angle_beta 90.0000", "_cell_angle_beta 171")), false),
  );
  await t.step("custom bounds", () => assert.equal(isSensible(NACL_RAW, { lengthHi: 5 }), false));
});

Deno.test("isSensible() ignores values its regex does not capture and throws on '1.2.3' as upstream", () => {
  // a negative length is not captured by [\d.]+ after the whitespace, so it is not checked
  assert.equal(isSensible(NACL_RAW.replace("_cell_length_a 5.6402", "_cell_length_a -4.0")), true);
  assert.throws(
    () => isSensible(NACL_RAW.replace("_cell_length_a 5.6402", "_cell_length_a 1.2.3")),
    /ValueError: could not convert string to float: '1.2.3'/,
  );
});
