import assert from "node:assert/strict";
import { join } from "node:path";
import { CifStructureError, structureFromCif } from "./from_cif.ts";
import { CifSyntaxError } from "./parse_cif.ts";
import { readText } from "./files.ts";
import { writeCif } from "./write_cif.ts";
import { Lattice } from "./lattice.ts";
import { Structure } from "./structure.ts";

const BAD_DIR = new URL("../tests/bad_cifs/", import.meta.url).pathname;

Deno.test("structureFromCif() gives a typed error naming file and line for every bad input", async (t) => {
  for (const e of [...Deno.readDirSync(BAD_DIR)].filter((e) => e.name.endsWith(".cif"))) {
    await t.step(e.name, () => {
      const file = join(BAD_DIR, e.name);
      try {
        structureFromCif(readText(file), { file, strict: true });
        assert.fail(`${e.name} was accepted`);
      } catch (err) {
        assert.ok(err instanceof CifSyntaxError || err instanceof CifStructureError, `${e.name}: ${err}`);
        assert.ok((err as Error).message.startsWith(file + ":"), (err as Error).message);
        assert.ok(typeof (err as { line: number }).line === "number");
      }
    });
  }
});

Deno.test("structureFromCif() expands an asymmetric unit: rock salt Fm-3m gives 8 sites", () => {
  // Na at 4a, Cl at 4b; the F-centring and inversion ops are enough to generate both orbits
  const ops = ["x, y, z", "-x, -y, -z", "x, y+1/2, z+1/2", "x+1/2, y, z+1/2", "x+1/2, y+1/2, z"];
  const cif = `data_NaCl
_cell_length_a 5.6402(3)
_cell_length_b 5.6402(3)
_cell_length_c 5.6402(3)
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_symmetry_equiv_pos_as_xyz
${ops.map((o) => `'${o}'`).join("\n")}
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Na1 Na 0 0 0 1
Cl1 Cl 0.5 0.5 0.5 1
`;
  const s = structureFromCif(cif);
  assert.equal(s.length, 8);
  assert.equal(s.composition.formula, "Na4 Cl4");
  assert.ok(Math.abs(s.volume - 5.6402 ** 3) < 1e-9);
  // sorted by electronegativity: Na (0.93) before Cl (3.16)
  assert.deepEqual(s.sites.map((x) => x.species[0][0]), ["Na", "Na", "Na", "Na", "Cl", "Cl", "Cl", "Cl"]);
  // every coordinate wrapped into [0, 1)
  assert.ok(s.sites.every((x) => x.frac.every((v) => v >= 0 && v < 1)));
});

Deno.test("structureFromCif() merges sites that coincide under symmetry into one disordered site", () => {
  const cif = `data_x
_cell_length_a 4
_cell_length_b 4
_cell_length_c 4
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Fe1 Fe 0 0 0 0.5
Ni1 Ni 1.00001 0 0 0.5
`;
  const s = structureFromCif(cif);
  assert.equal(s.length, 1);
  assert.deepEqual(s.sites[0].species, [["Fe", 0.5], ["Ni", 0.5]]);
  assert.equal(s.composition.reducedFormula, "Fe0.5Ni0.5");
});

Deno.test("writeCif() → structureFromCif() round-trips a triclinic structure", () => {
  const lattice = Lattice.fromParameters(4.1, 5.2, 6.3, 81.5, 97.25, 104.75);
  const s = new Structure(lattice, [
    { species: [["Ba", 1]], frac: [0.1, 0.2, 0.3] },
    { species: [["Ti", 1]], frac: [0.55, 0.45, 0.35] },
    { species: [["O", 1]], frac: [0.9, 0.05, 0.75] },
  ]);
  const back = structureFromCif(writeCif(s));
  assert.equal(back.length, 3);
  assert.ok(Math.abs(back.volume - s.volume) < 1e-5);
  for (let i = 0; i < 3; i++) {
    assert.equal(back.sites[i].species[0][0], s.sites[i].species[0][0]);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(back.sites[i].frac[k] - s.sites[i].frac[k]) < 1e-8);
  }
  const [a, b, c] = back.lattice.abc, [al, be, ga] = back.lattice.angles;
  assert.deepEqual([a, b, c, al, be, ga].map((v) => v.toFixed(6)), ["4.100000", "5.200000", "6.300000", "81.500000", "97.250000", "104.750000"]);
});
