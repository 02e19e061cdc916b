/**
 * Symmetry against pymatgen 2022.11.7 / spglib 2.0.2 (symprec 0.1, as CrystaLLM uses):
 *
 * - `spaceGroupOf` symbol and number on the oracle's generated CIFs (`oracle/eval/cases.jsonl`,
 *   the ones pymatgen could read), rebuilt from pymatgen's parsed lattice, species and
 *   coordinates so that only symmetry finding is compared;
 * - `symmetrizedCif(structureFromCif(raw_cif))` against the oracle's `orig_cif`
 *   (`oracle/tokenizer/preprocessed.jsonl`);
 * - both against live pymatgen (`tests/pymatgen.ts`) on perov_5, carbon_24 and AFLOW prototypes.
 *
 * Each metric is printed as agreement %, with the first disagreements, and held to
 * 99% (space groups and symmetrized text come from the spglib 2.0.2 port, `symmetry/spglib/`).
 * Symmetrized text is classified (`tests/cif_text_diff.ts`): byte-identical, one unit in the
 * last printed digit, another representative of the same orbit, or different. Real
 * disagreements are held to at most 1%; live pymatgen runs with its CPU dispatch pinned
 * (`tests/python.ts`), and then byte-identical text is held to 99% as well.
 * On the oracle, `raw_cif` is rounded to 8 decimals while `orig_cif` was written from the
 * unrounded structure: pymatgen itself reproduces 105/120 there, so byte-identical text is
 * held to 85% and its last-digit differences are printed.
 */
import assert from "node:assert/strict";
import { Lattice } from "../../cif/lattice.ts";
import { Structure } from "../../cif/structure.ts";
import { structureFromCif } from "../../cif/from_cif.ts";
import { spaceGroupOf } from "../../symmetry/analyzer.ts";
import { symmetrizedCif } from "../../symmetry/symmetrize.ts";
import { readCorpus } from "../corpora.ts";
import { type AgreementCounts, compareCifText, emptyCounts, formatCounts } from "../cif_text_diff.ts";
import { hasPymatgen, pymatgenReference } from "../pymatgen.ts";
import { referenceUnpinned } from "../python.ts";
import { sharedPath } from "../../core/paths.ts";

const HAVE = hasPymatgen();

function pct(a: number, n: number): string {
  return `${a}/${n} (${(100 * a / Math.max(n, 1)).toFixed(1)}%)`;
}

/** Real disagreements at most 1%, and each class printed. */
function assertText(what: string, c: AgreementCounts): void {
  const n = c.identical + c["last-digit"] + c["equivalent-site"] + c.different;
  assert.ok(c.different / n <= 0.01, `${what}: ${c.different}/${n} real disagreements, above 1%`);
}

interface CaseRow {
  case_id: string;
  parse_postprocessed: {
    from_str_ok?: boolean;
    lattice_abc?: number[];
    lattice_angles?: number[];
    species?: string[];
    frac_coords?: number[][];
    spacegroup_number?: number;
    spacegroup_symbol?: string;
  } | null;
}

Deno.test("spaceGroupOf() agrees with pymatgen on the oracle's generated CIFs", () => {
  const rows = Deno.readTextFileSync(sharedPath("oracle/eval/cases.jsonl")).trim().split("\n")
    .map((l) => JSON.parse(l) as CaseRow);
  let n = 0, same = 0;
  const diffs: string[] = [];
  for (const r of rows) {
    const p = r.parse_postprocessed;
    if (!p?.from_str_ok || p.spacegroup_number === undefined || !p.lattice_abc || !p.lattice_angles) continue;
    n++;
    const [a, b, c] = p.lattice_abc, [al, be, ga] = p.lattice_angles;
    const s = new Structure(
      Lattice.fromParameters(a, b, c, al, be, ga),
      p.species!.map((el, i) => ({
        species: [[el, 1]],
        frac: p.frac_coords![i] as [number, number, number],
      })),
    );
    try {
      const sg = spaceGroupOf(s);
      if (sg.number === p.spacegroup_number && sg.symbol === p.spacegroup_symbol) same++;
      else {diffs.push(
          `${r.case_id}: ours ${sg.symbol} (${sg.number}) pymatgen ${p.spacegroup_symbol} (${p.spacegroup_number})`,
        );}
    } catch (e) {
      diffs.push(`${r.case_id}: we fail: ${(e as Error).message}`);
    }
  }
  console.log(`space group (cases.jsonl): ${pct(same, n)}`);
  if (diffs.length) console.log("  " + diffs.slice(0, 20).join("\n  "));
  assert.ok(n > 100, `only ${n} readable cases`);
  assert.ok(same / n >= 0.99, `space-group parity ${same}/${n} below 99%`);
});

