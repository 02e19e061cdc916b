import assert from "node:assert/strict";
import { Lattice } from "../cif/lattice.ts";
import { Structure } from "../cif/structure.ts";
import { structureFromCif } from "../cif/from_cif.ts";
import { refinedStructure, symmetrizedCif, SymmetryError } from "./symmetrize.ts";

const ROCK_SALT_PRIMITIVE = new Structure(Lattice.fromParameters(3.99, 3.99, 3.99, 60, 60, 60), [
  { species: [["Na", 1]], frac: [0, 0, 0] },
  { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
]);

Deno.test("symmetrizedCif() is byte-identical to pymatgen's CifWriter(symprec=0.1) for primitive rock salt", () => {
  // testdata: str(CifWriter(Structure(Lattice.from_parameters(3.99,3.99,3.99,60,60,60), ["Na","Cl"],
  // [[0,0,0],[.5,.5,.5]]), symprec=0.1)) from pymatgen 2022.11.7, occupancies as a CIF-read structure prints them
  const expected = Deno.readTextFileSync(
    new URL("./testdata/nacl_primitive_symmetrized.cif", import.meta.url),
  );
  assert.equal(symmetrizedCif(ROCK_SALT_PRIMITIVE), expected);
});

Deno.test("symmetrizedCif() output reads back as the same structure", () => {
  const text = symmetrizedCif(ROCK_SALT_PRIMITIVE);
  const back = structureFromCif(text);
  assert.equal(back.length, 8);
  assert.equal(back.composition.reducedFormula, "NaCl");
  // the CIF's 8-decimal lattice parameters change the volume's last digits, nothing else
  const same = (t: string) => t.split("\n").filter((l) => !l.startsWith("_cell_volume"));
  assert.deepEqual(same(symmetrizedCif(back)), same(text));
});

Deno.test("refinedStructure() idealizes the lattice with spglib's averaged lengths", () => {
  const s = new Structure(Lattice.fromParameters(4.0, 4.01, 4.02, 90, 90, 90), [
    { species: [["Cs", 1]], frac: [0, 0, 0] },
    { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
  ]);
  const { symbol, number, refined } = refinedStructure(s);
  assert.equal(symbol, "Pm-3m");
  assert.equal(number, 221);
  for (const x of refined.lattice.abc) assert.ok(Math.abs(x - 4.01) < 1e-12);
});

Deno.test("symmetrizedCif() writes one row per species of a disordered site", () => {
  const s = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [
    { species: [["Na", 0.5], ["K", 0.5]], frac: [0, 0, 0] },
    { species: [["Cl", 1]], frac: [0.5, 0.5, 0.5] },
  ]);
  const rows = symmetrizedCif(s).trim().split("\n").slice(-3);
  assert.deepEqual(rows, [
    "  Na  Na0  1  0.00000000  0.00000000  0.00000000  0.5",
    "  K  K1  1  0.00000000  0.00000000  0.00000000  0.5",
    "  Cl  Cl2  1  0.50000000  0.50000000  0.50000000  1.0",
  ]);
});

Deno.test("symmetrizedCif() throws SymmetryError for a degenerate structure", () => {
  const s = new Structure(Lattice.fromParameters(4, 4, 4, 90, 90, 90), [{
    species: [["Na", 1]],
    frac: [NaN, 0, 0],
  }]);
  assert.throws(() => symmetrizedCif(s), SymmetryError);
});
