/**
 * Parsing throughput on the 7,572 perov_5 CIFs (val + test) in ../shared.
 *
 *   deno bench -A cif/parse_cif_bench.ts
 *
 * The group baseline is the tokenizer pass alone (`parseCif`), so the ratio
 * shows what building structures (`structureFromCif`) adds. The CIFs/s figure
 * is printed once after the first full pass.
 */
import { parseCif } from "./parse_cif.ts";
import { structureFromCif } from "./from_cif.ts";
import { readCorpus } from "../tests/corpora.ts";
import { hasPymatgen, pymatgenReference } from "../tests/pymatgen.ts";

const cifs = [
  ...readCorpus("data/crystallm-benchmarks/perov_5/val.csv.gz"),
  ...readCorpus("data/crystallm-benchmarks/perov_5/test.csv.gz"),
].map((r) => r.cif);

function rate(label: string, fn: () => void): number {
  const t0 = performance.now();
  fn();
  const dt = (performance.now() - t0) / 1000;
  console.log(`${label}: ${cifs.length} CIFs in ${dt.toFixed(2)} s = ${(cifs.length / dt).toFixed(0)} CIFs/s`);
  return cifs.length / dt;
}
rate("parseCif (syntax only)", () => cifs.forEach((c) => parseCif(c)));
const ours = rate("structureFromCif (syntax + structure)", () => cifs.forEach((c) => structureFromCif(c)));
if (hasPymatgen()) {
  // reference in the same minute: pymatgen Structure.from_str on the first 500 CIFs
  const ref = await pymatgenReference(cifs.slice(0, 500).map((c, i) => [String(i), c]), false, ["--parse-only"]);
  const pmRate = ref.length / ref.reduce((s, r) => s + r.seconds, 0);
  console.log(`pymatgen Structure.from_str: ${pmRate.toFixed(0)} CIFs/s; structureFromCif is ${(ours / pmRate).toFixed(1)}x faster`);
}

Deno.bench({ name: "parseCif perov_5", group: "parse", baseline: true }, () => {
  for (const c of cifs) parseCif(c);
});
Deno.bench({ name: "structureFromCif perov_5", group: "parse" }, () => {
  for (const c of cifs) structureFromCif(c);
});
