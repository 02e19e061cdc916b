import assert from "node:assert/strict";
import { Composition, FormulaError } from "./composition.ts";

// Expected values printed by pymatgen 2022.11.7 (Debian python3-pymatgen):
// Composition(f).formula, .reduced_formula, get_reduced_formula_and_factor()[1]
const PYMATGEN: [string, string, string, number][] = [
  ["Na1 Cl1", "Na1 Cl1", "NaCl", 1],
  ["NaCl", "Na1 Cl1", "NaCl", 1],
  ["Ba2Ti2O6", "Ba2 Ti2 O6", "BaTiO3", 2],
  ["Ca3(PO4)2", "Ca3 P2 O8", "Ca3(PO4)2", 1],
  ["Li4Fe4P4O16", "Li4 Fe4 P4 O16", "LiFePO4", 4],
  ["O2", "O2", "O2", 1],
  ["Na2O2", "Na2 O2", "Na2O2", 1],
  ["Li2O2", "Li2 O2", "Li2O2", 1],
  ["He1 Ne2", "He1 Ne2", "HeNe2", 1],
  ["Fe0.5Ni0.5", "Fe0.5 Ni0.5", "Fe0.5Ni0.5", 1],
  ["Ar1 Na1 Cl1", "Ar1 Na1 Cl1", "ArNaCl", 1],
  ["Si4 O8", "Si4 O8", "SiO2", 4],
];

Deno.test("Composition matches pymatgen's formula, reduced formula and factor", async (t) => {
  for (const [input, formula, reduced, factor] of PYMATGEN) {
    await t.step(input, () => {
      const c = Composition.parse(input);
      assert.equal(c.formula, formula);
      assert.equal(c.reducedFormula, reduced);
      assert.equal(c.reducedFormulaAndFactor()[1], factor);
    });
  }
});

Deno.test("Composition.parse() rejects non-formulas", () => {
  assert.throws(() => Composition.parse("Na1 Cl1 !"), FormulaError);
  assert.throws(() => Composition.parse("nacl"), FormulaError);
});
