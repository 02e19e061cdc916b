/**
 * The `crystallm cif` commands as users script them: JSON field names, one
 * line per CIF, bad files reported (not fatal), exit codes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import { type CliResult, crystallm as runCli } from "./cli.ts";

function crystallm(...args: string[]): Promise<CliResult> {
  return runCli(args, {});
}

Deno.test("crystallm cif info --json prints the contract fields for good and bad CIFs", async () => {
  const dir = await Deno.makeTempDir();
  const rocksalt = `data_NaCl
_cell_length_a 5.6402
_cell_length_b 5.6402
_cell_length_c 5.6402
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Na1 0 0 0
Cl1 0.5 0.5 0.5
`;
  await Deno.writeTextFile(join(dir, "a_rocksalt.cif"), rocksalt);
  await Deno.copyFile(join(REPO_ROOT, "tests/bad_cifs/binary_garbage.cif"), join(dir, "b_garbage.cif"));
  const r = await crystallm("cif", "info", dir, "--json");
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  assert.deepEqual(Object.keys(rows[0]), [
    "file",
    "ok",
    "error",
    "reduced_formula",
    "formula",
    "n_sites",
    "volume",
    "sg_number",
    "sg_symbol",
  ]);
  // no operator loop: the H-M symbol supplies Fm-3m's 192 operators, as pymatgen's CifParser does
  assert.equal(rows[0].ok, true);
  assert.equal(rows[0].reduced_formula, "NaCl");
  assert.equal(rows[0].formula, "Na4 Cl4");
  assert.equal(rows[0].n_sites, 8);
  assert.ok(Math.abs(rows[0].volume - 5.6402 ** 3) < 1e-6);
  assert.equal(rows[0].sg_number, 225);
  assert.equal(rows[0].sg_symbol, "Fm-3m");
  assert.equal(rows[1].ok, false);
  assert.match(rows[1].error, /b_garbage\.cif:\d+/);
});

Deno.test("crystallm cif symmetrize writes same-named symmetrized CIFs; a missing path exits 2", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "sym");
  const r = await crystallm("cif", "symmetrize", join(REPO_ROOT, "fixtures/nacl10/NaCl_B2_30GPa.cif"), "--out", out);
  assert.equal(r.code, 0, r.stderr);
  const text = await Deno.readTextFile(join(out, "NaCl_B2_30GPa.cif"));
  assert.match(text, /_symmetry_space_group_name_H-M {3}Pm-3m/);
  assert.match(text, /_symmetry_Int_Tables_number {3}221/);
  const missing = await crystallm("cif", "info", join(dir, "nope.cif"));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.cif/);
});
