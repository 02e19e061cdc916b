/**
 * Fuzz: 10,000 mutated CIFs (truncations, byte flips, token shuffles, absurd numbers, dropped
 * and doubled lines; seeded) go through `postprocess` then `evaluateCif`; each must come back as
 * a complete row, and nothing may throw or hang. The seeds are the oracle's generated-style CIFs.
 *
 * @module
 */
import { mulberry32 } from "../../core/random.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { sharedPath } from "../../core/paths.ts";
import { postprocess } from "../../postprocess/postprocess.ts";
import { EVAL_COLUMNS, evaluateCif } from "../../evaluate/evaluate.ts";

const N = 10_000;
const SEED = 20240531;

/** The seeded PRNG the dataset split uses. */
const rng = mulberry32;

const ABSURD = [
  "0",
  "-0",
  "1e308",
  "-1e308",
  "1e-300",
  "nan",
  "inf",
  "-inf",
  "99999999",
  "-5",
  "1.2.3",
  "0.0000001",
  "1000.0001",
  "",
  "?",
  ".",
];

/** One random mutation of `cif`. */
function mutate(cif: string, r: () => number): [string, string] {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const kind = Math.floor(r() * 7);
  switch (kind) {
    case 0: { // truncation
      const at = Math.floor(r() * cif.length);
      return ["truncate", cif.slice(0, at)];
    }
    case 1: { // byte flips (any code unit, NUL and lone surrogates included)
      const chars = [...cif];
      const k = 1 + Math.floor(r() * 5);
      for (let i = 0; i < k; i++) {
        chars[Math.floor(r() * chars.length)] = String.fromCharCode(
          Math.floor(r() * (r() < 0.8 ? 256 : 65536)),
        );
      }
      return ["flip", chars.join("")];
    }
    case 2: { // token shuffle within the file
      const toks = cif.split(/(\s+)/);
      const k = 1 + Math.floor(r() * 4);
      for (let i = 0; i < k; i++) {
        const a = 2 * Math.floor(r() * (toks.length / 2)), b = 2 * Math.floor(r() * (toks.length / 2));
        [toks[a], toks[b]] = [toks[b], toks[a]];
      }
      return ["shuffle", toks.join("")];
    }
    case 3: { // absurd numbers
      let n = 0;
      const out = cif.replace(/-?\d+\.\d+|\b\d+\b/g, (m) => (r() < 0.15 && n++ < 4) ? pick(ABSURD) : m);
      return ["numbers", out];
    }
    case 4: { // scale the cell
      const f = pick([0.01, 0.3, 0.6, 1.6, 3, 40, 300]);
      return [
        "scale",
        cif.replace(/(_cell_length_[abc]\s+)([\d.]+)/g, (_, t, v) => `${t}${(Number(v) * f).toFixed(4)}`),
      ];
    }
    case 5: { // drop lines
      const lines = cif.split("\n");
      const k = 1 + Math.floor(r() * 4);
      for (let i = 0; i < k && lines.length; i++) lines.splice(Math.floor(r() * lines.length), 1);
      return ["drop", lines.join("\n")];
    }
    default: { // double lines (duplicate sites, tags, loops)
      const lines = cif.split("\n");
      const k = 1 + Math.floor(r() * 4);
      for (let i = 0; i < k; i++) {
        const j = Math.floor(r() * lines.length);
        lines.splice(j, 0, lines[j]);
      }
      return ["double", lines.join("\n")];
    }
  }
}

Deno.test(`postprocess() + evaluateCif() give every one of ${N} mutated CIFs a complete row`, () => {
  const seeds = Deno.readTextFileSync(sharedPath("oracle/eval/cases.jsonl")).split("\n").filter((l) =>
    l.trim()
  )
    .map((l) => JSON.parse(l)).flatMap((c) => [c.input_cif as string, c.postprocess.output as string]);
  const r = rng(SEED);
  const kinds: Record<string, number> = {};
  let parsed = 0, valid = 0, slowest = 0, slowestKind = "";
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const [kind, text] = mutate(seeds[Math.floor(r() * seeds.length)], r);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const t1 = performance.now();
    const pp = postprocess(text, { file: `fuzz_${i}.cif` });
    const row = evaluateCif(pp.output, { file: `fuzz_${i}.cif` });
    const dt = performance.now() - t1;
    if (dt > slowest) [slowest, slowestKind] = [dt, `${kind} #${i}`];
    assert.deepEqual(Object.keys(row), [...EVAL_COLUMNS], `fuzz_${i} (${kind})`);
    assert.equal(row.file, `fuzz_${i}.cif`);
    assert.equal(typeof row.parse_ok, "boolean");
    assert.equal(typeof row.is_valid, "boolean");
    if (!row.parse_ok) {
      assert.notEqual(row.error, "", `fuzz_${i} (${kind}) failed to parse without an error text`);
    }
    if (row.parse_ok) parsed++;
    if (row.is_valid) valid++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${N} mutated CIFs in ${seconds.toFixed(1)} s (${
      cpuSeconds.toFixed(1)
    } CPU-s): ${parsed} parsed, ${valid} valid; ` +
      `kinds ${JSON.stringify(kinds)}; slowest ${slowest.toFixed(0)} ms (${slowestKind})`,
  );
  // CPU time, not wall time: the test machine's cores are shared with other jobs
  assert.ok(cpuSeconds < 60, `fuzz run took ${cpuSeconds.toFixed(1)} CPU-s (limit 60 s)`);
});
