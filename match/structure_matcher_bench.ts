/**
 * Grouping the 191 oracle structures (`../shared/oracle/match/structures.jsonl`)
 * into unique structures, at pymatgen's default and CrystaLLM's benchmark settings.
 *
 *   deno bench -A match/structure_matcher_bench.ts
 *
 * Each iteration uses a fresh matcher, so primitive/Niggli reduction is included,
 * as it is in pymatgen's `group_structures`. Before the benches run, both
 * sides are timed once in the same process run (pymatgen through Debian's
 * python3, `tools/match_reference.py`, timing `group_structures` alone) and the
 * ratio is printed.
 */
import { Lattice } from "../cif/lattice.ts";
import { Structure } from "../cif/structure.ts";
import { hasPymatgen } from "../tests/pymatgen.ts";
import { sharedPath } from "../core/paths.ts";
import { pymatgenMatch } from "../tests/parity/match_pymatgen.ts";
import { BENCHMARK_MATCHER_OPTIONS, DEFAULT_MATCHER_OPTIONS, StructureMatcher } from "./structure_matcher.ts";

const structures = Deno.readTextFileSync(sharedPath("oracle/match/structures.jsonl")).trim().split("\n").map(
  (l) => {
    const r = JSON.parse(l);
    return new Structure(
      new Lattice(r.lattice_matrix),
      r.species.map((el: string, k: number) => ({ species: [[el, 1]], frac: r.frac_coords[k] })),
    );
  },
);

for (
  const [name, opts] of [["default", DEFAULT_MATCHER_OPTIONS], [
    "benchmark",
    BENCHMARK_MATCHER_OPTIONS,
  ]] as const
) {
  const reps = 3;
  new StructureMatcher(opts).groupStructures(structures); // JIT warm-up, as Python's modules are warm after import
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) new StructureMatcher(opts).groupStructures(structures);
  const ours = (performance.now() - t0) / 1000 / reps;
  let line = `group_structures (${name}) on ${structures.length} structures: ${ours.toFixed(3)} s`;
  if (hasPymatgen()) {
    const ref = await pymatgenMatch(structures, {
      group: true,
      ltol: opts.ltol,
      stol: opts.stol,
      angleTol: opts.angleTol,
    });
    line += `; pymatgen 2022.11.7 ${ref.groupSeconds!.toFixed(3)} s; ratio ${
      (ref.groupSeconds! / ours).toFixed(1)
    }x`;
  }
  console.log(line);
}

Deno.bench({ name: "groupStructures default (191 oracle structures)", group: "group" }, () => {
  new StructureMatcher().groupStructures(structures);
});
Deno.bench({ name: "groupStructures benchmark settings (191 oracle structures)", group: "group" }, () => {
  new StructureMatcher(BENCHMARK_MATCHER_OPTIONS).groupStructures(structures);
});
