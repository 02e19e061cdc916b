import assert from "node:assert/strict";
import { cifNumber, CifSyntaxError, isNull, parseCif } from "./parse_cif.ts";

Deno.test("parseCif() reads blocks, loops, quotes, text fields, comments and nulls", async (t) => {
  const text = [
    "# a comment line",
    "data_first",
    "_cell_length_a   5.6402(3)   # trailing comment",
    "_chemical_name_common 'rock salt'",
    '_journal_name "It\'s quoted"',
    "_quote_inside 'a'b'",
    "_unknown ?",
    "_inapplicable .",
    "_quoted_question '?'",
    "_publ_section_title",
    ";",
    "Line one",
    "  line two",
    ";",
    "loop_",
    "_symmetry_equiv_pos_as_xyz",
    "'x, y, z'",
    "'-x, -y, -z'",
    "loop_",
    "_atom_site_label",
    "_atom_site_fract_x",
    "Na1 0.0",
    "Cl1 0.5",
    "data_second",
    "_CELL_LENGTH_A 4.0",
  ].join("\n");
  const doc = parseCif(text, "t.cif");
  await t.step("blocks", () => {
    assert.deepEqual(doc.blocks.map((b) => b.name), ["first", "second"]);
    assert.equal(doc.blocks[0].line, 2);
  });
  const b = doc.blocks[0];
  await t.step("uncertainties", () => {
    assert.deepEqual(cifNumber(b.get("_cell_length_a")!), { value: 5.6402, su: 0.0003 });
    assert.deepEqual(cifNumber("1.5e2(3)"), { value: 150, su: 30 });
    assert.equal(cifNumber("abc"), undefined);
  });
  await t.step("quotes", () => {
    assert.equal(b.text("_chemical_name_common"), "rock salt");
    assert.equal(b.text("_journal_name"), "It's quoted");
    // CIF 1.1: a quote followed by a non-blank does not close the string
    assert.equal(b.text("_quote_inside"), "a'b");
  });
  await t.step("nulls", () => {
    assert.ok(isNull(b.get("_unknown")));
    assert.ok(isNull(b.get("_inapplicable")));
    assert.ok(!isNull(b.get("_quoted_question")));
  });
  await t.step("text field", () => assert.equal(b.text("_publ_section_title"), "Line one\n  line two"));
  await t.step("loops", () => {
    assert.deepEqual(b.column("_symmetry_equiv_pos_as_xyz")!.map((v) => v.text), ["x, y, z", "-x, -y, -z"]);
    assert.deepEqual(b.column("_atom_site_label")!.map((v) => v.text), ["Na1", "Cl1"]);
    assert.equal(b.column("_atom_site_fract_x")![1].line, 23);
  });
  await t.step("case-insensitive tags", () => assert.equal(doc.blocks[1].text("_cell_length_a"), "4.0"));
});

Deno.test("parseCif() errors name the file and line", async (t) => {
  const cases: [string, string, number][] = [
    ["loop values not a multiple", "data_x\nloop_\n_a\n_b\n1 2\n3\n", 6],
    ["tag without value", "data_x\n_a 1\n_b\n", 3],
    ["unterminated quote", "data_x\n_a 'open\n", 2],
    ["unterminated text field", "data_x\n_a\n;\nnever closed\n", 3],
    ["value before data_", "_a 1\n", 1],
    ["no data block", "# nothing\n", 1],
  ];
  for (const [name, text, line] of cases) {
    await t.step(name, () => {
      const err = assert.throws(() => parseCif(text, "bad.cif"), CifSyntaxError) as unknown;
      void err;
      try {
        parseCif(text, "bad.cif");
      } catch (e) {
        assert.ok(e instanceof CifSyntaxError);
        assert.equal(e.file, "bad.cif");
        assert.equal(e.line, line, e.message);
        assert.ok(e.message.startsWith(`bad.cif:${line}:`), e.message);
      }
    });
  }
});

Deno.test("parseCif() skips a value without a tag with a warning, as pymatgen's CifBlock does", () => {
  // an unquoted H-M symbol with a space: pymatgen reads "P" and warns about "1"
  const doc = parseCif("data_x\n_symmetry_space_group_name_H-M P 1\n_cell_length_a 4.0\n", "u.cif");
  const block = doc.blocks[0];
  assert.equal(block.text("_symmetry_space_group_name_H-M"), "P");
  assert.equal(block.text("_cell_length_a"), "4.0");
  assert.deepEqual(block.warnings, ['u.cif:2:34: value "1" without a tag is skipped']);
});
