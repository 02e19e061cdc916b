/**
 * Parity of the CIF reader with pymatgen 2022.11.7 `Structure.from_str(text, "cif")`
 * on the oracle's generated CIFs (`../shared/oracle/eval/cases.jsonl`, field
 * `parse_postprocessed`): parse success, site count, formulas, volume, species
 * order and fractional coordinates.
 */
import assert from "node:assert/strict";
import { structureFromCif } from "../../cif/from_cif.ts";
import { speciesString } from "../../cif/structure.ts";
import { spaceGroupOpsForCif } from "../../symmetry/cif_fallback.ts";
import { sharedPath } from "../../core/paths.ts";

interface EvalCase {
  case_id: string;
  category: string;
  postprocess: { output: string | null; ok: boolean };
  parse_postprocessed: {
    from_str_ok: boolean;
    n_sites?: number;
    formula?: string;
    reduced_formula?: string;
    volume?: number;
    species?: string[];
    frac_coords?: number[][];
    lattice_abc?: number[];
    lattice_angles?: number[];
  };
}

function loadCases(): EvalCase[] {
  const text = Deno.readTextFileSync(sharedPath("oracle/eval/cases.jsonl"));
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

function fracClose(a: number, b: number, tol: number): boolean {
  let d = Math.abs(a - b);
  d = Math.min(d, Math.abs(d - 1));
  return d < tol;
}

Deno.test("structureFromCif() agrees with pymatgen Structure.from_str on the oracle's generated CIFs", () => {
  const cases = loadCases().filter((c) => typeof c.postprocess?.output === "string");
  const fields = [
    "parse_ok",
    "n_sites",
    "formula",
    "reduced_formula",
    "volume",
    "lattice",
    "species",
    "frac_coords",
  ] as const;
  const agree: Record<string, number> = Object.fromEntries(fields.map((f) => [f, 0]));
  const total: Record<string, number> = Object.fromEntries(fields.map((f) => [f, 0]));
  const diffs: string[] = [];
  for (const c of cases) {
    const ref = c.parse_postprocessed;
    let s;
    try {
      s = structureFromCif(c.postprocess.output!, { file: c.case_id, spaceGroupOps: spaceGroupOpsForCif });
    } catch (e) {
      s = undefined;
      if (ref.from_str_ok) {
        diffs.push(`${c.case_id} (${c.category}): we fail, pymatgen parses: ${(e as Error).message}`);
      }
    }
    total.parse_ok++;
    if ((s !== undefined) === ref.from_str_ok) agree.parse_ok++;
    else if (!ref.from_str_ok) diffs.push(`${c.case_id} (${c.category}): we parse, pymatgen fails`);
    if (!s || !ref.from_str_ok) continue;
    const check = (f: string, ok: boolean, detail: string) => {
      total[f]++;
      if (ok) agree[f]++;
      else diffs.push(`${c.case_id} ${f}: ${detail}`);
    };
    check("n_sites", s.length === ref.n_sites, `${s.length} vs ${ref.n_sites}`);
    const comp = s.composition;
    check("formula", comp.formula === ref.formula, `${comp.formula} vs ${ref.formula}`);
    check(
      "reduced_formula",
      comp.reducedFormula === ref.reduced_formula,
      `${comp.reducedFormula} vs ${ref.reduced_formula}`,
    );
    check(
      "volume",
      Math.abs(s.volume - ref.volume!) <= 1e-5 * Math.max(1, ref.volume!),
      `${s.volume} vs ${ref.volume}`,
    );
    const abc = s.lattice.abc, ang = s.lattice.angles;
    const latOk = [...abc, ...ang].every((v, i) =>
      Math.abs(v - [...ref.lattice_abc!, ...ref.lattice_angles!][i]) < 1e-5 * Math.max(1, Math.abs(v))
    );
    check("lattice", latOk, `${abc} ${ang} vs ${ref.lattice_abc} ${ref.lattice_angles}`);
    const species = s.sites.map(speciesString);
    check("species", JSON.stringify(species) === JSON.stringify(ref.species), `${species} vs ${ref.species}`);
    const coordsOk = s.length === ref.frac_coords!.length &&
      s.sites.every((x, i) => x.frac.every((v, k) => fracClose(v, ref.frac_coords![i][k], 1e-6)));
    check(
      "frac_coords",
      coordsOk,
      `first ${JSON.stringify(s.sites[0]?.frac)} vs ${JSON.stringify(ref.frac_coords![0])}`,
    );
  }
  const report = fields.map((f) => `${f} ${agree[f]}/${total[f]}`).join(", ");
  console.log(`CIF reader parity vs pymatgen: ${report}`);
  if (diffs.length) console.log("disagreements:\n  " + diffs.join("\n  "));
  for (const f of fields) {
    assert.ok(agree[f] / total[f] >= 0.99, `${f}: agreement ${agree[f]}/${total[f]} below 99%`);
  }
});
