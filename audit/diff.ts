/**
 * `crystallm diff <runA> <runB>`: metric differences between two runs, as
 * `dvc metrics diff` prints them.
 *
 * @module
 */
import { join } from "node:path";

/** One metric's change. */
export interface MetricDiff {
  metric: string;
  a: number | null;
  b: number | null;
  change: number | null;
}

/**
 * Read a run's `metrics.json` (the run folder or the file).
 *
 * @param run Run folder (`out/<experiment>`) or a metrics.json path.
 * @returns Metric name → value.
 * @throws {Error} When the file is missing: "Cannot read metrics: …".
 */
export function readRunMetrics(run: string): Record<string, number | null> {
  const path = run.endsWith(".json") ? run : join(run, "metrics.json");
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`Cannot read metrics: ${path}: ${(e as Error).message}`);
  }
}

/**
 * Differences between two metric maps, every metric of either side, sorted by name.
 *
 * @param a Metrics of run A.
 * @param b Metrics of run B.
 * @param all Keep unchanged metrics too. @default {false}
 * @returns One entry per metric.
 */
export function diffMetrics(a: Record<string, number | null>, b: Record<string, number | null>, all = false): MetricDiff[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: MetricDiff[] = [];
  for (const m of names) {
    const x = a[m] ?? null, y = b[m] ?? null;
    const change = x !== null && y !== null ? y - x : null;
    if (!all && change === 0) continue;
    out.push({ metric: m, a: x, b: y, change });
  }
  return out;
}

/**
 * The diff as a table.
 *
 * @param diffs From {@link diffMetrics}.
 * @param nameA Header of the A column.
 * @param nameB Header of the B column.
 * @returns Text.
 */
export function formatDiffTable(diffs: MetricDiff[], nameA = "A", nameB = "B"): string {
  const f = (v: number | null) => (v === null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(4));
  const rows = [["metric", nameA, nameB, "change"], ...diffs.map((d) => [d.metric, f(d.a), f(d.b), d.change === null ? "—" : (d.change >= 0 ? "+" : "") + f(d.change)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}
