import assert from "node:assert/strict";
import { structureFromCif } from "../cif/from_cif.ts";
import { applyOp, parseXyz } from "../cif/symop.ts";
import type { Vec3 } from "../cif/lattice.ts";
import { symmetrizedCif } from "../symmetry/symmetrize.ts";
import { compareCifText, oneLastDigitApart } from "./cif_text_diff.ts";
import { readCorpus } from "./corpora.ts";

Deno.test("oneLastDigitApart() accepts one unit in the last digit, carries and signed zeros only", () => {
  assert.ok(oneLastDigitApart("0.24023652", "0.24023651"));
  assert.ok(oneLastDigitApart("0.99999999", "1.00000000"));
  assert.ok(oneLastDigitApart("-0.00000001", "0.00000000"));
  assert.ok(oneLastDigitApart("-0.00000000", "0.00000000"));
  assert.ok(!oneLastDigitApart("0.24023653", "0.24023651"), "two units");
  assert.ok(!oneLastDigitApart("0.2402365", "0.24023651"), "other precision");
  assert.ok(!oneLastDigitApart("C1", "C2"));
});

/** A symmetrized C2/m carbon_24 CIF (orbits of 4 and 8 atoms) written by our symmetrizer. */
function carbonCif(): string {
  const row = readCorpus("data/crystallm-benchmarks/carbon_24/test.csv.gz", 25)[24];
  return symmetrizedCif(structureFromCif(row.cif, { file: "carbon_24:24" }));
}

/** The text with the first atom-site row's coordinates replaced by `f(x, ops)`. */
function moveFirstSite(cif: string, f: (x: Vec3, ops: string[]) => Vec3): string {
  const lines = cif.split("\n");
  const ops = lines.filter((l) => /^\s+\d+\s+'/.test(l)).map((l) => l.split("'")[1]);
  const k = lines.findIndex((l) => /^\s+C\s+C0\s/.test(l));
  const t = lines[k].trim().split(/\s+/);
  const y = f(t.slice(3, 6).map(Number) as Vec3, ops).map((v) => v - Math.floor(v));
  lines[k] = `  ${t[0]}  ${t[1]}  ${t[2]}  ${y.map((v) => v.toFixed(8)).join("  ")}  ${t[6]}`;
  return lines.join("\n");
}

Deno.test("compareCifText() classifies identical, last-digit, equivalent-site and different texts", () => {
  const ref = carbonCif();
  assert.equal(compareCifText(ref, ref).kind, "identical");
  // one unit more in the last digit of the cell length a
  const bumped = ref.replace(/(_cell_length_a\s+)(\d+)\.(\d+)/, (_m, tag: string, i: string, f: string) => {
    const units = BigInt(i + f) + 1n;
    const digits = units.toString().padStart(f.length + 1, "0");
    return `${tag}${digits.slice(0, -f.length)}.${digits.slice(-f.length)}`;
  });
  assert.notEqual(bumped, ref);
  assert.equal(compareCifText(bumped, ref).kind, "last-digit");
  assert.equal(compareCifText(bumped.replace("_cell_length_a", "_cell_length_x"), ref).kind, "different");

  // another atom of the same orbit, as a rounding difference can make pymatgen pick it
  const other = moveFirstSite(ref, (x, ops) => applyOp(parseXyz(ops.at(-1)!), x));
  assert.notEqual(other, ref);
  assert.equal(compareCifText(other, ref).kind, "equivalent-site");
  assert.equal(compareCifText(ref, other).kind, "equivalent-site");
  // a position no operation reaches, a shift of 1e-6, a changed label or line count
  assert.equal(compareCifText(moveFirstSite(ref, (x) => [x[0] + 0.01, x[1], x[2]]), ref).kind, "different");
  assert.equal(compareCifText(moveFirstSite(ref, (x) => [x[0], x[1], x[2] + 1e-6]), ref).kind, "different");
  assert.equal(compareCifText(ref.replace("  C  C0  ", "  C  C9  "), ref).kind, "different");
  assert.equal(compareCifText(ref + "\n", ref).kind, "different");
});
