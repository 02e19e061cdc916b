/**
 * Broad StructureMatcher parity run against live pymatgen (minutes, not part of `deno task test`):
 * AFLOW prototypes, carbon_24 and perov_5 structures with variants (shift + permutation,
 * supercell, noise 0.05/0.3 Å, strain, change of basis, substitution), at pymatgen's default
 * and CrystaLLM's benchmark settings. Prints fit / get_rms_dist / group_structures agreement
 * and both sides' grouping time.
 *
 *   deno run -A tools/match_stress.ts [--max-sites 24] [--carbon 60] [--perov 100]
 */
import { parseArgs } from "node:util";
import { structureFromCif } from "../cif/from_cif.ts";
import type { Structure } from "../cif/structure.ts";
import {
  BENCHMARK_MATCHER_OPTIONS,
  DEFAULT_MATCHER_OPTIONS,
  StructureMatcher,
} from "../match/structure_matcher.ts";
import { readCorpus } from "../tests/corpora.ts";
import { pymatgenMatch } from "../tests/parity/match_pymatgen.ts";
import { structureVariants } from "../tests/parity/match_variants.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "max-sites": { type: "string", default: "24" },
    carbon: { type: "string", default: "60" },
    perov: { type: "string", default: "100" },
  },
});
const maxSites = Number(values["max-sites"]);
const load = (rel: string, limit: number) =>
  readCorpus(rel, limit).flatMap((r) => {
    try {
      const s = structureFromCif(r.cif);
      return s.length <= maxSites ? [s] : [];
    } catch {
      return [];
    }
  });
const bases: Structure[] = [
  ...load("data/aflow-prototypes/prototypes.csv.gz", Infinity),
  ...load("data/crystallm-benchmarks/carbon_24/val.csv.gz", Number(values.carbon)),
  ...load("data/crystallm-benchmarks/perov_5/val.csv.gz", Number(values.perov)),
];
const { structures, pairs } = structureVariants(bases);
console.log(`${bases.length} bases, ${structures.length} structures, ${pairs.length} pairs`);
for (
  const [name, opts] of [["default", DEFAULT_MATCHER_OPTIONS], [
    "benchmark",
    BENCHMARK_MATCHER_OPTIONS,
  ]] as const
) {
  const ref = await pymatgenMatch(structures, {
    pairs: pairs.map(([i, j]) => [i, j] as [number, number]),
    group: true,
    ltol: opts.ltol,
    stol: opts.stol,
    angleTol: opts.angleTol,
  });
  const sm = new StructureMatcher(opts);
  let fitOk = 0, rmsOk = 0;
  pairs.forEach(([i, j, kind], k) => {
    const fit = sm.fit(structures[i], structures[j]);
    const rms = sm.getRmsDist(structures[i], structures[j]);
    const r = ref.fits[k];
    if (fit === r.fit) fitOk++;
    else {console.log(
        `  fit ${kind} ${i}~${j} (${structures[i].length} sites): ours ${fit} pymatgen ${r.fit}`,
      );}
    const close = rms === null || r.rms === null
      ? rms === r.rms
      : Math.abs(rms[0] - r.rms[0]) <= 1e-6 && Math.abs(rms[1] - r.rms[1]) <= 1e-6;
    if (close) rmsOk++;
    else {console.log(
        `  rms ${kind} ${i}~${j}: ours ${JSON.stringify(rms)} pymatgen ${JSON.stringify(r.rms)}`,
      );}
  });
  const t0 = performance.now();
  const groups = new StructureMatcher(opts).groupStructures(structures);
  const dt = (performance.now() - t0) / 1000;
  const canon = (g: number[][]) => g.map((x) => [...x].sort((a, b) => a - b).join(",")).sort().join("|");
  console.log(
    `[${name}] fit ${fitOk}/${pairs.length}, rms ${rmsOk}/${pairs.length}, groups identical ${
      canon(groups) === canon(ref.groups!)
    } (same order ${JSON.stringify(groups) === JSON.stringify(ref.groups)}; ${groups.length} groups); ` +
      `group_structures ${dt.toFixed(2)} s vs pymatgen ${ref.groupSeconds!.toFixed(2)} s`,
  );
}
