import assert from "node:assert/strict";
import { isAtomSiteMultiplicityConsistent } from "./is_atom_site_multiplicity_consistent.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("isAtomSiteMultiplicityConsistent() sums multiplicities per type symbol", async (t) => {
  await t.step("consistent", () => assert.equal(isAtomSiteMultiplicityConsistent(NACL_RAW), true));
  await t.step(
    "wrong multiplicity",
    () => assert.equal(isAtomSiteMultiplicityConsistent(NACL_RAW.replace("Cl Cl1 4", "Cl Cl1 8")), false),
  );
  await t.step(
    "unknown element",
    () => assert.equal(isAtomSiteMultiplicityConsistent(NACL_RAW.replace("Cl Cl1 4", "Xx Cl1 4")), false),
  );
});

Deno.test("isAtomSiteMultiplicityConsistent() throws as upstream on broken loops and non-integer counts", () => {
  assert.throws(
    () => isAtomSiteMultiplicityConsistent(NACL_RAW.replace("Cl Cl1 4", "Cl Cl1 4.0")),
    /ValueError: invalid literal for int/,
  );
  // pymatgen's CifBlock.from_string: a loop_ with fewer values than tags
  assert.throws(
    () => isAtomSiteMultiplicityConsistent(NACL_RAW.slice(0, NACL_RAW.indexOf("Na Na0 4"))),
    /ZeroDivisionError/,
  );
});
