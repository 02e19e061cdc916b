/**
 * Symmetrizing the 7,572 perov_5 CIFs (`../shared/data/crystallm-benchmarks/perov_5/{val,test}.csv.gz`):
 * `deno bench -A symmetry/symmetrize_bench.ts`. Structures are parsed once up front so the bench
 * measures `spaceGroupOf` and `symmetrizedCif` alone; each prints CIFs/s (the target: ≥ 300/s
 * for symmetrizing on the 2-core development machine).
 */
import { structureFromCif } from "../cif/from_cif.ts";
import type { Structure } from "../cif/structure.ts";
import { readCorpus } from "../tests/corpora.ts";
import { spaceGroupOf } from "./analyzer.ts";
import { symmetrizedCif } from "./symmetrize.ts";

const structures: Structure[] = [];
for (const split of ["val", "test"]) {
  for (const row of readCorpus(`data/crystallm-benchmarks/perov_5/${split}.csv.gz`)) {
    structures.push(structureFromCif(row.cif));
  }
}

function rate(label: string, fn: (s: Structure) => unknown): void {
  const t0 = performance.now();
  let failed = 0;
  for (const s of structures) {
    try {
      fn(s);
    } catch {
      failed++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${label}: ${structures.length} CIFs in ${secs.toFixed(2)} s = ${
      (structures.length / secs).toFixed(0)
    } CIFs/s (${failed} failed)`,
  );
}

Deno.bench(
  { name: "spaceGroupOf() on 7,572 perov_5 structures", n: 1, warmup: 0 },
  () => rate("spaceGroupOf", (s) => spaceGroupOf(s)),
);
Deno.bench(
  { name: "symmetrizedCif() on 7,572 perov_5 structures", n: 1, warmup: 0 },
  () => rate("symmetrizedCif", (s) => symmetrizedCif(s)),
);