Deno.test("symmetrizedCif() reproduces the oracle's orig_cif from raw_cif", () => {
  const rows = Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl")).trim().split("\n")
    .map((l) => JSON.parse(l) as { id: string; raw_cif: string; orig_cif: string });
  let sgSame = 0;
  const counts = emptyCounts();
  const diffs: string[] = [];
  for (const r of rows) {
    try {
      const s = structureFromCif(r.raw_cif, { file: r.id });
      const ours = symmetrizedCif(s);
      const sgLine = (t: string) =>
        t.split("\n").filter((l) => l.startsWith("_symmetry_")).slice(0, 2).join("|");
      if (sgLine(ours) === sgLine(r.orig_cif)) sgSame++;
      const c = compareCifText(ours, r.orig_cif);
      counts[c.kind]++;
      if (c.kind !== "identical") diffs.push(`${r.id} ${c.kind}: ${c.detail}`);
    } catch (e) {
      counts.different++;
      diffs.push(`${r.id}: we fail: ${(e as Error).message}`);
    }
  }
  const same = counts.identical;
  // pymatgen itself reaches 105/120 here: raw_cif is rounded to 8 decimals, orig_cif was written
  // from the unrounded structure, so 15 carbon_24 cases differ in the last digit.
  console.log(
    `symmetrized CIF raw_cif→orig_cif: ${formatCounts(counts)}; symbol+number lines ${
      pct(sgSame, rows.length)
    }`,
  );
  if (diffs.length) console.log("  " + diffs.slice(0, 20).join("\n  "));
  assert.ok(sgSame / rows.length >= 0.99, `symbol/number ${sgSame}/${rows.length} below 99%`);
  assert.ok(same / rows.length >= 0.85, `symmetrized text ${same}/${rows.length} below the 85% floor`);
  assertText("symmetrized text raw_cif→orig_cif", counts);
});

Deno.test({
  name:
    "spaceGroupOf() and symmetrizedCif() agree with live pymatgen on perov_5, carbon_24, AFLOW and the oracle raw CIFs",
  ignore: !HAVE && !Deno.env.get("CI"),
  async fn() {
    const cifs: [string, string][] = [];
    for (const row of readCorpus("data/crystallm-benchmarks/perov_5/test.csv.gz", 150)) {
      cifs.push([`perov_5:${row.material_id}`, row.cif]);
    }
    readCorpus("data/crystallm-benchmarks/carbon_24/test.csv.gz", 80).forEach((row, i) =>
      cifs.push([`carbon_24:${i}`, row.cif])
    );
    for (const row of readCorpus("data/aflow-prototypes/prototypes.csv.gz")) {
      cifs.push([`aflow:${row.id}`, row.cif]);
    }
    // the oracle's raw CIFs, against pymatgen run on the same text (not the unrounded orig_cif)
    for (
      const l of Deno.readTextFileSync(sharedPath("oracle/tokenizer/preprocessed.jsonl")).trim().split("\n")
    ) {
      const r = JSON.parse(l) as { id: string; raw_cif: string };
      cifs.push([`oracle:${r.id}`, r.raw_cif]);
    }
    const ref = await pymatgenReference(cifs, true);
    const stats: Record<string, { n: number; formula: number; sg: number; text: AgreementCounts }> = {};
    const diffs: string[] = [];
    for (let i = 0; i < cifs.length; i++) {
      const r = ref[i];
      if (!r.ok || r.sg_number === undefined) continue;
      const corpus = cifs[i][0].split(":")[0];
      const st = stats[corpus] ??= { n: 0, formula: 0, sg: 0, text: emptyCounts() };
      st.n++;
      try {
        const s = structureFromCif(cifs[i][1], { file: cifs[i][0] });
        if (s.composition.reducedFormula === r.reduced_formula) st.formula++;
        const sg = spaceGroupOf(s);
        if (sg.number === r.sg_number && sg.symbol === r.sg_symbol) st.sg++;
        else {diffs.push(
            `${cifs[i][0]}: ours ${sg.symbol} (${sg.number}) pymatgen ${r.sg_symbol} (${r.sg_number})`,
          );}
        const c = compareCifText(symmetrizedCif(s), r.sym_cif!);
        st.text[c.kind]++;
        if (c.kind !== "identical") diffs.push(`${cifs[i][0]} ${c.kind}: ${c.detail}`);
      } catch (e) {
        st.text.different++;
        diffs.push(`${cifs[i][0]}: we fail: ${(e as Error).message}`);
      }
    }
    let n = 0, formula = 0, sg = 0;
    const text = emptyCounts();
    for (const [corpus, st] of Object.entries(stats)) {
      console.log(
        `${corpus}: formula ${pct(st.formula, st.n)}, space group ${pct(st.sg, st.n)}, symmetrized CIF ${
          formatCounts(st.text)
        }`,
      );
      n += st.n, formula += st.formula, sg += st.sg;
      for (const k of Object.keys(text) as (keyof AgreementCounts)[]) text[k] += st.text[k];
    }
    const pin = referenceUnpinned() ? "unpinned" : "pinned";
    console.log(
      `all (pymatgen ${pin}): formula ${pct(formula, n)}, space group ${pct(sg, n)}, symmetrized CIF ${
        formatCounts(text)
      }`,
    );
    if (diffs.length) console.log("  " + diffs.slice(0, 30).join("\n  "));
    assert.ok(formula / n >= 0.99, `formula parity ${formula}/${n} below 99%`);
    assert.ok(sg / n >= 0.99, `space-group parity ${sg}/${n} below 99%`);
    assertText("symmetrized CIF", text);
    if (!referenceUnpinned()) {
      assert.ok(
        text.identical / n >= 0.99,
        `byte-identical symmetrized CIF ${text.identical}/${n} below 99%`,
      );
    }
  },
});
