/**
 * Throughput of full evaluation (parse, space group, every check including the CrystalNN bond
 * score, token length) against pymatgen's, on the oracle cases and 1,000 perov_5 CIFs.
 *
 * Run: `deno bench -A evaluate/evaluate_bench.ts`. Besides deno's per-iteration table it prints
 * CIFs/s and the speed-up over pymatgen: for the oracle cases against the oracle's recorded
 * per-case seconds (`evaluate_cifs_seconds`, upstream's `eval_cif` step by step, and the sum of
 * the six checks' seconds), and for both sets against Debian's pymatgen timed live in this run on
 * 40 of the same CIFs (`tools/pymatgen_eval_reference.py`, the six checks; skipped when pymatgen
 * is missing). The machine's load average is printed too: the harness shares its cores.
 *
 * @module
 */
import process from "node:process";
import { readCorpus } from "../tests/corpora.ts";
import { hasPymatgen } from "../tests/pymatgen.ts";
import { jsonLinesReference } from "../tests/python.ts";
import { sharedPath } from "../core/paths.ts";
import { evaluateCif } from "./evaluate.ts";

interface OracleCase {
  case_id: string;
  postprocess: { output: string };
  checks_postprocessed: Record<string, { seconds: number }>;
  evaluate_cifs_seconds: number;
}

const cases: OracleCase[] = Deno.readTextFileSync(sharedPath("oracle/eval/cases.jsonl")).split("\n")
  .filter((l) => l.trim()).map((l) => JSON.parse(l));
const oracleCifs = cases.map((c) => c.postprocess.output);
const perov = readCorpus("data/crystallm-benchmarks/perov_5/val.csv.gz", 1000).map((r) => r.cif);

/** Wall and CPU seconds (CPU: this process, user + system) to evaluate every CIF once. */
function evalAll(cifs: string[]): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  cifs.forEach((cif, i) => evaluateCif(cif, { file: `${i}.cif` }));
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/** Seconds pymatgen spends on the six checks, summed over the CIFs (timed inside Python). */
async function pymatgenSeconds(cifs: string[]): Promise<number> {
  const lines = await jsonLinesReference<{ seconds: number }>(
    "tools/pymatgen_eval_reference.py",
    cifs.map((cif, i) => ({ id: String(i), cif })),
  );
  return lines.map((l) => l.seconds).reduce((a, b) => a + b, 0);
}

// one cold pass (JIT and wasm compilation included), then a warm pass
const oracleCold = evalAll(oracleCifs);
const oracleWarm = evalAll(oracleCifs);
const perovCold = evalAll(perov);
const perovWarm = evalAll(perov);
const n = cases.length;
const evalCifsPerCase = cases.reduce((t, c) => t + c.evaluate_cifs_seconds, 0) / n;
const checksPerCase =
  cases.reduce((t, c) => t + Object.values(c.checks_postprocessed).reduce((s, x) => s + x.seconds, 0), 0) / n;
const rate = (k: number, t: { wall: number; cpu: number }) =>
  `${(k / t.wall).toFixed(0)} CIFs/s wall (${(k / t.cpu).toFixed(0)} per CPU-second)`;
const lines = [
  `load average ${
    Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
  } on ${navigator.hardwareConcurrency} cores`,
  `oracle cases (${n}): cold ${rate(n, oracleCold)}; warm ${rate(n, oracleWarm)}`,
  `  vs oracle evaluate_cifs_seconds (${evalCifsPerCase.toFixed(3)} s/CIF): ${
    (evalCifsPerCase * n / oracleCold.wall).toFixed(0)
  }× cold, ${(evalCifsPerCase * n / oracleWarm.wall).toFixed(0)}× warm (wall)`,
  `  vs oracle sum of the six checks (${checksPerCase.toFixed(3)} s/CIF): ${
    (checksPerCase * n / oracleWarm.wall).toFixed(0)
  }× warm (wall)`,
  `perov_5 (${perov.length}): cold ${rate(perov.length, perovCold)}; warm ${rate(perov.length, perovWarm)}`,
];
if (hasPymatgen()) {
  // same machine, same moment: pymatgen on samples of both sets
  const oSample = oracleCifs.slice(0, 40);
  const oPy = await pymatgenSeconds(oSample) / oSample.length;
  lines.push(
    `  live pymatgen, 40 oracle cases: ${oPy.toFixed(3)} s/CIF → ${
      (oPy * n / oracleWarm.wall).toFixed(0)
    }× warm, ${(oPy * n / oracleCold.wall).toFixed(0)}× cold`,
  );
  const pSample = perov.slice(0, 40);
  const pPy = await pymatgenSeconds(pSample) / pSample.length;
  lines.push(
    `  live pymatgen, 40 perov_5: ${pPy.toFixed(3)} s/CIF → ${
      (pPy * perov.length / perovWarm.wall).toFixed(0)
    }× warm, ${(pPy * perov.length / perovCold.wall).toFixed(0)}× cold`,
  );
}
console.log(lines.join("\n"));

Deno.bench({ name: `evaluateCif() on the ${n} oracle cases`, n: 5, warmup: 1 }, () => {
  evalAll(oracleCifs);
});

Deno.bench({ name: `evaluateCif() on ${perov.length} perov_5 CIFs`, n: 3, warmup: 1 }, () => {
  evalAll(perov);
});
