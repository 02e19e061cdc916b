import assert from "node:assert/strict";
import { preprocessCif, PreprocessError, roundNumbers, semisymmetrizeCif } from "./preprocess.ts";
import { describeTextDiff, HAS_ORACLE, oracleCases } from "./_test_utils.ts";

// Every known difference from the oracle, by case id, with the reason. Empty: none.
const KNOWN_DIFFERENCES: Record<string, string> = {};

Deno.test({
  name: "preprocessCif() is byte-identical to upstream on >= 99% of the 120 oracle cases",
  ignore: !HAS_ORACLE,
  fn() {
    const cases = oracleCases();
    let same = 0;
    const diffs: string[] = [];
    for (const c of cases) {
      let got: string;
      try {
        got = preprocessCif(c.orig_cif, { file: `${c.dataset}/${c.id}` });
      } catch (e) {
        diffs.push(`${c.dataset}/${c.id}: threw ${(e as Error).message}`);
        continue;
      }
      if (got === c.preprocessed_cif) same++;
      else if (!(c.id in KNOWN_DIFFERENCES)) {
        diffs.push(`${c.dataset}/${c.id}: ${describeTextDiff(got, c.preprocessed_cif)}`);
      }
    }
    console.log(`preprocess byte-identical: ${same}/${cases.length}`);
    assert.deepEqual(diffs, [], diffs.slice(0, 5).join("\n"));
    assert.ok(same / cases.length >= 0.99, `only ${same}/${cases.length} identical`);
  },
});

const NACL = `# generated using pymatgen
data_NaCl
_symmetry_space_group_name_H-M   Fm-3m
_cell_length_a   5.64020000
_cell_length_b   5.64020000
_cell_length_c   5.64020000
_cell_angle_alpha   90.00000000
_cell_angle_beta   90.00000000
_cell_angle_gamma   90.00000000
_symmetry_Int_Tables_number   225
_chemical_formula_structural   NaCl
_chemical_formula_sum   'Na4 Cl4'
_cell_volume   179.42296728
_cell_formula_units_Z   4
loop_
 _symmetry_equiv_pos_site_id
 _symmetry_equiv_pos_as_xyz
  1  'x, y, z'
  2  '-x, -y, -z'
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_symmetry_multiplicity
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Na  Na0  4  0.00000000  0.00000000  0.00000000  1
  Cl  Cl1  4  0.00000000  0.00000000  0.50000000  1
`;

Deno.test("preprocessCif() drops what upstream drops, saying why", async (t) => {
  await t.step("Z = 0", () => {
    assert.throws(
      () =>
        preprocessCif(NACL.replace("_cell_formula_units_Z   4", "_cell_formula_units_Z   0"), {
          file: "x.cif",
        }),
      (e: unknown) => e instanceof PreprocessError && e.reason === "z_zero" && /x\.cif/.test(e.message),
    );
  });
  await t.step("missing _chemical_formula_sum", () => {
    assert.throws(
      () => preprocessCif(NACL.replace("_chemical_formula_sum   'Na4 Cl4'\n", "")),
      (e: unknown) => e instanceof PreprocessError && e.reason === "missing_formula_sum",
    );
  });
  await t.step("unknown element", () => {
    assert.throws(
      () => preprocessCif(NACL.replace("'Na4 Cl4'", "'Xq4 Cl4'")),
      (e: unknown) => e instanceof PreprocessError && e.reason === "unknown_element",
    );
  });
  await t.step("element with no atomic radius (Cm)", () => {
    assert.throws(
      () => preprocessCif(NACL.replace("'Na4 Cl4'", "'Cm4 Cl4'")),
      (e: unknown) => e instanceof PreprocessError && e.reason === "missing_atomic_radius",
    );
  });
  await t.step("truncated file (no Z)", () => {
    assert.throws(
      () => preprocessCif(NACL.slice(0, 200)),
      (e: unknown) => e instanceof PreprocessError && e.reason === "missing_z",
    );
  });
});

Deno.test("preprocessCif() writes the noble-gas fallbacks as upstream (unformatted floats)", () => {
  const out = preprocessCif(NACL.replace("'Na4 Cl4'", "'He1 Kr1'"));
  // He: Allen electronegativity 4.16 and van der Waals radius 1.4, both str(float);
  // Kr: Pauling X 3.0 formatted, radius from the vdW table
  assert.ok(out.includes("\n  Kr  3.0000  2.02  0.0000\n  He  4.16  1.4  0.0000\n"), out);
});

Deno.test("semisymmetrizeCif() keeps only the identity operator", () => {
  const out = semisymmetrizeCif(NACL);
  assert.ok(out.includes("_symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\nloop_\n _atom_site_type_symbol"), out);
});

Deno.test("roundNumbers() follows round_numbers: short numbers untouched, ties to even on the binary value", () => {
  assert.equal(roundNumbers("0.12345 0.1234 1.0 5.64020000 2.00005000"), "0.1235 0.1234 1.0 5.6402 2.0000");
  assert.equal(roundNumbers("x 0.00005 y"), "x 0.0001 y");
});
