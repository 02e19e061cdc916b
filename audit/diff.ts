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
 * Read a run's `metrics.json` (the run folder or the file). A run folder whose run did not
 * finish (interrupted, or still running) has no current metrics, and says so.
 *
 * @param run Run folder (`out/<experiment>`) or a metrics.json path.
 * @returns Metric name → value.
 * @throws {Error} "Cannot read metrics: …" when the file is missing, unfinished or malformed.
 */
export function readRunMetrics(run: string): Record<string, number | null> {
  const isFile = run.endsWith(".json");
  const path = isFile ? run : join(run, "metrics.json");
  if (!isFile) {
    let isDir = false;
    try {
      isDir = Deno.statSync(run).isDirectory;
    } catch { /* reported below */ }
    const has = (f: string) => {
      try {
        Deno.statSync(join(run, f));
        return true;
      } catch {
        return false;
      }
    };
    if (isDir && has("run.lock")) {
      throw new Error(`Cannot read metrics: ${run} is being run now or its run was interrupted (run.lock is there); it has no current metrics`);
    }
    if (isDir && !has("metrics.json")) {
      throw new Error(`Cannot read metrics: ${run} has no metrics.json: its last run did not finish (rerun it)`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`Cannot read metrics: ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`Cannot read metrics: ${path} is not a JSON object of metric values`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (v !== null && typeof v !== "number") throw new Error(`Cannot read metrics: ${path}: ${k} is not a number`);
  }
  return raw as Record<string, number | null>;
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
