/**
 * The `benchmark:` section of an experiment (CrystaLLM's CSP benchmark, run by
 * ./benchmark.ts): checked with the rest of the experiment file.
 *
 * @module
 */

/** The `benchmark:` section of an experiment. */
export interface BenchmarkSpec {
  /** The benchmark's test CSV (`material_id, cif, …`). */
  test: string;
  /** Only the first `limit` test compositions (a `ci` profile); null: all. */
  limit: number | null;
}

/** Problems of a raw `benchmark:` section. */
export function benchmarkProblems(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== "object" || Array.isArray(raw)) return ["benchmark must be a mapping (test, limit)"];
  const b = raw as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(b)) {
    if (!["test", "limit"].includes(k)) out.push(`unknown key "benchmark.${k}" (allowed: test, limit)`);
  }
  if (typeof b.test !== "string" || !b.test) out.push("benchmark.test must name the benchmark's test CSV");
  if (b.limit !== undefined && b.limit !== null && !(Number.isInteger(b.limit) && (b.limit as number) >= 1)) {
    out.push(`benchmark.limit must be an integer >= 1 or null, got ${JSON.stringify(b.limit)}`);
  }
  return out;
}
