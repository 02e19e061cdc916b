import assert from "node:assert/strict";
import { extractDataFormula, isFormulaConsistent } from "./is_formula_consistent.ts";
import { NACL_RAW } from "./_test_utils.ts";

Deno.test("isFormulaConsistent() compares the reduced formulas of data_, sum and structural", async (t) => {
  await t.step("consistent", () => assert.equal(isFormulaConsistent(NACL_RAW), true));
  await t.step(
    "data_ name off",
    () => assert.equal(isFormulaConsistent(NACL_RAW.replace("data_Na4Cl4", "data_Na4Cl3")), false),
  );
  await t.step(
    "structural off",
    () => assert.equal(isFormulaConsistent(NACL_RAW.replace("structural NaCl", "structural NaCl2")), false),
  );
  await t.step(
    "scaled sum still consistent",
    () => assert.equal(isFormulaConsistent(NACL_RAW.replace("'Na4 Cl4'", "'Na2 Cl2'")), true),
  );
});

Deno.test("isFormulaConsistent() throws as upstream without data_ name or formula sum", () => {
  assert.throws(
    () => isFormulaConsistent(NACL_RAW.replace(/_chemical_formula_sum.*\n/, "")),
    /KeyError: '_chemical_formula_sum'/,
  );
  assert.throws(() => extractDataFormula("no header"), /could not find data_/);
  assert.throws(() => isFormulaConsistent(""), /IndexError|could not find data_/);
});
